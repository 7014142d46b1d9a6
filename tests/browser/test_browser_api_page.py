"""The API page for people (static/api.html) in real Chromium: it draws every operation of
/api/v1/openapi.json, with its parameters and answers, from the site itself (nothing from another site)."""
import json
import urllib.request

from playwright.sync_api import expect

from tests.support.browser import sqlite_only

pytestmark = sqlite_only


def test_the_api_page_shows_every_operation_of_the_description(page, live_server, screenshot):
    with urllib.request.urlopen(live_server + "/api/v1/openapi.json") as answer:
        described = json.load(answer)
    operations = [(method.upper(), path) for path, ops in described["paths"].items() for method in ops]
    elsewhere = []
    page.on("request", lambda request: None if request.url.startswith(live_server) else elsewhere.append(request.url))
    page.goto("/static/api.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Servicebook API")
    expect(page.locator(".api-operation h3")).to_have_count(len(operations))
    shown = page.locator(".api-operation h3").all_text_contents()
    assert sorted(shown) == sorted(f"{method} {path}" for method, path in operations)  # grouped by tag
    search = page.locator(".api-operation", has=page.get_by_role("heading", name="GET /api/v1/search"))
    expect(search.get_by_role("table", name="Parameters").get_by_role("row")).to_have_count(
        1 + len(described["paths"]["/api/v1/search"]["get"]["parameters"]))
    expect(search.locator(".api-answers dt")).to_contain_text(["200", "400", "401", "403", "405"])
    screenshot(page, "api-page")
    assert elsewhere == []
