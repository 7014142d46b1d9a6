"""Articles that name HTML tags in prose, through the real stack: every word on the page and in search,
the preview exactly as published, the editor's warning, and `flask kb rerender` for stored articles."""
import re

from accounts.auth import find_user
from core.db import db
from kb import categories
from kb.models import Article
from kb.search import changes
from kb.search import index as search_index

ISSUE = "Put the code in the <script> tag of the page.\n\nThen restart the router and call the customer back.\n"
SWALLOWED = "<p>Put the code in the </p>"  # what the old renderer stored for ISSUE


def body_of(page_text: str) -> str:
    return re.search(r'<div class="body">(.*?)</div>', page_text, re.S)[1]


def hits(client, words: str) -> list[str]:
    answer = client.get("/search", query_string={"q": words})
    assert answer.status_code == 200
    return re.findall(r'class="hit-title"[^>]*>(.*?)</a>', answer.text)


def kb(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=["kb", *args])
    assert result.exit_code == 0, result.output
    db.session.remove()
    return result.output


def test_an_article_naming_the_script_tag_shows_every_word_on_its_page_and_in_search(client, login_as, make_article):
    made = make_article(title="Router restarts", body=ISSUE)
    login_as("staff")
    page = client.get(f"/kb/articles/{made.id}")
    assert body_of(page.text) == ("<p>Put the code in the &lt;script&gt; tag of the page.</p>\n"
                                  "<p>Then restart the router and call the customer back.</p>")
    assert hits(client, "call the customer back") == ["Router restarts"]
    assert hits(client, "script tag") == ["Router restarts"]


def _editor_form(client, login_as, make_article, body: str, button: str):
    """The new-article form sent with `button` (preview or save), by an editor logged in the first time."""
    editor = find_user("ed")
    if editor is None:
        editor = login_as("editor", "ed")
        make_article(title="Seed for the category", category="Customer care")
    return client.submit("/kb/articles/new", {
        "title": "Naming tags", "type": "faq", "body": body, "category_id": categories.by_path("Customer care").id,
        "audience": "staff", "language": "en", "owner_id": editor.id, button: button.title()},
        token_from="/kb/articles/new")


def test_the_preview_is_exactly_what_is_published(client, login_as, make_article):
    body = ("Fill in the <textarea> field, press <kbd>Enter</kbd>.\r\n\r\n<title>x</title> and </div>\r\n\r\n"
            "1. Step\r\n\r\n   ```\r\n   <b>code</b>\r\n   ```\r\n")
    preview = _editor_form(client, login_as, make_article, body, "preview")
    assert preview.status_code == 200
    shown = body_of(preview.text.split('class="preview"', 1)[1])
    assert "&lt;textarea&gt; field, press <kbd>Enter</kbd>" in shown
    assert "<pre><code>&lt;b&gt;code&lt;/b&gt;" in shown
    saved = _editor_form(client, login_as, make_article, body, "save")
    assert saved.status_code == 302
    assert body_of(client.get(saved.headers["Location"]).text) == shown


def test_the_editor_warns_of_html_shown_as_text_on_preview_and_after_save(client, login_as, make_article):
    preview = _editor_form(client, login_as, make_article, "Use the <title> tag and <script>, <kbd>K</kbd>.", "preview")
    assert "Readers will see this HTML as text" in preview.text
    assert "&lt;title&gt;, &lt;script&gt;." in preview.text
    saved = _editor_form(client, login_as, make_article, "Use the <title> tag.", "save")
    assert saved.status_code == 302
    article = client.get(saved.headers["Location"])
    assert "Readers will see this HTML as text" in article.text and "&lt;title&gt;." in article.text


def test_the_editor_does_not_warn_of_allowed_html_or_code(client, login_as, make_article):
    preview = _editor_form(client, login_as, make_article, "Press <kbd>K</kbd> in `<script>`.\n", "preview")
    assert preview.status_code == 200
    assert "Readers will see this HTML as text" not in preview.text


def test_the_warning_is_in_the_readers_language(client, login_as, make_article):
    editor = login_as("editor", "ed")
    make_article(title="Seed for the category", category="Customer care")
    client.submit("/language", {"language": "zh", "next": "/"})
    preview = client.submit("/kb/articles/new", {
        "title": "标签", "type": "faq", "body": "把代码放进<script>标签。", "audience": "staff", "language": "zh",
        "category_id": categories.by_path("Customer care").id, "owner_id": editor.id, "preview": "预览"},
        token_from="/kb/articles/new")
    assert "读者会把这些 HTML 看作文字" in preview.text
    assert "&lt;script&gt;" in preview.text


# ---- flask kb rerender ---------------------------------------------------------------------------

def _as_stored_by_the_old_renderer(article_id: int, body_html: str) -> None:
    """The article's HTML (and so its index entry) as an older renderer left them."""
    db.session.execute(Article.__table__.update().where(Article.__table__.c.id == article_id)
                       .values(body_html=body_html))
    changes.mark(db.session(), [article_id])
    db.session.commit()
    search_index.catch_up()


def test_rerender_lists_and_fixes_the_articles_whose_shown_text_changes(app, client, login_as, make_article):
    swallowed = make_article(title="Router restarts", body=ISSUE).id
    untouched = make_article(title="Refunds", body="Refunds take <b>five</b> days.").id
    _as_stored_by_the_old_renderer(swallowed, SWALLOWED)
    version = db.session.get(Article, swallowed).version
    login_as("staff")
    assert hits(client, "call the customer back") == []

    dry = kb(app, "rerender", "--dry-run")
    assert dry.splitlines()[0] == f"{swallowed}\tRouter restarts\t+14 -0 words"
    assert ("2 articles rendered again: the HTML of 1 would change, the words of 1 (+14 -0 words), "
            "the spacing only of 0.") in dry
    assert db.session.get(Article, swallowed).body_html == SWALLOWED

    done = kb(app, "rerender")
    assert done.splitlines()[0] == f"{swallowed}\tRouter restarts\t+14 -0 words"
    assert "Reindexed 1 articles; 0 still pending" in done
    fixed = db.session.get(Article, swallowed)
    assert "call the customer back" in fixed.body_html
    assert fixed.version == version  # nobody edited it: an editor who has it open can still save
    assert db.session.get(Article, untouched).body_html == "<p>Refunds take <b>five</b> days.</p>"
    assert hits(client, "call the customer back") == ["Router restarts"]
    assert search_index.check().any is False

    again = kb(app, "rerender")
    assert again.splitlines()[0] == ("2 articles rendered again: the HTML of 0 changed, the words of 0 (+0 -0 words), "
                                     "the spacing only of 0.")


def test_rerender_updates_html_whose_words_did_not_change_without_listing_it(app, make_article):
    made = make_article(title="Steps", body="1. Open\n\n   ```\n   restart\n   ```\n").id
    db.session.execute(Article.__table__.update().where(Article.__table__.c.id == made)
                       .values(body_html="<ol><li><p>Open</p><p><code>restart</code></p></li></ol>"))
    db.session.commit()
    output = kb(app, "rerender")
    assert output.splitlines()[0] == ("1 articles rendered again: the HTML of 1 changed, the words of 0 (+0 -0 words), "
                                      "the spacing only of 0.")
    assert "Reindexed 0 articles" in output
    assert "<pre><code>restart" in db.session.get(Article, made).body_html


def test_rerender_also_reindexes_entries_the_index_lost_or_holds_stale(app, make_article):
    made = make_article(title="Steps", body="Open the <b>console</b>.").id
    with search_index.search_index().open().writer() as writer:  # as if indexed under older plain-text rules
        writer.delete_by_term("id", str(made))
    assert search_index.check().missing == [made]
    output = kb(app, "rerender")
    assert "Reindexed 1 articles; 0 still pending" in output
    assert search_index.check().any is False
