"""Engine, session and declarative base; one commit per request, rollback on error."""
import threading
from datetime import UTC, datetime

from flask import Flask, current_app, g, make_response, render_template
from flask.globals import _cv_app
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

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


def make_engine(url: str, busy_seconds: float = 5.0) -> Engine:
    """On SQLite: WAL, foreign keys, and a writer waits `busy_seconds` for another one before giving up."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_seconds})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _busy_page():
    return make_response(render_template("error.html", code=503, reason="busy"), 503)


class Database:
    """The app's database: `db.session` is the request's session."""

    def __init__(self):
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False), scopefunc=_app_context_id)

    def init_app(self, app: Flask) -> None:
        self.connect(app.config["DATABASE_URL"], app.config["DATABASE_BUSY_SECONDS"])
        app.extensions["servicebook_db"] = self
        app.after_request(self._commit_or_explain)
        app.teardown_appcontext(self._remove)
        app.register_error_handler(OperationalError, self._busy)

    def connect(self, url: str, busy_seconds: float = 5.0) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.engine = make_engine(url, busy_seconds)
        self.session.remove()
        self.session.configure(bind=self.engine)

    def _commit_or_explain(self, response):
        """Commit what a successful request changed; on failure answer clearly, keep nothing."""
        session = self.session()
        if response.status_code >= 400:
            session.rollback()
            return response
        try:
            session.commit()
        except (StaleDataError, IntegrityError):
            session.rollback()
            return make_response(render_template("error.html", code=409, reason="conflict"), 409)
        except OperationalError:
            session.rollback()
            current_app.logger.exception("commit failed")
            return _busy_page()
        for hook in g.pop("after_commit", []):
            hook()
        return response

    def _busy(self, error: OperationalError):
        """The database is locked by another process or unreachable: 'try again', and nothing kept."""
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
