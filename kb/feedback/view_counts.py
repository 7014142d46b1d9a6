"""Article views, counted in memory and written every few seconds in one short transaction (core.batch).

Writing each view inside the page's own request made every article page a database write: on SQLite the
workers queued for the single writer lock while staff waited. Now a page view only adds to the worker's
batch, written VIEW_COUNT_FLUSH_SECONDS later (one UPDATE per article, its own transaction) and when the
worker exits. A worker killed with SIGKILL loses at most those seconds of view counts; nothing else
depends on them. With 0 seconds (the tests) every view is written at once.
"""
from collections import Counter

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.batch import Batch
from core.db import db, utcnow
from kb.models import Article


def _write(views: list[tuple[int, object]]) -> None:
    counts = Counter(article_id for article_id, _at in views)
    seen = {}
    for article_id, at in views:
        seen[article_id] = max(at, seen.get(article_id, at))
    with Session(db.engine) as session, session.begin():
        for article_id, n in sorted(counts.items()):  # one order in every worker: no deadlock
            session.execute(update(Article).where(Article.id == article_id).values(
                view_count=Article.view_count + n, use_count=Article.use_count + n,
                last_viewed_at=seen[article_id]).execution_options(synchronize_session=False))


def init_app(app) -> None:
    app.extensions["servicebook_view_counts"] = Batch(app, "article view counts",
                                                      app.config["VIEW_COUNT_FLUSH_SECONDS"], _write)


def count(article_id: int) -> None:
    current_app.extensions["servicebook_view_counts"].add((article_id, utcnow()))
