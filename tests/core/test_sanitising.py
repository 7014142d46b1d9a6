"""Whatever an author types, no script runs: the Markdown renderer, the pages and the headers."""
import html
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.db import db
from core.markdown import render
from kb import categories
from kb.models import Article

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\" alt=\"x\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;vascript:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"&#0000106&#0000097vascript:alert(1)\">x</a>",
    "<a href=\"java&#9;script:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\"java&#x0A;script:alert(1)\">x</a>",
    "<a href=\" &#14; javascript:alert(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"https://evil.example/x.swf\"></object>",
    "<embed src=\"https://evil.example/x.swf\">",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<p onclick=\"alert(1)\">x</p>",
    "<a href=\"https://example.com\" onmouseover=\"alert(1)\">x</a>",
    "<h2 onmouseover=alert(1) id=x>x</h2>",
    "<td onclick=alert(1)>x</td>",
    "<form action=\"https://evil.example\"><input name=q><button>go</button></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">",
    "<base href=\"https://evil.example/\">",
    "<img src=\"x\" alt=\"\" onerror=\"alert(1)\"\">",
    "<img src=\"x\" alt=\"x\"onerror=\"alert(1)\">",
    "<img src='x' title='\"><script>alert(1)</script>'>",
    "<a title=\"x\" href='x' \"onclick=alert(1)>x</a>",
    "## Heading {: onclick=\"alert(1)\" }",
    "[x](https://example.com){: onclick=\"alert(1)\" }",
    "Paragraph\n{: onmouseover=\"alert(1)\" style=\"x\" }",
    "```\n<script>alert(1)</script>\n```\n\n<script>alert(2)</script>",
    "<div class=\"toc\" onclick=\"alert(1)\">x</div>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<!--><script>alert(1)</script>-->",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<template><script>alert(1)</script></template>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<details open ontoggle=alert(1)>",
]

# never in rendered Markdown
FORBIDDEN_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "style", "form", "meta",
                  "link", "base", "svg", "math", "input", "button", "textarea", "select", "applet",
                  "template", "noscript", "video", "audio", "source", "details"}
# never on a whole page (the layout itself has forms, inputs, meta and a stylesheet link)
PAGE_FORBIDDEN_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "style", "base", "svg",
                       "math", "applet", "template", "noscript", "video", "audio", "source", "details"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcdoc", "data", "background",
                  "poster", "srcset"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


def tags_in(markup: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = Tags()
    parser.feed(markup)
    parser.close()
    return parser.found


def url_is_dangerous(value: str | None) -> bool:
    """As a browser's URL parser reads it: entities decoded, tabs and newlines removed wherever they
    are, control characters and spaces stripped from both ends, the scheme compared lowercased.
    (A space inside, as in 'java   script:', makes it a relative path, not a scheme.)"""
    text = re.sub(r"[\t\n\r]", "", html.unescape(value or ""))
    text = text.strip("".join(map(chr, range(0x21)))).lower()
    return text.startswith(BAD_SCHEMES)


def live_html_problems(markup: str, forbidden_tags=FORBIDDEN_TAGS) -> list[str]:
    found = []
    for tag, attrs in tags_in(markup):
        if (tag, attrs) == ("script", [("src", "/static/suggest.js"), ("defer", None)]):
            continue  # the site's own search-as-you-type script, from a file (no inline script runs: CSP)
        if tag in forbidden_tags:
            found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"<{tag} {name}>")
            if name == "style":
                found.append(f"<{tag} style>")
            if name in URL_ATTRIBUTES and url_is_dangerous(value):
                found.append(f"<{tag} {name}={value!r}>")
    return found


def test_the_checker_itself_spots_live_html():
    assert live_html_problems("<script>x</script>") == ["<script>"]
    assert live_html_problems("<img src=x onerror=alert(1)>") == ["<img onerror>"]
    assert len(live_html_problems('<a href=" &#1;&#106;ava\tScript:x">x</a>')) == 1
    assert len(live_html_problems('<a href="JAVA&#x0A;SCRIPT:x">x</a>')) == 1
    assert live_html_problems('<a href="java   script:x">x</a>') == []
    assert live_html_problems("<p><a href=\"https://example.com\">x</a></p>") == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rendered_markdown_has_no_live_html(payload):
    assert live_html_problems(render(payload)) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rendered_markdown_has_no_live_html_inside_a_longer_article(payload):
    text = f"## Issue\n\nBefore {payload} after.\n\n- item {payload}\n\n> {payload}\n\n| a |\n|---|\n| {payload} |\n"
    assert live_html_problems(render(text)) == []


def test_safe_markdown_keeps_its_links_images_and_headings():
    out = render("## Resolution\n\n[guide](https://example.com/guide) ![logo](https://example.com/l.png) "
                 "<mailto:help@example.com>")
    tags = {tag: dict(attrs) for tag, attrs in tags_in(out)}
    assert tags["h2"]["id"] == "resolution"
    assert tags["a"]["href"] in {"https://example.com/guide", "mailto:help@example.com"}
    assert tags["img"]["src"] == "https://example.com/l.png"
    assert "noopener" in tags["a"]["rel"]


# ---- through the real pages ----------------------------------------------------------------------

TITLE_PAYLOAD = "<script>alert('title')</script>"
SUMMARY_PAYLOAD = '"><img src=x onerror=alert(2)>'
TAG_PAYLOAD = "<svg onload=alert(3)>"
BODY_PAYLOAD = ("## Issue\n\n<script>alert(4)</script> <img src=x onerror=alert(5)> "
                "[click](javascript:alert(6)) <a href=\"JaVaScRiPt:alert(7)\">x</a> "
                "<iframe src=\"https://evil.example\"></iframe>\n")


def _create_article_as_editor(client, login_as, make_article):
    editor = login_as("editor", "ed")
    make_article(title="Seed for the category", category="Customer care")
    category_id = categories.by_path("Customer care").id
    answer = client.submit("/kb/articles/new", {
        "title": TITLE_PAYLOAD, "type": "knowledge_article", "summary": SUMMARY_PAYLOAD,
        "body": BODY_PAYLOAD, "category_id": category_id, "tags": f"{TAG_PAYLOAD}, refunds",
        "audience": "staff", "language": "en", "owner_id": editor.id, "note": "<b>note</b>",
        "save": "Save"}, token_from="/kb/articles/new")
    assert answer.status_code == 302, answer.text
    return db.session.scalar(select(Article).where(Article.title == TITLE_PAYLOAD))


def test_article_page_shows_an_authors_script_as_text_not_as_html(client, login_as, make_article):
    created = _create_article_as_editor(client, login_as, make_article)
    assert created is not None
    page = client.get(f"/kb/articles/{created.id}")
    assert page.status_code == 200
    assert live_html_problems(page.text, PAGE_FORBIDDEN_TAGS) == []
    for payload in (TITLE_PAYLOAD, SUMMARY_PAYLOAD, TAG_PAYLOAD, "<script>alert(4)</script>",
                    "<img src=x onerror=alert(5)>"):
        assert payload not in page.text
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page.text
    assert "&lt;svg onload=alert(3)&gt;" in page.text


def test_editor_preview_shows_an_authors_script_as_text_not_as_html(client, login_as, make_article):
    editor = login_as("editor", "ed")
    make_article(title="Seed for the category", category="Customer care")
    page = client.submit("/kb/articles/new", {
        "title": TITLE_PAYLOAD, "type": "knowledge_article", "body": BODY_PAYLOAD,
        "category_id": categories.by_path("Customer care").id, "audience": "staff", "language": "en",
        "owner_id": editor.id, "preview": "Preview"}, token_from="/kb/articles/new")
    assert page.status_code == 200
    assert 'class="preview"' in page.text
    assert live_html_problems(page.text, PAGE_FORBIDDEN_TAGS) == []
    assert TITLE_PAYLOAD not in page.text


def test_history_home_and_search_show_an_authors_script_as_text(client, login_as, make_article):
    created = _create_article_as_editor(client, login_as, make_article)
    for url in (f"/kb/articles/{created.id}/history", "/", "/search?q=script",
                f"/kb/articles/{created.id}/edit"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert live_html_problems(page.text, PAGE_FORBIDDEN_TAGS) == [], url
        assert TITLE_PAYLOAD not in page.text, url


def test_search_words_are_shown_as_text(client):
    page = client.get("/search", query_string={"q": '"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert live_html_problems(page.text, PAGE_FORBIDDEN_TAGS) == []
    assert "&#34;&gt;&lt;script&gt;" in page.text


# ---- headers ------------------------------------------------------------------------------------

def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/", "/login", "/search?q=x", "/kb/articles/999999", "/kb/review"])
def test_every_page_carries_the_security_headers(client, url):
    response = client.get(url)
    csp = _csp(response)
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_article_page_carries_the_security_headers(client, make_article):
    found = make_article(title="Public refund rules", audience="public")
    response = client.get(f"/kb/articles/{found.id}")
    assert response.status_code == 200
    assert "'unsafe-inline'" not in _csp(response)["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_csrf_error_page_carries_the_security_headers(client):
    response = client.post("/logout")
    assert response.status_code == 400
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("problem", "status", "words"), [
    (IntegrityError("INSERT", {}, Exception("duplicate key")), 409, "Someone else saved first"),
    (OperationalError("COMMIT", {}, Exception("database is locked")), 503, "The database is busy"),
])
def test_a_failed_commit_is_answered_with_an_error_page_carrying_the_security_headers(
        client, monkeypatch, problem, status, words):
    def refuse(self):
        raise problem
    monkeypatch.setattr(Session, "commit", refuse)
    response = client.get("/")
    assert response.status_code == status
    assert words in response.text
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
