"""Writes that can wait a few seconds: held by the worker and written together, outside the requests.

A page that only adds to a batch never waits for the database's writer (on SQLite the workers would
queue for its one write lock while staff wait). A batch is written by a timer thread `interval` seconds
after its first item, and when the worker exits (gunicorn's worker_exit hook, and atexit). A write the
database refuses keeps the items for the next try; the writer may also hand back items that must wait
(a click on a search another worker has not written yet). A worker killed with SIGKILL loses what it
held, at most `interval` seconds of it: batches are only for records nothing else depends on (article
view counts, the search log). With an interval of 0 (the tests) every item is written at once.

While the database is down (a restart, an outage) the timer keeps trying every `interval` seconds with all
it holds, and logs one line per try, not a traceback. What it holds is bounded (MAX_HELD items): in an
outage of hours the oldest items beyond that are dropped, and the log says how many.
"""
import atexit
import threading
from collections.abc import Callable

from flask import Flask

from core.db import first_line, unreachable

MAX_HELD = 20_000  # per batch and worker: at most about 25 MB (a search row is 1.3 kB), half an hour of
#                    a busy worker's searches and longer of its article views


class Batch:
    def __init__(self, app: Flask, name: str, interval: float, write: Callable[[list], list | None]):
        """`write(items)` runs in an app context and returns the items to keep for the next write (or None)."""
        self.app, self.name, self.interval, self._write = app, name, interval, write
        self._items: list = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        app.extensions.setdefault("servicebook_batches", []).append(self)
        atexit.register(self.write_quietly)

    def add(self, item) -> None:
        if self.interval <= 0:
            self._items.append(item)
            self.write_quietly()
            return
        with self._lock:
            self._items.append(item)
            self._schedule()

    def held(self) -> int:
        return len(self._items)

    def _schedule(self) -> None:  # under the lock
        if self._timer is None and self._items:
            self._timer = threading.Timer(self.interval, self.write_quietly)
            self._timer.daemon = True
            self._timer.start()

    def write(self) -> None:
        """Write what is held now; if the database refuses, keep it all for the next write and raise."""
        with self._lock:
            items, self._items = self._items, []
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if not items:
            return
        try:
            with self.app.app_context():
                kept = self._write(items) or []
        except BaseException:
            kept = items
            raise
        finally:
            with self._lock:
                self._items[:0] = kept
                self._drop_beyond_bound()
                if self.interval > 0:
                    self._schedule()

    def _drop_beyond_bound(self) -> None:  # under the lock
        extra = len(self._items) - MAX_HELD
        if extra > 0:
            del self._items[:extra]
            self.app.logger.warning("%s: %d of the oldest items dropped, the database has been away too long",
                                    self.name, extra)

    def write_quietly(self) -> None:
        try:
            self.write()
        except Exception as error:  # a locked or unreachable database: the items wait for the next try
            if unreachable(error):  # expected in an outage: one line, not a traceback every few seconds
                self.app.logger.warning("%s not written yet (%d items kept for the next try): %s", self.name,
                                        self.held(), first_line(error))
            else:
                self.app.logger.warning("%s not written yet; kept for the next try", self.name, exc_info=True)


def write_all(app: Flask) -> None:
    """Every batch the app holds, written now (a worker about to exit)."""
    for batch in app.extensions.get("servicebook_batches", []):
        batch.write_quietly()
