"""The interface in English and Simplified Chinese: who picks the language, and a complete zh catalogue."""
import os
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from accounts import auth
from core.db import db
from tests.conftest import PASSWORD

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
ZH_PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def read_catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """What `make` does at install time: every .po compiled to its .mo when the .mo is missing or older."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        partial = mo.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as f:
            write_mo(f, read_catalog(po), use_fuzzy=True)
        os.replace(partial, mo)


def choose(client, language: str, **headers):
    return client.post("/language", data={"csrf_token": client.csrf(), "language": language, "next": "/"},
                       headers=headers)


def test_the_home_page_is_in_english_by_default(client):
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "Recently updated" in page.text
    assert "最近更新" not in page.text


def test_a_chinese_browser_gets_the_chinese_interface(client):
    page = client.get("/", headers=CHINESE)
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text
    assert "最近更新" in page.text
    assert "知识库" in page.text
    assert "Recently updated" not in page.text


def test_a_visitors_choice_wins_over_the_browser_language(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ENGLISH["Accept-Language"]
    assert "Recently updated" in client.get("/").text
    answer = choose(client, "zh")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/")
    page = client.get("/")
    assert "最近更新" in page.text
    assert "Recently updated" not in page.text

    choose(client, "en", **CHINESE)
    assert "Recently updated" in client.get("/", headers=CHINESE).text


def test_a_logged_in_users_choice_is_kept_with_the_user(app, client, login_as):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ENGLISH["Accept-Language"]
    login_as("staff", "wang.fang")
    choose(client, "zh")
    assert "最近更新" in client.get("/").text
    db.session.remove()
    assert auth.find_user("wang.fang").locale == "zh"

    # Another browser, English again, logs in as the same user: the saved choice applies.
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = ENGLISH["Accept-Language"]
    assert "Recently updated" in other.get("/").text
    assert other.submit("/login", {"username": "wang.fang", "password": PASSWORD},
                        token_from="/login").status_code == 302
    assert "最近更新" in other.get("/").text


@pytest.mark.parametrize("language", ["fr", "", "zh-TW", "ZH"])
def test_an_unknown_language_is_refused(app, client, login_as, language):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ENGLISH["Accept-Language"]
    login_as("staff", "li.lei")
    choose(client, language)
    page = client.get("/")
    assert "Recently updated" in page.text
    assert '<html lang="en">' in page.text
    db.session.remove()
    assert auth.find_user("li.lei").locale is None

    choose(client, "zh")
    choose(client, language)
    assert "最近更新" in client.get("/").text
    db.session.remove()
    assert auth.find_user("li.lei").locale == "zh"


def test_the_chinese_catalogue_has_every_message_of_the_template():
    template = {m.id for m in read_catalog(TEMPLATE) if m.id}
    catalog = {m.id for m in read_catalog(ZH_PO) if m.id}
    assert template - catalog == set(), "run `make translations` and translate the new entries"
    assert catalog - template == set(), "run `make translations` to drop the entries no longer used"


def test_every_chinese_message_is_translated_and_none_is_fuzzy():
    catalog = read_catalog(ZH_PO)
    messages = [m for m in catalog if m.id]
    assert messages
    assert [m.id for m in messages if m.fuzzy] == []
    untranslated = [m.id for m in messages
                    if not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert untranslated == []
    wrong_plurals = [m.id for m in messages if m.pluralizable and len(m.string) != catalog.num_plurals]
    assert wrong_plurals == []
    assert [(m.id, errors) for m, errors in catalog.check()] == []


def test_every_placeholder_of_a_message_is_kept_in_its_translation():
    for message in read_catalog(ZH_PO):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = {name for text in ids for name in PLACEHOLDER.findall(text)}
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == wanted, (message.id, text)
