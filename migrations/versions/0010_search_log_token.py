"""search_log_token: a search's log row is named by a token made before it is written (batched writes)

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint("uq_search_log_token", ["token"])


def downgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_constraint("uq_search_log_token", type_="unique")
        batch_op.drop_column("token")
