"""The site under gunicorn with two workers, on each database: sessions, CSRF and edit conflicts hold."""
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.db import db
from kb.models import Article

PASSWORD = "correct horse battery"


@pytest.fixture
def server(live_server):
    """gunicorn, 2 sync workers, a fresh instance folder and (on SQLite) no SECRET_KEY: the workers must agree on one
    (conftest's live_server, also used by the browser tests)."""
    return live_server


class Session:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, path: str, data: dict, token_from: str = "/") -> tuple[int, str]:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(token_from)[1]).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, **data}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as answer:
                self.landed_on = answer.geturl()  # where the redirects ended
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def test_a_login_holds_across_both_workers(server, make_user):
    make_user("ann", "editor")
    browser = Session(server)
    assert browser.post("/login", {"username": "ann", "password": PASSWORD}, token_from="/login")[0] == 200
    answers = [browser.get("/kb/articles/new")[0] for _ in range(20)]
    assert answers == [200] * 20


def test_two_editors_saving_the_same_version_at_once_one_wins_one_is_told(server, make_user, make_article):
    article = make_article(body="Original.\n")
    make_user("ann", "editor")
    make_user("bo", "editor")
    editors = [Session(server), Session(server)]
    for name, browser in zip(("ann", "bo"), editors):
        browser.post("/login", {"username": name, "password": PASSWORD}, token_from="/login")
    form = {"title": article.title, "type": article.type, "summary": "", "category_id": article.category_id,
            "tags": "", "audience": article.audience, "language": article.language,
            "owner_id": article.owner_id, "review_by": "", "note": "", "base_version": article.version,
            "save": "Save"}

    def save(index: int) -> int:
        status, _ = editors[index].post(f"/kb/articles/{article.id}/edit", form | {"body": f"Editor {index}.\n"},
                                        token_from=f"/kb/articles/{article.id}/edit")
        return status

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(save, range(2)))
    assert statuses == [200, 409]  # the winner followed its redirect to the article page
    db.session.remove()
    saved = db.session.get(Article, article.id)
    assert saved.body in ("Editor 0.\n", "Editor 1.\n")
    assert [r.number for r in saved.revisions] == [1, 2]


def test_a_worker_killed_with_sigkill_during_writes_loses_no_acknowledged_edit_and_the_index_catches_up(
        app, database_url, tmp_path, make_user, make_article):
    """Four editors create articles as fast as they can while one gunicorn worker is killed with SIGKILL;
    the master starts a new one. Every article whose save was answered is in the database with its
    title; requests the dead worker held were never answered, so nobody was told they were saved."""
    import os
    import signal
    import subprocess
    import threading
    import time

    from kb.search import index as search_index
    from tests.support.gunicorn import running_gunicorn
    category = make_article(title="Seed", body="seed").category_id
    for n in range(4):
        make_user(f"ed{n}", "editor")
    acknowledged, refused_or_lost = [], []
    stop = threading.Event()

    def edit(n: int, base: str):
        browser = Session(base)
        browser.post("/login", {"username": f"ed{n}", "password": PASSWORD}, token_from="/login")
        count = 0
        while not stop.is_set():
            count += 1
            title = f"Locker note {n}-{count}"
            try:
                status, _ = browser.post("/kb/articles/new", {
                    "title": title, "body": "The parcel locker does not open.", "type": "knowledge_article",
                    "audience": "staff", "language": "en", "owner_id": "1", "category_id": str(category),
                    "save": "Save"}, token_from="/kb/articles/new")
            except OSError:  # the worker died holding this request: no answer, so not acknowledged
                refused_or_lost.append(title)
                continue
            found = re.search(r"/kb/articles/(\d+)", browser.landed_on)
            (acknowledged if status == 200 and found else refused_or_lost).append(
                (title, int(found.group(1))) if found else title)

    with running_gunicorn(app, database_url, tmp_path / "gunicorn.log") as (base, master):
        workers = lambda: set(subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True,
                                             text=True).stdout.split())
        before = workers()
        threads = [threading.Thread(target=edit, args=(n, base)) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        killed = sorted(before)[0]
        os.kill(int(killed), signal.SIGKILL)
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        after = workers()
    assert killed not in after and len(after) == 2  # the master replaced the dead worker
    assert len(acknowledged) >= 10
    db.session.remove()
    for title, article_id in acknowledged:
        stored = db.session.get(Article, article_id)
        assert stored is not None and stored.title == title
    search_index.catch_up()  # what `flask search update` does; the next write would do it too
    assert search_index.pending_count() == 0
    assert not search_index.check().any
