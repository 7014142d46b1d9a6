"""axe-core on every page of the site, as every role, in the screen and the print styles.

The pages are the GET routes of the authorization matrix (tests/site/test_authorization_matrix.py) that
answer HTML to the role, filled with the demo content (`flask init --demo`), plus the API page
(static/api.html). axe-core is the npm package from the project's own test dependencies (package.json,
installed by `make test` with `npm ci`), injected from node_modules/ into each page: never a CDN.

No serious or critical violation anywhere; a moderate or minor one only if ACCEPTED names it with the reason.
The whole run (findings, pages, time) is written to test-output/accessibility/axe-report.json.
"""
import json
import time
from collections import Counter

from sqlalchemy import text

from core import hooks
from core.db import db
from kb.search import index as search_index
from tests.site.test_authorization_matrix import ROLES, TABLE, url_for_rule
from tests.support.browser import ROOT, log_in, sqlite_only

pytestmark = sqlite_only

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "test-output" / "accessibility" / "axe-report.json"
DEMO_PASSWORD = "servicebook"
STYLES = ("screen", "print")
# Pages that need more than their path to show something: a search that finds the demo articles.
QUERIES = {"search.results": "?q=refund", "kb.diff": "?a=1&b=1"}
# Moderate or minor findings we keep, each with the reason (also in the README's "Accessibility").
ACCEPTED: dict[str, str] = {}
# Which demo row fills each URL argument (the first one, or the one with the most to show).
IDS = {
    "article_id": "SELECT article_id FROM check_questions ORDER BY id LIMIT 1",
    "slug": "SELECT slug FROM articles WHERE id = (SELECT article_id FROM check_questions ORDER BY id LIMIT 1)",
    "category_id": "SELECT category_id FROM articles WHERE id = (SELECT article_id FROM check_questions LIMIT 1)",
    "improvement_id": "SELECT improvement_id FROM root_causes ORDER BY id LIMIT 1",
    "cause_id": "SELECT id FROM root_causes ORDER BY id LIMIT 1",
    "user_id": "SELECT id FROM users WHERE username = 'staff'",
    "path_id": "SELECT id FROM learning_paths ORDER BY id LIMIT 1",
    "synonym_id": "SELECT id FROM search_synonyms ORDER BY id LIMIT 1",
}
PUBLIC = "(SELECT id FROM articles WHERE audience = 'public' AND state = 'published' ORDER BY id LIMIT 1)"
FOR_VISITORS = {  # a visitor who is not logged in sees public articles only
    "article_id": f"SELECT {PUBLIC}",
    "slug": f"SELECT slug FROM articles WHERE id = {PUBLIC}",
    "category_id": f"SELECT category_id FROM articles WHERE id = {PUBLIC}",
}


def demo_site(app) -> dict:
    """The demo content in the test's database and search index; the ids its pages are reached by, for
    people who log in and for visitors."""
    assert AXE.exists(), f"{AXE} is missing: run `make test` (it runs `npm ci`) or `npm ci`."
    hooks.results("demo-content")
    db.session.commit()
    search_index.rebuild()
    ids = {name: db.session.scalar(text(query)) for name, query in IDS.items()}
    return {"anonymous": ids | {name: db.session.scalar(text(query)) for name, query in FOR_VISITORS.items()},
            "logged in": ids}


def pages_for(app, role: str, ids: dict) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET page in the matrix that `role` may open."""
    wanted = []
    for (method, endpoint), allowed in sorted(TABLE.items()):
        if method == "GET" and role in allowed:
            wanted.append((endpoint, url_for_rule(app, endpoint, ids) + QUERIES.get(endpoint, "")))
    return wanted + ([("static api.html", "/static/api.html")] if role == "anonymous" else [])


def run_axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(
        v => ({id: v.id, impact: v.impact, help: v.help,
               targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")), count: v.nodes.length}))""")


def test_no_page_has_a_serious_or_critical_accessibility_violation_for_any_role_or_style(app, chromium,
                                                                                        live_server):
    ids = demo_site(app)
    started = time.monotonic()
    findings, checked, not_html = [], [], set()
    for role in ROLES:
        context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                       locale="en-GB", bypass_csp=True)  # the CSP would refuse the injected axe
        context.set_default_timeout(30_000)
        page = context.new_page()
        if role != "anonymous":
            log_in(page, role, DEMO_PASSWORD)
        for endpoint, url in pages_for(app, role, ids["anonymous" if role == "anonymous" else "logged in"]):
            if "text/html" not in page.request.head(url).headers.get("content-type", ""):
                not_html.add(endpoint)  # JSON, CSV, a download: no page to check
                continue
            answer = page.goto(url)
            assert answer.status < 400, f"{role} {url}: {answer.status}"
            if endpoint == "static api.html":  # drawn by its script from /api/v1/openapi.json
                page.locator(".api-operation").first.wait_for()
            for style in STYLES:
                page.emulate_media(media=style)
                for violation in run_axe(page):
                    findings.append({"role": role, "style": style, "endpoint": endpoint, "url": url, **violation})
                checked.append((role, endpoint, style))
            page.emulate_media(media="screen")
        context.close()
    seconds = round(time.monotonic() - started, 1)

    serious = [f for f in findings if f["impact"] in ("serious", "critical")]
    unexplained = [f for f in findings if f["impact"] not in ("serious", "critical") and f["id"] not in ACCEPTED]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({
        "pages_checked": len(checked), "roles": len(ROLES), "styles": list(STYLES), "seconds": seconds,
        "distinct_pages": len({(endpoint) for _role, endpoint, _style in checked}),
        "by_impact": Counter(f["impact"] for f in findings), "by_rule": Counter(f["id"] for f in findings),
        "not_html": sorted(not_html), "accepted": ACCEPTED, "findings": findings}, indent=1, ensure_ascii=False))
    print(f"axe: {len(checked)} page checks ({len({e for _r, e, _s in checked})} pages x roles x {STYLES}) "
          f"in {seconds} s; {Counter(f['impact'] for f in findings)}")
    assert len(checked) >= 150
    assert serious == [], summary(serious)
    assert unexplained == [], summary(unexplained)


def summary(findings: list[dict]) -> str:
    seen = {}
    for f in findings:
        seen.setdefault((f["impact"], f["id"], f["endpoint"]), []).append(f"{f['role']}/{f['style']}")
    return "\n".join(f"{impact} {rule} on {endpoint} ({', '.join(who[:4])}{'...' if len(who) > 4 else ''})"
                     for (impact, rule, endpoint), who in sorted(seen.items()))
