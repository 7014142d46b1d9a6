"""Article views are counted in the worker and written in batches (kb/view_counts.py): the page never
waits for the database's writer, and no count is lost when a write has to wait."""
import sqlite3
from pathlib import Path

import pytest
from flask import current_app

from core.db import db
from kb.models import Article


def views_in_database(article_id: int) -> tuple[int, int]:
    db.session.expire_all()
    article = db.session.get(Article, article_id)
    return article.view_count, article.use_count


@pytest.fixture
def batched(app):
    counts = current_app.extensions["servicebook_view_counts"]
    counts.interval = 3600
    return counts


def test_views_are_held_in_the_worker_until_the_batch_is_due_then_written_together(client, make_article, batched):
    article = make_article(title="Parcel locker", audience="public")
    for _ in range(3):
        assert client.get(f"/kb/articles/{article.id}").status_code == 200
    assert views_in_database(article.id) == (0, 0)
    batched._written_at -= 3600  # the batch is now as old as the interval
    client.get(f"/kb/articles/{article.id}")
    assert views_in_database(article.id) == (4, 4)
    assert db.session.get(Article, article.id).last_viewed_at is not None
    assert db.session.get(Article, article.id).version == article.version  # a view is not an edit


def test_counts_the_database_refused_are_kept_and_written_by_the_next_batch(
        client, make_article, batched, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("a database file locked by another process is a SQLite matter")
    article = make_article(title="Parcel locker", audience="public")
    db.connect(database_url, busy_seconds=0.2)
    other_process = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    try:
        batched._written_at -= 3600
        assert client.get(f"/kb/articles/{article.id}").status_code == 200  # staff still read the article
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()
    assert views_in_database(article.id) == (0, 0)
    batched._written_at -= 3600
    client.get(f"/kb/articles/{article.id}")
    assert views_in_database(article.id) == (2, 2)


def test_what_a_worker_holds_is_written_when_it_exits(client, make_article, batched):
    from kb.feedback import view_counts
    article = make_article(title="Parcel locker", audience="public")
    client.get(f"/kb/articles/{article.id}")
    view_counts._write_quietly(batched)  # what atexit calls
    assert views_in_database(article.id) == (1, 1)


def test_a_gunicorn_worker_stopping_writes_the_views_it_held(app, make_article, database_url, tmp_path):
    import urllib.request

    from tests.support.gunicorn import running_gunicorn
    article = make_article(title="Parcel locker", audience="public")
    (Path(app.config["INSTANCE_PATH"]) / "servicebook.cfg.py").write_text("VIEW_COUNT_FLUSH_SECONDS = 3600\n")
    with running_gunicorn(app, database_url, tmp_path / "gunicorn.log") as (base, _master):
        for _ in range(6):
            with urllib.request.urlopen(f"{base}/kb/articles/{article.id}") as answer:
                assert answer.status == 200
        assert views_in_database(article.id) == (0, 0)  # held in the workers
    assert views_in_database(article.id) == (6, 6)  # written as the workers stopped
