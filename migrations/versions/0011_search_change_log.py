"""search_change_log: the search indexes follow a change log (one index per host) instead of a to-do list

Every article already in the database is written to the new log (so a host with an empty index can replay
the log from its start), followed by what was still pending; then the to-do list goes.

Revision ID: 0011
Revises: 0010
"""
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_changes")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "search_hosts",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("index_name", sa.String(length=100), nullable=False),
        sa.Column("caught_up_at", sa.DateTime(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("rebuilds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_search_hosts")),
    )
    op.create_table(
        "search_change_floor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pruned_through", sa.BigInteger(), nullable=False),
        sa.Column("pruned_at", sa.DateTime(), nullable=True),
        sa.Column("epoch", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_change_floor")),
    )
    op.get_bind().execute(sa.text("INSERT INTO search_change_floor (id, pruned_through, epoch) VALUES (1, 0, :epoch)"),
                          {"epoch": uuid.uuid4().hex})
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # naive UTC, as the app writes times
    op.get_bind().execute(sa.text("INSERT INTO search_changes (article_id, changed_at) "
                                  "SELECT id, :now FROM articles ORDER BY id"), {"now": now})
    op.execute("INSERT INTO search_changes (article_id, changed_at) "
               "SELECT article_id, marked_at FROM search_pending ORDER BY id")
    op.drop_table("search_pending")


def downgrade() -> None:
    op.create_table(
        "search_pending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_pending")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_search_pending_article_id"), "search_pending", ["article_id"])
    op.drop_table("search_change_floor")
    op.drop_table("search_hosts")
    op.drop_table("search_changes")
