"""Browser-journey fixtures: one headless Chromium for the session, a fresh page per test pointed at the
site under gunicorn (conftest's `live_server`), screenshots."""
import re
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session. Missing Chromium is a failure, not a skip: the browser
    journeys are part of the proof."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Run `make test`, "
                    "which installs it (apt-get install chromium fonts-noto-cjk); never `playwright install`.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context (its own cookies) and page, pointed at the live server."""
    from playwright.sync_api import expect
    expect.set_options(timeout=15_000)  # a worker's first search loads jieba: seconds
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """`screenshot(page, "step")` saves test-output/screenshots/<test-name>-<step>.png (full page)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")

    def take(page, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take
