"""Alembic environment: the metadata of every model, the URL from the caller or the config."""
from alembic import context

from core import config as settings
from core.db import Base, make_engine
import core.audit  # noqa: F401  (models register on Base.metadata)
import core.auth  # noqa: F401
import kb.models  # noqa: F401

url = context.config.get_main_option("sqlalchemy.url") or settings.load()["DATABASE_URL"]
target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=url.startswith("sqlite"), compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
