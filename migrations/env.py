"""Alembic environment: the metadata of every model, the URL from the caller or the config."""
from alembic import context
from sqlalchemy import event

import accounts.auth  # noqa: F401
import accounts.tokens  # noqa: F401
import core.audit  # noqa: F401  (models register on Base.metadata)
import improvement.models  # noqa: F401
import kb.feedback.models  # noqa: F401
import kb.models  # noqa: F401
import kb.search.models  # noqa: F401
import notify.models  # noqa: F401
import onboarding.models  # noqa: F401
from core import config as settings
from core.db import Base, make_engine

url = context.config.get_main_option("sqlalchemy.url") or settings.load()["DATABASE_URL"]
target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def migration_engine():
    """The app's engine; on SQLite made transactional for DDL too (pysqlite leaves DDL outside any
    transaction, so a failed migration would leave half its changes), and with foreign keys off
    while tables are rebuilt by batch migrations, then checked."""
    engine = make_engine(url)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _own_transactions(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=OFF")

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN")
    return engine


def run_online() -> None:
    engine = migration_engine()
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=url.startswith("sqlite"), compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
            if url.startswith("sqlite"):
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
