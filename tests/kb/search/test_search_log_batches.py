"""The search log is written in batches outside the search's request (kb/search/log.py, core/batch.py): a
search only adds a row to its worker's batch; no search or click is lost, counted twice or given to another."""
import re
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import current_app

from core.db import db
from kb.search.models import SearchLog


@pytest.fixture
def held(app):
    batch = current_app.extensions["servicebook_search_log"]
    batch.interval = 3600  # written only when the test says (as its timer would)
    yield batch
    batch.write_quietly()
    batch._items.clear()  # a click left waiting: not for the process's exit, when this test's database is gone


def logged() -> dict[str, SearchLog]:
    db.session.expire_all()
    return {row.query: row for row in db.session.query(SearchLog)}


def first_link(page: str) -> str:
    return re.search(r'href="(/kb/articles/[^"]*from_search=[A-Za-z0-9_-]+)"', page).group(1).replace("&amp;", "&")


def test_a_search_waits_in_the_batch_and_a_click_before_it_is_written_still_counts(
        client, login_as, make_article, held):
    article = make_article(title="Refund a gift card", body="Refund the card.")
    login_as("staff")
    link = first_link(client.get("/search?q=refund").text)
    assert client.get(link).status_code == 200  # opened before the search's row exists
    client.get("/api/v1/search?q=teleportation")
    assert logged() == {} and held.held() == 3
    held.write()
    rows = logged()
    assert rows["refund"].clicked_article_id == article.id and rows["refund"].source == "page"
    assert rows["teleportation"].hits == 0 and rows["teleportation"].source == "api"
    assert held.held() == 0 and len(rows) == 2


def test_a_click_counts_once_and_only_for_the_person_who_searched(client, login_as, make_article, held):
    first = make_article(title="Refund a gift card", body="Refund the card.")
    make_article(title="Refund by bank transfer", body="Refund to the bank.")
    login_as("staff", "ann")
    page = client.get("/search?q=refund").text
    link = first_link(page)
    held.write()
    assert client.get(link).status_code == 200
    other = re.findall(r'href="(/kb/articles/[^"]*from_search=[A-Za-z0-9_-]+)"', page)[1].replace("&amp;", "&")
    client.get(other)  # a second result opened from the same search: the first one counts
    held.write()
    assert logged()["refund"].clicked_article_id == first.id
    assert client.submit("/logout").status_code == 302
    login_as("staff", "bo")
    client.get(link)  # someone else's link (shared, or guessed) counts nothing
    held.write()
    assert logged()["refund"].clicked_article_id == first.id and held.held() == 1  # waits, then is dropped


def test_a_click_on_a_token_that_never_comes_is_dropped_after_a_while(client, login_as, make_article, held):
    from kb.search import log as search_log
    article = make_article(title="Refund a gift card", body="Refund the card.")
    login_as("staff")
    client.get(f"/kb/articles/{article.id}?from_search=AAAAAAAAAAAAAAAA")
    held.write()
    assert held.held() == 1
    held._items[0] = held._items[0][:4] + (held._items[0][4] - search_log.CLICK_WAIT_SECONDS - 1,)
    held.write()
    assert held.held() == 0 and logged() == {}


@pytest.mark.parametrize("token", ["1", "x" * 40, "AAAA/AAAAAAAAAAA", "<script>", "ＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡＡ"])
def test_a_malformed_token_is_ignored(client, login_as, make_article, held, token):
    article = make_article(title="Refund a gift card", body="Refund the card.")
    login_as("staff")
    assert client.get(f"/kb/articles/{article.id}", query_string={"from_search": token}).status_code == 200
    assert held.held() == 0


def test_a_gunicorn_worker_stopping_writes_the_searches_it_held(app, make_article, database_url, tmp_path):
    from tests.support.gunicorn import running_gunicorn
    make_article(title="Parcel locker", body="Parcel locker codes.", audience="public")
    (Path(app.config["INSTANCE_PATH"]) / "servicebook.cfg.py").write_text("SEARCH_LOG_FLUSH_SECONDS = 3600\n")
    words = ["parcel", "locker", "codes", "teleportation", "包裹", "parcel locker"]
    with running_gunicorn(app, database_url, tmp_path / "gunicorn.log") as (base, _master):
        for text in words:
            with urllib.request.urlopen(f"{base}/search?q={quote(text)}") as answer:
                assert answer.status == 200
        assert logged() == {}  # held in the workers
    rows = logged()
    assert sorted(rows) == sorted(words)
    assert rows["parcel"].hits == 1 and rows["teleportation"].hits == 0
