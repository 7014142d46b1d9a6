"""Knowledge-base journeys in real Chromium against the site under gunicorn (2 workers), on SQLite.

Screenshots of the key pages: test-output/screenshots/<test-name>-<step>.png.
"""
import re
from urllib.parse import urlencode

from playwright.sync_api import expect

from tests.support.browser import log_in, log_out, sqlite_only

pytestmark = sqlite_only

REFUND_BODY = ("## Issue\n\nA customer asks for a refund of a late delivery.\n\n"
               "## Resolution\n\nIssue the refund to the original card within two working days.\n")
REFUND_BODY_ZH = ("## 问题\n\n客户因为快递延误要求退款。\n\n"
                  "## 解决办法\n\n在两个工作日内把退款退回原来的银行卡。\n")


def _search_from_the_page(page, words: str) -> None:
    """Type into the header's search box and press Enter (the form works without JavaScript)."""
    box = page.get_by_role("banner").get_by_label("Search articles")
    box.fill(words)
    box.press("Enter")
    expect(page).to_have_url(re.compile(re.escape("/search?" + urlencode({"q": words})) + "$"))


def test_staff_find_articles_in_english_and_chinese_and_titles_are_suggested_while_typing(
        page, screenshot, make_user, make_article):
    make_article(title="Refund for a late delivery", body=REFUND_BODY)
    make_article(title="延误快递的退款", body=REFUND_BODY_ZH, language="zh")
    make_article(title="Escalation path", body="## Issue\n\nA complaint needs a manager.\n")
    make_user("sam", "staff")
    log_in(page, "sam")
    page.goto("/")

    _search_from_the_page(page, "refund")
    hits = page.locator("ol.hit-list > li")
    expect(hits.get_by_role("link", name="Refund for a late delivery")).to_be_visible()
    expect(hits.locator(".snippet mark").first).to_have_text(re.compile("refund", re.I))
    expect(page.get_by_role("link", name="Escalation path")).to_have_count(0)
    screenshot(page, "results-english")

    _search_from_the_page(page, "退款")
    expect(hits.get_by_role("link", name="延误快递的退款")).to_be_visible()
    expect(hits.locator(".snippet mark").first).to_contain_text("退款")
    screenshot(page, "results-chinese")

    hits.get_by_role("link", name="延误快递的退款").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("延误快递的退款")
    expect(page.locator("article .body")).to_contain_text("退回原来的银行卡")
    screenshot(page, "article-chinese")

    page.goto("/")
    box = page.get_by_role("combobox", name="What does the customer need?")
    box.press_sequentially("escal")
    options = page.locator("ul.suggestions [role=option]")
    expect(options).to_have_text(["Escalation path"])
    expect(box).to_have_attribute("aria-expanded", "true")
    screenshot(page, "suggestions")
    box.press("ArrowDown")
    expect(options.first).to_have_class(re.compile(r"\bactive\b"))
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalation path")
    expect(page).to_have_url(re.compile(r"/kb/articles/\d+"))


def test_an_editor_writes_previews_and_submits_a_publisher_publishes_and_staff_find_it(
        page, screenshot, make_user, make_article):
    make_article(title="How to handle a complaint")  # the category "Customer care" exists
    make_user("eve", "editor")
    make_user("pat", "publisher")
    make_user("sam", "staff")

    log_in(page, "eve")
    page.get_by_role("link", name="New article").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New article")
    page.get_by_label("Title").fill("Gift vouchers instead of a refund")
    page.get_by_label("Summary").fill("When a customer may take a voucher.")
    page.get_by_label("Body (Markdown)").fill(
        "## Issue\n\nA customer prefers a **gift voucher** to a refund.\n\n"
        "## Resolution\n\n1. Check the order.\n2. Issue the voucher for the full amount.\n")
    page.get_by_label("Category").select_option(label="Customer care")
    page.get_by_label("Tags (comma-separated)").fill("vouchers")

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("section.preview")
    expect(preview.get_by_role("heading", name="Preview")).to_be_visible()
    expect(preview.get_by_role("heading", level=1)).to_have_text("Gift vouchers instead of a refund")
    expect(preview.locator("strong")).to_have_text("gift voucher")
    expect(preview.get_by_role("listitem")).to_have_text(["Check the order.", "Issue the voucher for the full amount."])
    expect(page.get_by_label("Title")).to_have_value("Gift vouchers instead of a refund")  # nothing typed is lost
    screenshot(page, "preview")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Draft saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gift vouchers instead of a refund")
    expect(page.locator("article .meta .badge.state-draft")).to_have_text("Draft")
    article_url = page.url
    screenshot(page, "draft")

    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status")).to_contain_text("In review")
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)  # an editor may not publish
    log_out(page)

    log_in(page, "pat")
    page.goto(article_url)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published")
    expect(page.locator("article .meta .badge.state-published")).to_have_text("Published")
    screenshot(page, "published")
    log_out(page)

    log_in(page, "sam")
    page.goto("/")
    _search_from_the_page(page, "voucher")
    page.locator("ol.hit-list").get_by_role("link", name="Gift vouchers instead of a refund").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gift vouchers instead of a refund")
    expect(page.locator("article .body strong")).to_have_text("gift voucher")
    screenshot(page, "found-by-staff")


def test_the_search_results_fit_a_phone_and_the_facets_come_after_the_hits(
        page, screenshot, make_user, make_article):
    make_article(title="Refund for a late delivery", body=REFUND_BODY, tags=["refunds", "delivery"])
    make_article(title="Refund to a closed card account with a very long title that has to wrap on a phone",
                 body=REFUND_BODY, category="Billing/Cards", type="procedure")
    make_article(title="Partial refunds", body="A refund of part of an order.\n", type="faq")
    make_user("sam", "staff")
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, "sam")

    page.goto("/search?q=refund")
    hits = page.locator("section.hits")
    facets = page.get_by_role("complementary", name="Narrow the results")
    expect(hits.locator("ol.hit-list > li")).to_have_count(3)
    expect(facets.get_by_role("heading", name="Type")).to_be_visible()
    screenshot(page, "phone-results")

    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= 375 + 1, f"the page scrolls sideways on a phone: {scroll_width}px wide"
    hits_box, facets_box = hits.bounding_box(), facets.bounding_box()
    assert facets_box["y"] >= hits_box["y"] + hits_box["height"] - 1, (hits_box, facets_box)
    assert facets_box["x"] + facets_box["width"] <= 375 + 1


def test_a_zero_result_search_lets_an_editor_start_an_article_titled_with_the_searched_words(
        page, screenshot, make_user, make_article):
    make_article(title="Refund for a late delivery", body=REFUND_BODY)
    make_user("eve", "editor")
    log_in(page, "eve")
    page.goto("/")

    _search_from_the_page(page, "teleportation pods")
    expect(page.get_by_text("No article matches these words.")).to_be_visible()
    screenshot(page, "zero-results")
    page.get_by_role("link", name="Write an article for this").click()
    expect(page).to_have_url(re.compile(r"/kb/articles/new\?"))
    expect(page.get_by_label("Title")).to_have_value("teleportation pods")
    expect(page.get_by_label("Body (Markdown)")).to_have_value(re.compile(r"^## Issue\n\nteleportation pods\n"))
    screenshot(page, "editor-prefilled")
