"""Driving Debian's Chromium with Playwright: where it is, how it starts, logging in and out of the site.

The browser journeys (tests/browser/, fixtures in its conftest) run on SQLite: `pytestmark = sqlite_only`;
the database-specific behaviour is proven by the other tests on both databases.

Chromium is Debian's package (`/usr/bin/chromium`), never a browser Playwright downloads; `make test`
installs it when it is missing. Screenshots go to test-output/screenshots/<test-name>-<step>.png.
"""
import os
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SERVICEBOOK_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# The browser journeys run on SQLite only (overrides conftest's sqlite/postgresql parameters).
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login form; waits until the header names the user."""
    from playwright.sync_api import expect
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def log_out(page) -> None:
    from playwright.sync_api import expect
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
