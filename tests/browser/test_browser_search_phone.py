"""Search on a phone (390 x 844, the size of a common one), as staff use it during a call: the header and
the search box take at most a fifth of the screen, and the first answer with its snippet is in view."""
from playwright.sync_api import expect

from tests.support.browser import log_in, sqlite_only

pytestmark = sqlite_only

PHONE = {"width": 390, "height": 844}


def test_on_a_phone_the_header_and_search_box_take_a_fifth_of_the_screen_and_the_answer_shows(
        chromium, live_server, screenshot, make_user, make_article):
    make_article(title="投诉处理流程", language="zh",
                 body="## 问题\n\n客户投诉。\n\n## 解决方法\n\n" + "先倾听，再致歉，然后登记投诉工单并告知处理时限。" * 6)
    make_article(title="Refund a gift card", body="## Resolution\n\nRefund the gift card to its balance. " * 8)
    make_user("sam", "staff")
    context = chromium.new_context(base_url=live_server, viewport=PHONE, locale="en-GB", is_mobile=True,
                                   has_touch=True)
    page = context.new_page()
    try:
        log_in(page, "sam")
        for question, answer in (("客户投诉怎么处理", "投诉处理流程"), ("how do I refund a gift card", "Refund a gift card")):
            page.goto("/")
            box = page.get_by_role("banner").get_by_label("Search articles")
            box.fill(question)
            box.press("Enter")
            first = page.locator(".hit-title").first
            expect(first).to_have_text(answer)
            search_bottom = page.locator("form.big-search").bounding_box()
            assert search_bottom["y"] + search_bottom["height"] <= PHONE["height"] / 5
            snippet = page.locator(".snippet").first.bounding_box()
            assert snippet["y"] + snippet["height"] <= PHONE["height"]
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways page
            screenshot(page, "phone-" + ("zh" if answer.startswith("投") else "en"))
    finally:
        context.close()
