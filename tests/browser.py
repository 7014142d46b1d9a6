"""Browser-test fixtures: the site under gunicorn, Debian's Chromium driven by Playwright, screenshots.

A test module imports the fixtures it uses (`from browser import live_server, chromium, page, screenshot`)
and marks itself `pytestmark = sqlite_only`: the journeys run on SQLite, the database-specific behaviour
is proven by the other tests on both databases.

Chromium is Debian's package (`/usr/bin/chromium`), never a browser Playwright downloads; `make test`
installs it when it is missing. Screenshots go to test-output/screenshots/<test-name>-<step>.png.
"""
import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("SERVICEBOOK_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PASSWORD = "correct horse battery"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# The browser journeys run on SQLite only (overrides conftest's sqlite/postgresql parameters).
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_gunicorn(app, database_url: str, log: Path):
    """gunicorn with 2 sync workers (and the project's gunicorn.conf.py) on the test's database and
    instance folder; yields (base URL, master process) and stops it gracefully afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env |= {"DATABASE_URL": database_url, "SERVICEBOOK_INSTANCE": app.config["INSTANCE_PATH"],
            "SERVICEBOOK_ENV": "development"}
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(base, process, log)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def live_server(app, database_url, tmp_path):
    """The site under gunicorn on the test's database and instance folder (so its search index is the
    one `make_article` writes to); yields the base URL."""
    with running_gunicorn(app, database_url, tmp_path / "gunicorn.log") as (base, _process):
        yield base


def _wait_until_answering(base: str, process: subprocess.Popen, log: Path) -> None:
    """Until /login answers (a worker's first request may take seconds: imports, jieba's dictionary)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=15).close()
            return
        except OSError:  # refused, reset, timed out (URLError is an OSError too)
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("gunicorn did not start:\n" + log.read_text(), pytrace=False)
            time.sleep(0.1)


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
