"""The database goes away (a PostgreSQL restart, failover or outage): every request answers 503 "try again in a
few seconds" with Retry-After (JSON under /api/), never a 500 or a hang; the log gets short lines, not
tracebacks; and the site answers again on its own once the server is back.

Each test runs its own throw-away PostgreSQL server (never the suite's shared one), since it stops it."""
import http.cookiejar
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import psycopg
import pytest
from sqlalchemy import event, select

from accounts import auth, tokens
from core import migrate
from core.db import db
from kb import categories, service
from kb.models import Article
from tests.conftest import PASSWORD, Browser
from tests.support.gunicorn import running_gunicorn
from tests.support.pgserver import PostgresUnavailable, running_postgres, start_server, stop_server
from wsgi import create_app

TRY_AGAIN_EN = "Please try again in a few seconds."
TRY_AGAIN_ZH = "请过几秒钟再试"


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test's own, migrated: the test may stop and start it."""
    try:
        with running_postgres("servicebook_outage") as url:
            migrate.upgrade(url)
            yield url
    except PostgresUnavailable as missing:
        pytest.skip(f"PostgreSQL part skipped: {missing}")


@pytest.fixture
def site(own_postgres, tmp_path):
    """The app on that server, with a staff member (and an API token) and a published article. The instance
    file holds the secret key, so that gunicorn's workers, started on the same folder, sign sessions alike."""
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "servicebook.cfg.py").write_text('SECRET_KEY = "test"\n')
    app = create_app({"DATABASE_URL": own_postgres, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SECRET_KEY": "test", "TESTING": True, "PASSWORD_METHOD": "pbkdf2:sha256:1000",
                      "VIEW_COUNT_FLUSH_SECONDS": 0, "SEARCH_LOG_FLUSH_SECONDS": 0,
                      "SEARCH_MERGE_ABOVE_SEGMENTS": 10_000,
                      "PROPAGATE_EXCEPTIONS": False})  # a 500 is answered as a server would, not raised
    with app.app_context():
        editor = auth.create_user("ed", ["editor"], PASSWORD)
        staff = auth.create_user("sam", ["staff"], PASSWORD)
        db.session.flush()
        app.config["test_token"] = tokens.issue_token(staff)
        content = service.ArticleContent(
            title="Refund a gift card", body="## Issue\n\nThe card was not used.\n", type="knowledge_article",
            category_id=categories.ensure_path("Customer care", editor).id, owner_id=editor.id)
        app.config["test_article"] = service.create_article(content, editor, state="published").id
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
    db.engine.dispose()


def _logged_in(app) -> Browser:
    app.test_client_class = Browser
    client = app.test_client()
    answer = client.submit("/login", {"username": "sam", "password": PASSWORD}, token_from="/login")
    assert answer.status_code == 302, answer.text
    return client


def _timed(call):
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def test_while_postgresql_is_down_pages_and_the_api_answer_503_try_again_and_the_site_recovers_by_itself(
        site, own_postgres, caplog):
    client = _logged_in(site)
    page, api = f"/kb/articles/{site.config['test_article']}", f"/api/v1/articles/{site.config['test_article']}"
    assert client.get(page).status_code == 200 and client.get(api).status_code == 200  # connections in the pool
    visitor = site.test_client()
    bearer = {"Authorization": f"Bearer {site.config['test_token']}"}
    caplog.set_level(logging.WARNING)

    stop_server(own_postgres)
    down = time.monotonic()
    try:
        for answer, seconds in [_timed(lambda: client.get(page)), _timed(lambda: client.get(api)),
                                _timed(lambda: visitor.get("/", headers={"Accept-Language": "zh-CN,zh"})),
                                _timed(lambda: visitor.get(api, headers=bearer)),
                                _timed(lambda: client.post(page + "/reviewed", data={}))]:
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "5"
            assert seconds < 5, f"{answer.request.path} took {seconds:.1f} s"
        en_page, en_api = client.get(page), client.get(api)
        zh_page = visitor.get("/", headers={"Accept-Language": "zh-CN,zh"})
        zh_api = visitor.get(api, headers={**bearer, "Accept-Language": "zh"})
        seconds_down = time.monotonic() - down
    finally:
        start_server(own_postgres)

    assert "The database cannot be reached just now" in en_page.text and TRY_AGAIN_EN in en_page.text
    assert en_api.json == {"error": {"status": 503, "reason": "The database cannot be reached just now. "
                                                              "Please try again in a few seconds."}}
    assert "暂时无法连接数据库" in zh_page.text and TRY_AGAIN_ZH in zh_page.text
    assert zh_api.json["error"]["status"] == 503 and TRY_AGAIN_ZH in zh_api.json["error"]["reason"]
    outage_lines = [r for r in caplog.records if "database unreachable" in r.getMessage()]
    assert outage_lines and all(r.levelno == logging.WARNING for r in outage_lines)
    assert "GET " + page in outage_lines[0].getMessage()  # method, path and the database's first line
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text
    assert len(outage_lines) <= 1 + seconds_down, caplog.text  # one line a second at most (9 requests)

    assert client.get(page).status_code == 200  # the same app, no restart: the dead pooled connections are gone
    assert client.get(api).json["id"] == site.config["test_article"]
    assert visitor.get("/", headers={"Accept-Language": "zh"}).status_code == 200
    assert "database reachable again; " in caplog.text


def test_a_connection_cut_in_the_middle_of_a_request_answers_503_and_is_not_handed_out_again(site, own_postgres):
    """The server ends the request's own connection ("terminating connection due to administrator command",
    as in a fast shutdown or a failover) between two of its statements."""
    client = _logged_in(site)
    page = f"/kb/articles/{site.config['test_article']}"
    assert client.get(page).status_code == 200
    admin = psycopg.connect(re.sub(r"^postgresql\+psycopg://", "postgresql://", own_postgres), autocommit=True)
    cut = []

    def cut_once(connection, _cursor, statement, *_args):
        if not cut and statement.lstrip().upper().startswith("SELECT"):
            pid = connection.connection.dbapi_connection.info.backend_pid
            cut.append(pid)
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            time.sleep(0.2)  # the backend is gone before the statement is sent

    event.listen(db.engine, "before_cursor_execute", cut_once)
    try:
        answer = client.get(page)
    finally:
        event.remove(db.engine, "before_cursor_execute", cut_once)
    assert cut and answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    with site.app_context():
        pids = [db.session.connection().connection.dbapi_connection.info.backend_pid]
        db.session.remove()
    assert cut[0] not in pids
    live = {row[0] for row in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")}
    assert cut[0] not in live
    admin.close()
    assert client.get(page).status_code == 200


def test_a_database_server_that_accepts_but_never_answers_is_given_up_after_the_connect_timeout(tmp_path, caplog):
    """A hung server (or a half-open network path): the TCP connection is accepted, nothing is ever said. The
    request waits DATABASE_CONNECT_TIMEOUT_SECONDS, then answers 503, instead of hanging for good."""
    import socket
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel accepts the connections; nobody reads them
        port = silent.getsockname()[1]
        app = create_app({"DATABASE_URL": f"postgresql+psycopg://nobody@127.0.0.1:{port}/servicebook",
                          "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "test", "TESTING": True,
                          "PROPAGATE_EXCEPTIONS": False, "DATABASE_CONNECT_TIMEOUT_SECONDS": 2})
        try:
            answer, seconds = _timed(lambda: app.test_client().get("/"))  # the home page lists articles
        finally:
            db.engine.dispose()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5", answer.text
    assert 1.5 < seconds < 6, f"{seconds:.1f} s"
    assert "timeout expired" in caplog.text, caplog.text


# ---- under gunicorn, while PostgreSQL restarts ----------------------------------------------------------

class Visitor:
    """A logged-in browser with cookies, timing every answer."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, timeout: float = 20) -> tuple[int, str, dict]:
        try:
            with self.opener.open(self.base + path, timeout=timeout) as answer:
                return answer.status, answer.read().decode(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), dict(error.headers)

    def post(self, path: str, data: dict, token_from: str) -> int:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(token_from)[1]).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, **data}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=20) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code


def test_under_gunicorn_a_postgresql_restart_answers_503_never_500_or_a_hang_and_loses_no_acknowledged_edit(
        site, own_postgres, tmp_path):
    article_id = site.config["test_article"]
    log = tmp_path / "gunicorn.log"
    answers: list[tuple[float, int, float, str]] = []  # (started, status, seconds, path)
    no_retry_after: list[dict] = []
    stop = threading.Event()

    def read_loop(base: str, path: str):
        reader = Visitor(base)
        reader.post("/login", {"username": "sam", "password": PASSWORD}, token_from="/login")
        while not stop.is_set():
            started = time.monotonic()
            try:
                status, _text, headers = reader.get(path)
            except OSError:  # no answer at all (reset, timed out): recorded as 0
                status, headers = 0, {}
            answers.append((started, status, time.monotonic() - started, path))
            if status == 503 and headers.get("Retry-After") != "5":
                no_retry_after.append(headers)
            time.sleep(0.02)

    with running_gunicorn(site, own_postgres, log) as (base, _master):
        editor = Visitor(base)
        editor.post("/login", {"username": "ed", "password": PASSWORD}, token_from="/login")
        edit = f"/kb/articles/{article_id}/edit"
        with site.app_context():
            before = db.session.get(Article, article_id)
            form = {"title": before.title, "type": before.type, "summary": "", "category_id": before.category_id,
                    "tags": "", "audience": before.audience, "language": before.language,
                    "owner_id": before.owner_id, "review_by": "", "note": "before the restart",
                    "base_version": before.version, "body": "Acknowledged before the restart.\n", "save": "Save"}
            db.session.remove()
        assert editor.post(edit, form, token_from=edit) == 200  # saved, and the redirect followed

        lines_before = len(log.read_text().splitlines())
        threads = [threading.Thread(target=read_loop, args=(base, path)) for path in
                   (f"/kb/articles/{article_id}", f"/api/v1/articles/{article_id}") * 2]
        begun = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        stop_server(own_postgres)
        down = time.monotonic()
        time.sleep(3)
        start_server(own_postgres)
        up = time.monotonic()
        time.sleep(max(0.0, begun + 7 - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        log_lines = log.read_text().splitlines()[lines_before:]

    statuses = [status for _, status, _, _ in answers]
    slowest = max(seconds for _, _, seconds, _ in answers)
    first_200_after = min((started + seconds for started, status, seconds, _ in answers
                           if status == 200 and started >= up), default=None)
    figures = (f"{len(answers)} requests, {statuses.count(200)} answered 200, {statuses.count(503)} answered 503, "
               f"others {sorted(set(statuses) - {200, 503})}, slowest {slowest:.2f} s, outage {up - down:.1f} s, "
               f"{len(log_lines)} log lines")
    print(figures)
    print("\n".join(log_lines))
    assert set(statuses) <= {200, 503}, figures
    assert statuses.count(503) >= 4 and statuses.count(200) >= 20, figures  # the outage was seen, and service
    assert slowest < 10, figures
    assert not no_retry_after, no_retry_after
    assert first_200_after is not None and first_200_after - up < 3, figures
    assert all(status == 200 for started, status, _, _ in answers if started >= up + 3), figures
    assert not [line for line in log_lines if "Traceback" in line or " ERROR" in line], "\n".join(log_lines)
    assert len(log_lines) <= 40, "\n".join(log_lines)
    with site.app_context():
        db.session.remove()
        body = db.session.scalar(select(Article.body).where(Article.id == article_id))
    assert body == "Acknowledged before the restart.\n"


# ---- what a worker holds for later (core.batch) -----------------------------------------------------------

def test_a_batch_keeps_its_items_bounded_while_the_database_is_away_and_writes_them_when_it_is_back(
        monkeypatch, caplog):
    from flask import Flask
    from sqlalchemy.exc import OperationalError

    from core import batch
    monkeypatch.setattr(batch, "MAX_HELD", 5)
    written, down = [], [True]

    def write(items):
        if down[0]:
            raise OperationalError("INSERT", {}, psycopg.OperationalError("connection failed: Connection refused"))
        written.extend(items)

    held = batch.Batch(Flask("outage"), "article view counts", 0, write)
    caplog.set_level(logging.WARNING)
    for n in range(8):
        held.add(n)
    assert held.held() == 5 and written == []  # the newest five kept, the three oldest dropped and said so
    assert caplog.text.count("1 of the oldest items dropped") == 3  # one at each try here (interval 0)
    assert "not written yet (5 items kept for the next try): connection failed: Connection refused" in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
    down[0] = False
    held.add(8)
    assert written == [3, 4, 5, 6, 7, 8] and held.held() == 0  # the five kept, in order, and the new one
