"""Article views, counted in memory and written every few seconds in one short transaction.

Writing each view inside the page's own request made every article page a database write: on SQLite the
workers queued for the single writer lock while staff waited. Now a page view only adds to a counter in
the worker; the request that finds the counts older than VIEW_COUNT_FLUSH_SECONDS writes them all (one
UPDATE per article, its own transaction), and a worker writes what it holds when it exits. A worker killed
with SIGKILL loses at most those seconds of view counts; nothing else depends on them. With 0 seconds
(the tests) every view is written at once.
"""
import atexit
import threading
import time
from collections import Counter
from datetime import datetime

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.db import db, utcnow
from kb.models import Article


class ViewCounts:
    def __init__(self, interval: float):
        self.interval = interval
        self._counts: Counter = Counter()
        self._seen: dict[int, datetime] = {}
        self._lock = threading.Lock()
        self._written_at = time.monotonic()

    def add(self, article_id: int) -> None:
        with self._lock:
            self._counts[article_id] += 1
            self._seen[article_id] = utcnow()

    def due(self) -> bool:
        return bool(self._counts) and time.monotonic() - self._written_at >= self.interval

    def write(self) -> None:
        """Write the counts held; if the database refuses, keep them for the next time."""
        with self._lock:
            counts, seen = self._counts, self._seen
            self._counts, self._seen = Counter(), {}
            self._written_at = time.monotonic()
        if not counts:
            return
        try:
            with Session(db.engine) as session, session.begin():
                for article_id, views in sorted(counts.items()):  # one order in every worker: no deadlock
                    session.execute(update(Article).where(Article.id == article_id).values(
                        view_count=Article.view_count + views, use_count=Article.use_count + views,
                        last_viewed_at=seen[article_id]).execution_options(synchronize_session=False))
        except Exception:
            with self._lock:
                self._counts.update(counts)
                self._seen = seen | self._seen
            raise


def init_app(app) -> None:
    counts = app.extensions["servicebook_view_counts"] = ViewCounts(app.config["VIEW_COUNT_FLUSH_SECONDS"])
    atexit.register(_write_quietly, counts)


def count(article_id: int) -> None:
    counts: ViewCounts = current_app.extensions["servicebook_view_counts"]
    counts.add(article_id)
    if counts.due():
        try:
            counts.write()
        except Exception:  # a locked or unreachable database: the counts wait for the next write
            current_app.logger.warning("view counts not written yet; kept for the next try", exc_info=True)


def write_held() -> None:
    _write_quietly(current_app.extensions["servicebook_view_counts"])


def _write_quietly(counts: ViewCounts) -> None:
    try:
        counts.write()
    except Exception:
        pass  # the process is ending; a few view counts are all that is lost
