"""The follower: one thread per host that keeps the host's index in step with changes other hosts (or
commands) make. On PostgreSQL it LISTENs for the notification every change-log write sends and catches up at
once; everywhere it also looks every SEARCH_FOLLOW_SECONDS. It reports the host's position (a heartbeat), prunes
the log now and then, and rebuilds the index by itself when the log was pruned past it.

Every gunicorn worker starts one, but only the worker holding the host's follower lock (a file lock in the
index folder) follows; the others wait for it, so a host has one listener and, if that worker dies, another
takes over. A database outage is waited out: the thread logs once, retries with a growing pause, and
catches up when the database is back (notifications sent meanwhile are not needed: it reads the log)."""
import contextlib
import fcntl
import threading
import time

from flask import Flask
from sqlalchemy.engine import make_url

from core.db import db
from kb.search import changes
from kb.search import index as search_index

PRUNE_EVERY_SECONDS = 60.0
HEARTBEAT_SECONDS = 30.0  # a write to search_hosts at most this often when nothing changes (or a quarter of the retention)


def start(app: Flask) -> "Follower | None":
    """Start this process's follower thread (a gunicorn worker, after the fork); None if switched off."""
    if not app.config.get("SEARCH_FOLLOW", True):
        return None
    follower = Follower(app)
    follower.thread = threading.Thread(target=follower.follow, name="search-follower", daemon=True)
    follower.thread.start()
    return follower


class Follower:
    def __init__(self, app: Flask):
        self.app = app
        self.interval = app.config["SEARCH_FOLLOW_SECONDS"]
        self.retention = app.config["SEARCH_CHANGE_RETENTION_SECONDS"]
        self.pruned_at = self.reported_at = -1e9
        self.failing_since: float | None = None
        self.stopped = threading.Event()
        self.ticks = 0
        self.thread: threading.Thread | None = None

    def stop(self, wait: float = 30.0) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(wait)

    def follow(self) -> None:
        """Take the host's follower lock (waiting while another worker holds it), then follow until stopped."""
        with self.app.app_context():
            index = search_index.search_index()
            index.root.mkdir(parents=True, exist_ok=True)
            with open(index.root / "FOLLOWER.lock", "a") as lock_file:
                while not self.stopped.is_set():
                    try:
                        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:  # another worker of this host follows, until it dies
                        self.stopped.wait(self.interval)
                self.run()

    def run(self) -> None:
        pause = self.interval
        while not self.stopped.is_set():
            try:
                if db.engine.dialect.name == "postgresql":
                    self.listen()
                else:
                    self.tick()
                    self.stopped.wait(self.interval)
                pause = self.interval
            except Exception as error:  # the database is away, the disk is full...: wait, then go on
                self.failed(error)
                self.stopped.wait(pause)
                pause = min(pause * 2, 30.0)

    def listen(self) -> None:
        """Catch up, then wait for a notification (or the interval) and catch up again, on one connection."""
        import psycopg
        url = make_url(db.engine.url).set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True,
                             connect_timeout=int(max(1, self.app.config.get("DATABASE_CONNECT_TIMEOUT_SECONDS", 5)))
                             ) as connection:
            connection.execute(f"LISTEN {changes.CHANNEL}")
            while not self.stopped.is_set():
                self.tick()  # after LISTEN: nothing committed from here on is missed
                for _ in connection.notifies(timeout=self.interval, stop_after=1):
                    pass

    def tick(self) -> None:
        self.ticks += 1
        # a large import on another host: one rebuild aside rather than thousands of small updates
        search_index.index_bulk(wait=self.interval * 5, automatic=True)  # reports the position when it did work
        if time.monotonic() - self.reported_at >= min(HEARTBEAT_SECONDS, self.retention / 4):
            search_index.report_position()  # the heartbeat: this host is live, and where its index is
            self.reported_at = time.monotonic()
        if time.monotonic() - self.pruned_at >= min(PRUNE_EVERY_SECONDS, self.retention / 2):
            changes.prune(self.retention)
            self.pruned_at = time.monotonic()
        if self.failing_since is not None:
            self.app.logger.warning("search follower: working again after %.0f s", time.monotonic() - self.failing_since)
            self.failing_since = None

    def failed(self, error: Exception) -> None:
        if self.failing_since is None:  # one line per outage, not one per retry
            self.failing_since = time.monotonic()
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            self.app.logger.warning("search follower: %s; retrying until it works", first_line)
        with contextlib.suppress(Exception):
            db.session.remove()
