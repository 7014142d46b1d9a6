"""Fixtures: every test that uses `app` runs on SQLite and on a real PostgreSQL server.

The schema is made by the Alembic migrations, once per backend; each test starts from empty tables.
The whole run lives on one date (core.clock), even when it crosses midnight.
"""
import os
import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from accounts import (
    auth,
    tokens,  # noqa: F401  (its table joins Base.metadata)
)
from core import clock, migrate
from core.db import Base, db
from kb import categories, service
from kb.models import Article
from tests.support.gunicorn import live_server  # noqa: F401  (a fixture: the site under gunicorn)
from tests.support.pgserver import PostgresUnavailable, running_postgres
from tests.support.smtp import mailbox  # noqa: F401  (a fixture: a real SMTP server, for notify's tests)
from wsgi import create_app

PASSWORD = "correct horse battery"

# Pinned once, before any test module computes its TODAY: the app in this process and the servers the tests start
# (gunicorn, the cluster, `flask` commands: they inherit the environment) see the same date as the tests.
os.environ[clock.VARIABLE] = os.environ.get(clock.VARIABLE) or date.today().isoformat()


@pytest.fixture(scope="session")
def postgres_url():
    try:
        with running_postgres() as url:
            yield url
    except PostgresUnavailable as missing:
        pytest.skip(f"PostgreSQL part skipped: {missing}")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'servicebook.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    migrate.upgrade(url)
    return url


def _empty_tables(url: str) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if url.startswith("postgresql"):
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SECRET_KEY": "test", "TESTING": True, "PASSWORD_METHOD": "pbkdf2:sha256:1000",
                      "VIEW_COUNT_FLUSH_SECONDS": 0, "SEARCH_LOG_FLUSH_SECONDS": 0,
                      "SEARCH_MERGE_ABOVE_SEGMENTS": 10_000})  # at once, in the foreground (their tests set them)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables(database_url)
    db.engine.dispose()


class Browser(FlaskClient):
    """The test client, each request in its own app context (its own `g` and session, as in a server),
    with a way to find the page's CSRF token as a real form would send it."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf(self, url: str = "/") -> str:
        answer = self.get(url)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', answer.text).group(1)

    def submit(self, url: str, data: dict | None = None, token_from: str = "/", **kwargs):
        return self.post(url, data={"csrf_token": self.csrf(token_from), **(data or {})}, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = Browser
    return app.test_client()


@pytest.fixture
def make_user(app):
    def make(username: str, *roles: str) -> auth.User:
        user = auth.create_user(username, list(roles) or ["staff"], PASSWORD)
        db.session.commit()
        return user
    return make


@pytest.fixture
def login_as(client, make_user):
    """Log in through the login form as a new user holding `role`; returns the user."""
    def login(role: str, username: str | None = None) -> auth.User:
        user = make_user(username or role, role)
        answer = client.submit("/login", {"username": user.username, "password": PASSWORD}, token_from="/login")
        assert answer.status_code == 302, answer.text
        return user
    return login


@pytest.fixture
def make_article(app, make_user):
    """An article made through kb.service, committed; owner and category are made when needed."""
    def make(title="How to handle a complaint", body="## Issue\n\nA customer complains.\n", state="published",
             owner=None, category="Customer care", **fields) -> "Article":
        owner = owner or auth.find_user("owner") or make_user("owner", "editor")
        content = service.ArticleContent(
            title=title, body=body, type=fields.pop("type", "knowledge_article"),
            category_id=categories.ensure_path(category, owner).id, owner_id=owner.id, **fields)
        article = service.create_article(content, owner, state=state)
        db.session.commit()
        return article
    return make


# ---- improvement register -------------------------------------------------------------------------

from improvement import metrics as improvement_metrics  # noqa: E402  (its tables join Base.metadata)
from improvement import service as improvement_service  # noqa: E402


@pytest.fixture
def make_improvement(app, make_user):
    """An improvement in Plan, made through improvement.service and committed; the standard KPIs exist."""
    def make(title="Slow first replies to e-mail", owner=None, metric="First response time", **fields):
        owner = owner or auth.find_user("lead") or make_user("lead", "quality_lead")
        improvement_metrics.ensure_standard_metrics()
        chosen = next((m for m in improvement_metrics.catalogue() if m.name == metric), None)
        started_on = fields.pop("started_on", None)
        details = improvement_service.ImprovementDetails(
            title=title, source=fields.pop("source", "complaint"), dimension=fields.pop("dimension", "responsiveness"),
            owner_id=owner.id, metric_id=chosen.id if chosen else None,
            problem=fields.pop("problem", "E-mails wait two days for a first reply."), **fields)
        improvement = improvement_service.create_improvement(details, owner, started_on=started_on)
        db.session.commit()
        return improvement
    return make


@pytest.fixture
def no_server_errors(client):
    """Every answer the client gets in the test is checked: a 500 is a bug whatever the test asserts."""
    answers = []
    original = client.open

    def open_and_keep(*args, **kwargs):
        answer = original(*args, **kwargs)
        answers.append((args[0] if args else kwargs.get("path"), answer.status_code))
        return answer

    client.open = open_and_keep
    yield
    assert not [a for a in answers if a[1] >= 500], answers
