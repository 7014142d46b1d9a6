"""Onboarding in real Chromium against the site under gunicorn (2 workers), on SQLite: a trainer builds a
learning path and assigns it; the trainee reads each article, confirms it and sees the path complete.

Screenshots: test-output/screenshots/<test-name>-<step>.png.
"""
import re
from datetime import timedelta

from playwright.sync_api import expect

from core import clock
from tests.support.browser import log_in, log_out, sqlite_only

pytestmark = sqlite_only


def test_a_trainer_builds_and_assigns_a_path_and_the_trainee_reads_confirms_and_completes_it(
        page, screenshot, make_user, make_article):
    greeting = make_article(title="Greeting at the desk", body="## Resolution\n\nSay hello within ten seconds.\n")
    make_article(title="Handling a complaint", body="## Resolution\n\nListen first, then write it down.\n")
    make_user("tara", "trainer")
    make_user("sam", "staff")
    due = (clock.today() + timedelta(days=14)).isoformat()

    log_in(page, "tara")
    page.get_by_role("link", name="Learning paths").click()
    page.get_by_role("link", name="New learning path").click()
    page.get_by_label("Title").fill("Front desk basics")
    page.get_by_label("Description").fill("Your first week at the front desk.")
    page.get_by_label("For the role").select_option(label="Staff")
    page.get_by_label("Expected time (minutes)").fill("30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Front desk basics")

    reference = page.get_by_label("Article (number, link or address)")
    reference.fill(str(greeting.id))
    page.get_by_role("button", name="Add article").click()
    expect(page.get_by_role("status")).to_contain_text("Greeting at the desk added to the path.")
    reference.fill("handling-a-complaint")
    page.get_by_role("button", name="Add article").click()
    expect(page.locator("ol.path-items > li")).to_have_count(2)
    page.get_by_label("People (user names, separated by commas or spaces)").fill("sam")
    page.get_by_label("Due date").fill(due)
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_contain_text(f"Assigned to sam, due by {due}.")
    screenshot(page, "trainer-path")
    log_out(page)

    log_in(page, "sam")
    page.get_by_role("link", name="My onboarding").click()
    expect(page.get_by_role("heading", level=2, name="Front desk basics")).to_be_visible()
    expect(page.get_by_text("0 of 2 done")).to_be_visible()
    expect(page.locator("li.next")).to_contain_text("Greeting at the desk")
    screenshot(page, "my-onboarding-start")

    for title in ("Greeting at the desk", "Handling a complaint"):
        page.locator("li.next").get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        button = page.get_by_role("button", name="I have read and understood this")
        button.scroll_into_view_if_needed()
        if title == "Greeting at the desk":
            screenshot(page, "article-to-confirm")
        button.click()
        expect(page).to_have_url(re.compile(r"/onboarding$"))
        expect(page.get_by_role("status")).to_contain_text(f"revision 1 of {title}")

    expect(page.get_by_text("2 of 2 done")).to_be_visible()
    expect(page.locator(".onboarding-path .badge", has_text="complete")).to_be_visible()
    expect(page.locator("li.next")).to_have_count(0)
    screenshot(page, "my-onboarding-complete")

    log_out(page)
    log_in(page, "tara")
    page.get_by_role("link", name="Learning paths").click()
    page.get_by_role("link", name="Progress").click()
    row = page.locator("table.progress-matrix tbody tr", has=page.get_by_role("rowheader", name=re.compile("sam")))
    expect(row.locator("td")).to_have_text(
        [due, re.compile(r"yes\s*\(2/2\)"), "acknowledged rev 1", "acknowledged rev 1"])
    screenshot(page, "progress-matrix")

    page.get_by_role("link", name="Front desk basics").click()
    page.get_by_role("link", name="Handbook to print").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Front desk basics")
    expect(page.locator(".handbook-toc li")).to_have_text(["Greeting at the desk", "Handling a complaint"])
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    screenshot(page, "handbook-print")
