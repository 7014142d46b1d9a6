"""Keyboard journeys in real Chromium, no mouse at all: focus moves with Tab (and Shift+Tab), links and buttons
are pressed with Enter or Space, a <details> opens with Enter, a select is chosen by typing. Staff log in,
search, open a result, vote, flag and acknowledge the article; a quality lead runs a phase gate.
"""
import re
from datetime import timedelta

from playwright.sync_api import expect

from core import clock
from core.db import db
from onboarding import paths
from tests.conftest import PASSWORD
from tests.support.browser import sqlite_only

pytestmark = sqlite_only

MOST_TABS = 120  # the header has a dozen links: any control on a page is reached well before this


def tab_to(page, target, backwards: bool = False) -> None:
    """Press Tab until `target` has the focus; fails when the keyboard cannot reach it."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} cannot be reached with the Tab key")


def log_in_by_keyboard(page, username: str) -> None:
    page.goto("/login")
    tab_to(page, page.get_by_label("User name"))
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_staff_search_open_a_result_vote_flag_and_acknowledge_with_the_keyboard_only(
        page, screenshot, make_user, make_article):
    article = make_article(title="Refund a double charge", owner=make_user("olga", "editor"),
                           body="## Issue\n\nThe customer was charged twice.\n\n## Resolution\n\nRefund one charge.\n")
    sam, tara = make_user("sam", "staff"), make_user("tara", "trainer")
    path = paths.create_path(paths.PathDetails(title="First week", role="staff", expected_minutes=20), tara)
    paths.add_item(path, path.version, str(article.id), tara)
    paths.assign(path, [sam], clock.today() + timedelta(days=7), tara, clock.today())
    db.session.commit()

    log_in_by_keyboard(page, "sam")
    tab_to(page, page.get_by_role("banner").get_by_label("Search articles"))
    page.keyboard.type("refund")
    page.keyboard.press("Enter")
    result = page.locator("ol.hit-list").get_by_role("link", name="Refund a double charge")
    tab_to(page, result)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Refund a double charge")

    feedback = page.locator("section#feedback")
    tab_to(page, feedback.get_by_role("button", name="Yes", exact=True))
    page.keyboard.press("Enter")
    expect(page.locator("p.flash-success").first).to_contain_text("your answer is recorded")

    tab_to(page, feedback.get_by_text("Flag a problem with this article"))
    page.keyboard.press("Enter")  # opens the <details>
    tab_to(page, feedback.get_by_label("What is wrong?"))
    page.keyboard.type("Outdated")  # a focused select picks the option its typed name starts
    expect(feedback.get_by_label("What is wrong?")).to_have_value("outdated")
    tab_to(page, feedback.get_by_label("What should change? (optional)"))
    page.keyboard.type("The limit changed to 60 days.")
    tab_to(page, feedback.get_by_role("button", name="Send the flag"))
    page.keyboard.press("Space")
    expect(page.locator("p.flash-success").first).to_contain_text("Flag sent to olga")
    expect(feedback.locator(".my-open-flag")).to_contain_text("Outdated")

    tab_to(page, page.get_by_role("button", name="I have read and understood this"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/onboarding$"))
    expect(page.get_by_role("status")).to_contain_text("revision 1 of Refund a double charge")
    screenshot(page, "acknowledged")


def test_a_quality_lead_runs_a_phase_gate_with_the_keyboard_only(page, screenshot, make_improvement):
    improvement = make_improvement()
    log_in_by_keyboard(page, "lead")
    tab_to(page, page.get_by_role("link", name="Improvements", exact=True))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name=improvement.title))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(improvement.title)
    gate = page.locator("#gate")
    tab_to(page, gate.get_by_role("button", name="Move to Do"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="The improvement stays in Plan:")).to_be_visible()
    expect(page.locator("ol.pdca li.current")).to_have_text("Plan")
    screenshot(page, "gate-refused")
