"""The schema comes from the Alembic migrations; they must say exactly what the models say."""
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from core import migrate
from core.db import Base, make_engine


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_database_url(request, tmp_path):
    """A database with no tables at all, on each backend (a second database on the test server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'upgrade.db'}"
    server_url = request.getfixturevalue("postgres_url")
    name = f"upgrade_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return server_url.replace("/servicebook_test?", f"/{name}?")


ROWS = [
    "INSERT INTO users (id, username, display_name, password_hash, active, created_at) "
    "VALUES (1, 'ann', '', 'x', true, '2026-01-01'), (2, 'bo', '', 'x', true, '2026-01-01')",
    "INSERT INTO user_roles (user_id, role) VALUES (1, 'editor'), (2, 'staff')",
    "INSERT INTO categories (id, name) VALUES (1, 'Customer care')",
    "INSERT INTO articles (id, slug, title, type, summary, body, body_html, category_id, audience, state, "
    "language, owner_id, version, view_count, reuse_count, created_at, updated_at) VALUES (1, 'refunds', "
    "'Refunds', 'faq', '', 'Body', '<p>Body</p>', 1, 'staff', 'published', 'en', 1, 1, 0, 0, "
    "'2026-01-01', '2026-01-01')",
    "INSERT INTO revisions (id, article_id, number, title, summary, body, note, author_id, created_at) "
    "VALUES (1, 1, 1, 'Refunds', '', 'Body', 'Created', 1, '2026-01-01')",
]


def test_upgrading_a_populated_first_release_keeps_every_row(blank_database_url):
    migrate.upgrade(blank_database_url, "0001")
    engine = make_engine(blank_database_url)
    try:
        with engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement))
        migrate.upgrade(blank_database_url)
        with engine.connect() as connection:
            tokens = connection.execute(text("SELECT session_token FROM users ORDER BY id")).scalars().all()
            assert len(tokens) == 2 and all(len(t) == 32 for t in tokens) and tokens[0] != tokens[1]
            assert connection.execute(text("SELECT count(*) FROM revisions")).scalar() == 1
            assert connection.execute(text("SELECT owner_id FROM articles")).scalar() == 1
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_undoing_the_last_migration_rebuilds_tables_without_losing_referring_rows(blank_database_url):
    migrate.upgrade(blank_database_url)
    engine = make_engine(blank_database_url)
    try:
        with engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement))
        command.downgrade(migrate.alembic_config(blank_database_url), "0001")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 2
            assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 1
        command.downgrade(migrate.alembic_config(blank_database_url), "base")
        migrate.upgrade(blank_database_url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
