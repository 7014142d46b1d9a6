"""Engine, session and declarative base; one commit per request, rollback on error.

When the database server cannot be reached (a PostgreSQL restart or outage), every request answers 503 with
"try again in a few seconds" and a Retry-After header, logs one short line (not a traceback, and at most one
a second per process, see `OutageLog`), and the next request after the server is back simply succeeds: the
pool drops the dead connections (pre-ping, and SQLAlchemy invalidates the pool on a disconnect)."""
import logging
import sqlite3
import threading
import time
from contextlib import suppress
from datetime import UTC, datetime

from flask import Flask, current_app, g, make_response, render_template, request
from flask.globals import _cv_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import InternalServerError

from core import api, web

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _app_context_id() -> int:
    """One session per app context (a request, a command), like Flask-SQLAlchemy does."""
    context = _cv_app.get(None)
    return id(context) if context is not None else threading.get_ident()


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, busy_seconds: float = 5.0, connect_timeout: float = 5.0) -> Engine:
    """On SQLite: WAL, foreign keys, and a writer waits `busy_seconds` for another one before giving up.
    On PostgreSQL: a connection attempt gives up after `connect_timeout` seconds (libpq counts whole seconds,
    at least 2), so a request during an outage fails fast instead of hanging."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_seconds})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": max(2, round(connect_timeout))})


RETRY_AFTER_SECONDS = 5
_SERVER_GOING_AWAY = {"57P01", "57P02", "57P03"}  # admin shutdown, crash shutdown, starting up / shutting down


def unreachable(error: BaseException) -> bool:
    """Whether `error` says the database server cannot be reached or dropped the connection (a PostgreSQL
    restart, failover or outage). SQLite's "database is locked" is not: that stays the "busy" page."""
    if not isinstance(error, DBAPIError) or isinstance(error.orig, sqlite3.Error):
        return False
    if error.connection_invalidated:  # SQLAlchemy saw the connection break (and invalidated the pool)
        return True
    if not hasattr(error.orig, "sqlstate"):  # not psycopg's
        return False
    sqlstate = error.orig.sqlstate
    if sqlstate is None:  # psycopg's "connection failed: ... Connection refused / No such file or directory"
        return isinstance(error, OperationalError)
    return sqlstate.startswith("08") or sqlstate in _SERVER_GOING_AWAY


def first_line(error: BaseException) -> str:
    """The database's own words, without SQLAlchemy's statement, parameters and link."""
    said = str(getattr(error, "orig", None) or error).strip()
    return said.splitlines()[0] if said else type(error).__name__


class OutageLog:
    """One WARNING line per request the database failed, but at most one every `every` seconds per process:
    a 3-second restart under load would otherwise write hundreds of lines (it wrote 2,486 lines of tracebacks).
    A line says how many were left out since the previous one, and the first request that reaches the
    database again says how many requests were answered 503, so the count is exact though the lines are few."""

    def __init__(self, every: float = 1.0):
        self.every = every
        self.failed_since_reached = 0
        self._left_out = 0
        self._last = float("-inf")
        self._lock = threading.Lock()

    def failed(self, logger, method: str, path: str, error: BaseException) -> None:
        with self._lock:
            self.failed_since_reached += 1
            now = time.monotonic()
            if now - self._last < self.every:
                self._left_out += 1
                return
            left_out, self._left_out, self._last = self._left_out, 0, now
        more = f" ({left_out} more since the last line)" if left_out else ""
        logger.warning("database unreachable, answered 503%s: %s %s: %s", more, method, path, first_line(error))

    def reached(self, logger) -> None:
        if not self.failed_since_reached:  # the usual case: no lock, no line
            return
        with self._lock:
            failed, self.failed_since_reached, self._left_out = self.failed_since_reached, 0, 0
            self._last = float("-inf")
        if failed:
            logger.warning("database reachable again; %d requests were answered 503 while it was not", failed)


outage_log = OutageLog()


class _NoOutageTraceback(logging.Filter):
    """Flask logs "Exception on <path>" with a traceback before its 500 handler runs; when the exception is the
    database being unreachable (raised while an error page itself was drawn), `_server_error` answers 503 and
    `outage_log` writes the short line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and record.getMessage().startswith("Exception on ")
                    and unreachable(record.exc_info[1]))


def _as_visitor() -> None:
    """The 503 page must not need the database: the user (perhaps not loaded yet, or about to be expired by
    the rollback) sees it as a visitor; the language stays theirs when it is known without the database."""
    manager = getattr(current_app, "login_manager", None)
    if manager is None:
        return
    if "_login_user" in g:  # loaded before the failure: its language is at hand
        with suppress(Exception):
            get_locale()
    g._login_user = manager.anonymous_user()


def _busy_page():
    return make_response(render_template("error.html", code=503, reason="busy"), 503)


class Database:
    """The app's database: `db.session` is the request's session."""

    def __init__(self):
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False), scopefunc=_app_context_id)

    def init_app(self, app: Flask) -> None:
        self.connect(app.config["DATABASE_URL"], app.config["DATABASE_BUSY_SECONDS"],
                     app.config.get("DATABASE_CONNECT_TIMEOUT_SECONDS", 5.0))
        app.extensions["servicebook_db"] = self
        app.after_request(self._commit_or_explain)
        app.teardown_appcontext(self._remove)
        app.register_error_handler(OperationalError, self._database_failed)
        app.register_error_handler(InterfaceError, self._database_failed)
        app.register_error_handler(InternalServerError, self._server_error)
        app.logger.addFilter(_NoOutageTraceback())

    def connect(self, url: str, busy_seconds: float = 5.0, connect_timeout: float = 5.0) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.engine = make_engine(url, busy_seconds, connect_timeout)
        self.session.remove()
        self.session.configure(bind=self.engine)

    def _commit_or_explain(self, response):
        """Commit what a successful request changed; on failure answer clearly, keep nothing."""
        session = self.session()
        if response.status_code >= 400:
            session.rollback()
            return response
        used_the_database = session.in_transaction()
        try:
            session.commit()
        except (StaleDataError, IntegrityError):
            session.rollback()
            return make_response(render_template("error.html", code=409, reason="conflict"), 409)
        except DBAPIError as error:
            if unreachable(error):
                return self._unreachable(error)
            if not isinstance(error, OperationalError):
                raise
            session.rollback()
            current_app.logger.exception("commit failed")
            return _busy_page()
        if used_the_database:
            outage_log.reached(current_app.logger)
        for hook in g.pop("after_commit", []):
            hook()
        return response

    def _database_failed(self, error: DBAPIError):
        if unreachable(error):
            return self._unreachable(error)
        if isinstance(error, OperationalError):
            return self._busy(error)
        raise error  # any other interface error is a bug: the usual 500 and its traceback

    def _server_error(self, error: InternalServerError):
        """Where the database failed while another error was answered (a 404 or CSRF page asks for the user);
        any other 500 is answered as core.web answers every HTTP error (this handler, for code 500, comes first)."""
        if unreachable(error.original_exception):
            return self._unreachable(error.original_exception)
        return web.http_error(error)

    def _unreachable(self, error: DBAPIError):
        """The server is down or restarting: 503 "try again in a few seconds" (JSON under /api/), one short
        log line, and the session's connection dropped, so the pool hands out no dead one."""
        _as_visitor()
        try:
            self.session.rollback()
        except DBAPIError:
            self.session.invalidate()
        outage_log.failed(current_app.logger, request.method, request.path, error)
        if request.path.startswith("/api/"):
            response = api.api_error(503, _("The database cannot be reached just now. Please try again in a "
                                            "few seconds."))
        else:
            response = make_response(render_template("error.html", code=503, reason="unavailable"), 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    def _busy(self, error: OperationalError):
        """The database is locked by another process (SQLite) or refused for now: 'try again', nothing kept."""
        self.session.rollback()
        current_app.logger.error("database unavailable: %s", error)
        return _busy_page()

    def _remove(self, exc=None):
        if exc is not None:
            self.session.rollback()
        self.session.remove()


def after_commit(hook) -> None:
    """Run `hook()` once the current request has committed (search indexing, mail...)."""
    g.setdefault("after_commit", []).append(hook)


db = Database()
