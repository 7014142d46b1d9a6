"""The notification journey in real Chromium against the site under gunicorn (2 workers), mailing to a real
SMTP server: staff flag an article; the owner sees the unread count, opens the notification, fixes the
article and resolves the flag; staff see the outcome the same way. The mail is sent by the workers'
short-lived sender after each commit.

Screenshots: test-output/screenshots/<test-name>-<step>.png.
"""
import re
import time

import pytest
from playwright.sync_api import expect

from accounts import people
from core.db import db
from tests.support.browser import log_in, log_out, sqlite_only

pytestmark = sqlite_only

BODY = "## Issue\n\nA customer asks for a refund.\n\n## Resolution\n\nRefund within 30 days of delivery.\n"


@pytest.fixture
def mail_env(monkeypatch, mailbox):
    """The gunicorn workers mail to the test's SMTP server (their environment is this process's)."""
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(mailbox.port))
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "Servicebook <servicebook@example.com>")
    return mailbox


def _mail_to(box, address: str, count: int = 1, seconds: float = 15):
    deadline = time.monotonic() + seconds
    while len(box.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return box.to(address)


def _with_address(user):
    people.set_email(user, f"{user.username}@example.com", None)
    db.session.commit()
    return user


def test_the_owner_is_told_of_a_flag_fixes_it_and_the_flagger_is_told_the_outcome(
        mail_env, page, screenshot, make_user, make_article):
    olga = _with_address(make_user("olga", "editor"))
    make_article(title="Refund rules", body=BODY, owner=olga)
    _with_address(make_user("sam", "staff"))

    log_in(page, "sam")
    page.goto("/")
    page.get_by_role("banner").get_by_label("Search articles").fill("refund")
    page.get_by_role("banner").get_by_label("Search articles").press("Enter")
    page.locator("ol.hit-list").get_by_role("link", name="Refund rules").click()
    feedback = page.locator("section#feedback")
    feedback.get_by_text("Flag a problem with this article").click()
    feedback.get_by_label("What is wrong?").select_option(label="Outdated")
    feedback.get_by_label("What should change? (optional)").fill("Say 60 days, not 30.")
    feedback.get_by_role("button", name="Send the flag").click()
    expect(page.locator("p.flash-success").first).to_contain_text("Flag sent to olga")
    log_out(page)

    [mail] = _mail_to(mail_env, "olga@example.com")
    assert mail["Subject"] == "Servicebook: sam flagged “Refund rules”: Outdated."

    log_in(page, "olga")
    link = page.get_by_role("navigation").get_by_role("link", name="Notifications")
    expect(link.locator(".badge.unread")).to_contain_text("1")
    screenshot(page, "owner-unread-count")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    screenshot(page, "owner-notifications")
    page.get_by_role("button", name="sam flagged “Refund rules”: Outdated.").click()
    expect(page).to_have_url(re.compile(r"/kb/flags$"))
    expect(page.get_by_role("navigation").locator(".badge.unread")).to_have_count(0)
    item = page.locator("section.flag-item", has_text="Refund rules")
    item.get_by_role("link", name="Edit it now").click()
    page.get_by_label("Body (Markdown)").fill(BODY.replace("30 days", "60 days"))
    page.get_by_label("Change note").fill("The limit is 60 days")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("p.flash-success").first).to_contain_text("Saved as revision 2.")
    page.get_by_role("navigation").get_by_role("link", name="Flags").click()
    page.locator("section.flag-item", has_text="Refund rules").get_by_role("button", name="Mark as fixed").click()
    expect(page.locator("p.flash-success").first).to_contain_text("fixed in revision 2")
    log_out(page)

    [mail] = _mail_to(mail_env, "sam@example.com")
    assert "Your flag on “Refund rules” was resolved: Fixed." in mail.get_body(("plain",)).get_content()

    log_in(page, "sam")
    link = page.get_by_role("navigation").get_by_role("link", name="Notifications")
    expect(link.locator(".badge.unread")).to_contain_text("1")
    link.click()
    page.get_by_role("button", name="Your flag on “Refund rules” was resolved: Fixed.").click()
    expect(page.locator("table.my-flags")).to_contain_text("Fixed in revision 2 by olga")
    screenshot(page, "flagger-outcome")
    assert len(mail_env.messages) == 2  # one message per notification, none twice
