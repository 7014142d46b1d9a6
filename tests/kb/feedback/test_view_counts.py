"""Article views are counted in the worker and written in batches (kb/feedback/view_counts.py, core/batch.py): the page never
waits for the database's writer, and no count is lost when a write has to wait."""
import sqlite3
import time
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy.exc import OperationalError

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
    yield counts
    counts._items.clear()  # not for the process's exit, when this test's database is gone


def test_views_are_held_in_the_worker_until_the_batch_is_due_then_written_together(client, make_article, batched):
    article = make_article(title="Parcel locker", audience="public")
    for _ in range(4):
        assert client.get(f"/kb/articles/{article.id}").status_code == 200
    assert views_in_database(article.id) == (0, 0) and batched.held() == 4
    batched.write()  # what its timer does when the batch is due
    assert views_in_database(article.id) == (4, 4) and batched.held() == 0
    assert db.session.get(Article, article.id).last_viewed_at is not None
    assert db.session.get(Article, article.id).version == article.version  # a view is not an edit


def test_the_batch_is_written_by_its_timer_without_another_request(client, make_article, batched):
    article = make_article(title="Parcel locker", audience="public")
    batched.interval = 0.2
    client.get(f"/kb/articles/{article.id}")
    deadline = time.monotonic() + 10
    while views_in_database(article.id) != (1, 1) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert views_in_database(article.id) == (1, 1)


def test_counts_the_database_refused_are_kept_and_written_by_the_next_batch(
        client, make_article, batched, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("a database file locked by another process is a SQLite matter")
    article = make_article(title="Parcel locker", audience="public")
    db.connect(database_url, busy_seconds=0.2)
    other_process = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    try:
        assert client.get(f"/kb/articles/{article.id}").status_code == 200  # staff still read the article
        with pytest.raises(OperationalError):
            batched.write()
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()
    assert views_in_database(article.id) == (0, 0) and batched.held() == 1
    client.get(f"/kb/articles/{article.id}")
    batched.write()
    assert views_in_database(article.id) == (2, 2)


def test_what_a_worker_holds_is_written_when_it_exits(client, make_article, batched):
    from core import batch
    article = make_article(title="Parcel locker", audience="public")
    client.get(f"/kb/articles/{article.id}")
    batch.write_all(current_app)  # what gunicorn's worker_exit hook calls (and atexit, each batch)
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
