"""Feedback journeys in real Chromium against the site under gunicorn (2 workers), on SQLite: staff find an
article, say it did not help and flag it; the owner fixes it and resolves the flag; staff see the outcome.
A quality lead opens an improvement from the content-health page.

Screenshots: test-output/screenshots/<test-name>-<step>.png.
"""
import re

from playwright.sync_api import expect

from tests.support.browser import log_in, log_out, sqlite_only

pytestmark = sqlite_only

BODY = "## Issue\n\nA customer asks for a refund.\n\n## Resolution\n\nRefund within 30 days of delivery.\n"


def search_for(page, words: str) -> None:
    box = page.get_by_role("banner").get_by_label("Search articles")
    box.fill(words)
    box.press("Enter")


def test_staff_flag_an_article_the_owner_fixes_it_and_the_flagger_sees_the_outcome(
        page, screenshot, make_user, make_article):
    olga = make_user("olga", "editor")
    make_article(title="Refund rules", body=BODY, owner=olga)
    make_user("sam", "staff")

    log_in(page, "sam")
    page.goto("/")
    search_for(page, "refund")
    page.locator("ol.hit-list").get_by_role("link", name="Refund rules").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refund rules")
    article_url = page.url
    feedback = page.locator("section#feedback")
    expect(feedback.get_by_role("heading", name="Did this help?")).to_be_visible()
    expect(feedback.get_by_role("link", name="Edit it now")).to_have_count(0)
    screenshot(page, "article")

    feedback.get_by_label("Comment (optional)").fill("The limit is 60 days since March.")
    feedback.get_by_role("button", name="No", exact=True).click()
    expect(page.locator("p.flash-success").first).to_contain_text("your answer is recorded")
    expect(feedback.locator(".my-vote")).to_contain_text("No")
    expect(feedback.locator(".my-vote")).to_contain_text("The limit is 60 days since March.")

    feedback.get_by_text("Flag a problem with this article").click()  # opens the <details>
    feedback.get_by_label("What is wrong?").select_option(label="Outdated")
    feedback.get_by_label("What should change? (optional)").fill("Say 60 days, not 30.")
    screenshot(page, "flag-form")
    feedback.get_by_role("button", name="Send the flag").click()
    expect(page.locator("p.flash-success").first).to_contain_text("Flag sent to olga")
    expect(feedback.locator(".my-open-flag")).to_contain_text("Outdated")
    log_out(page)

    log_in(page, "olga")
    page.get_by_role("navigation").get_by_role("link", name="Flags").click()
    item = page.locator("section.flag-item", has_text="Refund rules")
    expect(item).to_contain_text("Say 60 days, not 30.")
    expect(item).to_contain_text("No revision since the flagged one yet")
    screenshot(page, "queue")
    item.get_by_role("link", name="Edit it now").click()
    page.get_by_label("Body (Markdown)").fill(BODY.replace("30 days", "60 days"))
    page.get_by_label("Change note").fill("The limit is 60 days")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("p.flash-success").first).to_contain_text("Saved as revision 2.")

    page.get_by_role("navigation").get_by_role("link", name="Flags").click()
    item = page.locator("section.flag-item", has_text="Refund rules")
    expect(item.get_by_label("Fixed in revision")).to_have_value("2")
    item.get_by_role("button", name="Mark as fixed").click()
    expect(page.locator("p.flash-success").first).to_contain_text("fixed in revision 2")
    expect(page.get_by_text("No open flag on your articles.")).to_be_visible()
    screenshot(page, "resolved")
    log_out(page)

    log_in(page, "sam")
    search_for(page, "refund")  # once, with the new text (Whoosh's refresh() listed the old one too)
    expect(page.locator("ol.hit-list > li")).to_have_count(1)
    expect(page.locator("ol.hit-list .snippet")).to_contain_text("60 days")
    page.goto(article_url)
    outcome = page.locator("p.flag-outcome")
    expect(outcome).to_contain_text("Your flag (Outdated) was fixed in revision 2 by olga.")
    screenshot(page, "outcome-on-article")
    outcome.get_by_role("link", name="See what changed").click()
    expect(page.locator("tr.diff-added")).to_contain_text("60 days")
    page.goto("/kb/flags/mine")
    expect(page.locator("table.my-flags")).to_contain_text("Fixed in revision 2 by olga")
    screenshot(page, "my-flags")


def test_a_quality_lead_opens_an_improvement_from_unhelpful_answers_on_the_health_page(
        page, screenshot, make_user, make_article):
    from core.db import db
    from kb.feedback import service as feedback
    article = make_article(title="Parcel tracking", body=BODY)
    for n, helpful in enumerate((True, False, False)):
        feedback.vote(article, make_user(f"voter{n}", "staff"), helpful, "" if helpful else "The link is dead.")
    db.session.commit()
    make_user("lena", "quality_lead")

    log_in(page, "lena")
    page.get_by_role("navigation").get_by_role("link", name="Content health").click()
    row = page.locator("section#least-helpful tr", has_text="Parcel tracking")
    expect(row).to_contain_text("33%")
    screenshot(page, "health")
    row.get_by_role("button", name="Open an improvement").click()
    expect(page).to_have_url(re.compile(r"/improvements/\d+$"))
    opened = page.locator("section#origin")
    expect(opened.get_by_role("heading", name="Opened from")).to_be_visible()
    expect(opened.locator("pre.evidence-text")).to_contain_text("2 of 3 answers said it did not help")
    expect(page.get_by_role("link", name="Parcel tracking")).to_be_visible()
    screenshot(page, "improvement")
    page.go_back()
    page.reload()
    expect(page.locator("section#least-helpful tr", has_text="Parcel tracking")).to_contain_text("is open")
