"""Synonyms in real Chromium against the site under gunicorn (2 workers), on SQLite: an editor adds an entry on
the synonym page, and a member of staff finds an article by a word it does not contain; the page in Chinese.

Screenshots: test-output/screenshots/<test-name>-<step>.png.
"""
import re

from playwright.sync_api import expect

from tests.support.browser import log_in, log_out, sqlite_only

pytestmark = sqlite_only


def _search(page, words: str):
    box = page.get_by_role("banner").get_by_label("Search articles")
    box.fill(words)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    return page.locator("ol.hit-list > li")


def _switch_language(page, code: str, button: str) -> None:
    page.locator("#language").select_option(code)
    page.get_by_role("banner").get_by_role("button", name=button).click()


def test_an_editor_adds_a_synonym_and_staff_find_the_article_by_the_other_word(
        page, screenshot, make_user, make_article):
    make_article(title="积分兑换礼品", body="## 问题\n\n客户想用会员积分兑换礼品。\n", language="zh")
    make_user("eve", "editor")
    make_user("sam", "staff")

    log_in(page, "sam")
    expect(_search(page, "顾客")).to_have_count(0)
    log_out(page)

    log_in(page, "eve")
    page.get_by_role("banner").get_by_role("link", name="Searches").click()
    page.get_by_role("link", name="Synonyms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Synonyms")
    expect(page.get_by_text("No synonyms yet")).to_be_visible()
    entry = page.get_by_label("Entry")
    entry.fill("顾客 = ")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("A term is empty")
    expect(entry).to_have_value("顾客 = ")  # what was typed stays
    screenshot(page, "refused")
    entry.fill("顾客 = 客户")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Added: 顾客 = 客户. The next search uses it.")
    expect(page.locator("table.synonyms tbody tr")).to_have_count(1)
    expect(page.locator("table.synonyms tbody td").first).to_have_text("顾客 = 客户")
    screenshot(page, "synonym-page")

    _switch_language(page, "zh", "Switch")
    expect(page.get_by_role("heading", level=1)).to_have_text("同义词")
    expect(page.get_by_text("同义词组：每个词都能找到其他词")).to_be_visible()
    expect(page.get_by_role("button", name="删除 顾客 = 客户")).to_be_visible()
    expect(page.get_by_role("heading", name="添加条目")).to_be_visible()
    screenshot(page, "synonym-page-chinese")
    _switch_language(page, "en", "切换")
    expect(page.get_by_role("heading", level=1)).to_have_text("Synonyms")
    log_out(page)

    log_in(page, "sam")
    hits = _search(page, "顾客")
    expect(hits).to_have_count(1)
    expect(hits.get_by_role("link", name="积分兑换礼品")).to_be_visible()
    screenshot(page, "staff-find-it")
    hits.get_by_role("link", name="积分兑换礼品").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("积分兑换礼品")
