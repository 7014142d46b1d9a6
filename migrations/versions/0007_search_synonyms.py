"""search_synonyms: the synonym groups and one-way entries editors keep, applied at query time

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("one_way", sa.Boolean(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=800), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_search_synonyms_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonyms")),
        sa.UniqueConstraint("key", name=op.f("uq_search_synonyms_key")),
    )
    op.create_index(op.f("ix_search_synonyms_updated_at"), "search_synonyms", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_search_synonyms_updated_at"), table_name="search_synonyms")
    op.drop_table("search_synonyms")
