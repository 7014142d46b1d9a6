"""users.session_token: part of every session id, renewed to log a user out everywhere

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: SQLite needs no table rebuild for it, so rows that refer to users stay put
    op.add_column("users", sa.Column("session_token", sa.String(length=32), nullable=False, server_default=""))
    random_hex = "lower(hex(randomblob(16)))" if op.get_bind().dialect.name == "sqlite" else "md5(random()::text)"
    op.execute(f"UPDATE users SET session_token = {random_hex}")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("session_token")
