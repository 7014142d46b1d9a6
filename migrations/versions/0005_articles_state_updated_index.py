"""articles(state, updated_at): the home page's "recently updated" without sorting every article

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_state_updated_at", "articles", ["state", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_state_updated_at", table_name="articles")
