"""Writes that can wait a few seconds: held by the worker and written together, outside the requests.

A page that only adds to a batch never waits for the database's writer (on SQLite the workers would
queue for its one write lock while staff wait). A batch is written by a timer thread `interval` seconds
after its first item, and when the worker exits (gunicorn's worker_exit hook, and atexit). A write the
database refuses keeps the items for the next try; the writer may also hand back items that must wait
(a click on a search another worker has not written yet). A worker killed with SIGKILL loses what it
held, at most `interval` seconds of it: batches are only for records nothing else depends on (article
view counts, the search log). With an interval of 0 (the tests) every item is written at once.
"""
import atexit
import threading
from collections.abc import Callable

from flask import Flask


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
                if self.interval > 0:
                    self._schedule()

    def write_quietly(self) -> None:
        try:
            self.write()
        except Exception:  # a locked or unreachable database: the items wait for the next try
            self.app.logger.warning("%s not written yet; kept for the next try", self.name, exc_info=True)


def write_all(app: Flask) -> None:
    """Every batch the app holds, written now (a worker about to exit)."""
    for batch in app.extensions.get("servicebook_batches", []):
        batch.write_quietly()
