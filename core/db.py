"""Engine, session and declarative base; one commit per request, rollback on error."""
from datetime import datetime, timezone

import threading

from flask import Flask, g, make_response, render_template
from flask.globals import _cv_app
from sqlalchemy import create_engine, event, MetaData
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
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """The app's database: `db.session` is the request's session."""

    def __init__(self):
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False), scopefunc=_app_context_id)

    def init_app(self, app: Flask) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.session.remove()
        self.session.configure(bind=self.engine)
        app.extensions["servicebook_db"] = self
        app.after_request(self._commit_or_explain)
        app.teardown_appcontext(self._remove)

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
            return make_response(render_template("error.html", code=503, reason="busy"), 503)
        for hook in g.pop("after_commit", []):
            hook()
        return response

    def _remove(self, exc=None):
        if exc is not None:
            self.session.rollback()
        self.session.remove()


def after_commit(hook) -> None:
    """Run `hook()` once the current request has committed (search indexing, mail...)."""
    g.setdefault("after_commit", []).append(hook)


db = Database()
