"""Smoke test for tests/pgserver.py: a real throw-away PostgreSQL server."""
import pathlib

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.support.pgserver import PostgresUnavailable, running_postgres


def test_running_postgres_round_trip():
    try:
        with running_postgres() as url:
            root = pathlib.Path(make_url(url).query["host"])
            assert (root / "data").is_dir()
            engine = create_engine(url)
            try:
                with engine.begin() as conn:
                    assert "PostgreSQL 15" in conn.execute(text("select version()")).scalar_one()
                    conn.execute(text("create table notes (id serial primary key, body text)"))
                    conn.execute(text("insert into notes (body) values (:body)"), {"body": "投诉处理"})
                with engine.connect() as conn:
                    assert conn.execute(text("select body from notes")).scalar_one() == "投诉处理"
                    assert conn.execute(text("show server_encoding")).scalar_one() == "UTF8"
            finally:
                engine.dispose()
    except PostgresUnavailable as e:  # raised only before the server starts
        pytest.skip(str(e))
    assert not (root / "data").exists()
    assert not root.exists()
