"""Every save is a revision; history, diff and restore; an edit based on an old version is refused."""
import re

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import trail
from core.db import db
from kb import categories, service
from kb.diff import line_diff
from kb.models import Article, Revision


def edit_form(article, **changes):
    fields = {
        "title": article.title, "type": article.type, "summary": article.summary, "body": article.body,
        "category_id": article.category_id, "tags": ", ".join(article.tag_names),
        "audience": article.audience, "language": article.language, "owner_id": article.owner_id,
        "review_by": article.review_by.isoformat() if article.review_by else "",
        "note": "", "base_version": article.version, "save": "Save",
    }
    return fields | changes


def reload(article_id: int) -> Article:
    db.session.remove()
    return db.session.get(Article, article_id)


def test_each_save_through_the_editor_adds_a_revision_with_author_and_note(client, login_as, make_article):
    article = make_article(body="First line.\n")
    editor = login_as("editor")
    answer = client.submit(f"/kb/articles/{article.id}/edit",
                           edit_form(article, body="First line.\nSecond line.\n", note="Add the second step"))
    assert answer.status_code == 302
    revisions = reload(article.id).revisions
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].author_id == editor.id
    assert revisions[1].note == "Add the second step"
    assert revisions[1].body == "First line.\nSecond line.\n"


def test_saving_without_changes_adds_no_revision(client, login_as, make_article):
    article = make_article()
    login_as("editor")
    client.submit(f"/kb/articles/{article.id}/edit", edit_form(article))
    assert len(reload(article.id).revisions) == 1


def test_history_page_lists_every_revision_newest_first(client, login_as, make_article):
    article = make_article(body="one\n")
    login_as("editor")
    for text in ("two\n", "three\n"):
        current = reload(article.id)
        client.submit(f"/kb/articles/{article.id}/edit", edit_form(current, body=text, note=f"to {text.strip()}"))
    page = client.get(f"/kb/articles/{article.id}/history")
    assert page.status_code == 200
    assert page.text.index("to three") < page.text.index("to two") < page.text.index("Created")


def test_diff_between_two_revisions_shows_removed_and_added_lines(client, login_as, make_article):
    article = make_article(body="Greet the customer.\nAsk for the order number.\n")
    login_as("editor")
    client.submit(f"/kb/articles/{article.id}/edit",
                  edit_form(article, body="Greet the customer by name.\nAsk for the order number.\n"))
    page = client.get(f"/kb/articles/{article.id}/diff?a=1&b=2")
    assert page.status_code == 200
    removed = re.search(r'<tr class="diff-removed">.*?</tr>', page.text, re.S).group(0)
    added = re.search(r'<tr class="diff-added">.*?</tr>', page.text, re.S).group(0)
    assert "Greet the customer." in removed
    assert "Greet the customer by name." in added


def test_line_diff_marks_only_changed_lines():
    rows = line_diff("a\nb\nc", "a\nB\nc\nd")
    assert [(r.kind, r.text) for r in rows] == [
        ("same", "a"), ("removed", "b"), ("added", "B"), ("same", "c"), ("added", "d")]


def test_restoring_an_old_revision_makes_it_the_newest_revision(client, login_as, make_article):
    article = make_article(title="Refunds", body="Original procedure.\n")
    login_as("editor")
    client.submit(f"/kb/articles/{article.id}/edit", edit_form(article, body="A wrong change.\n"))
    current = reload(article.id)
    answer = client.submit(f"/kb/articles/{article.id}/revisions/1/restore", {"base_version": current.version})
    assert answer.status_code == 302
    restored = reload(article.id)
    assert restored.body == "Original procedure.\n"
    assert [r.note for r in restored.revisions] == ["Created", "Edited", "Restored revision 1"]
    assert "Original procedure." in restored.body_html


def test_second_editor_with_an_old_version_is_refused_and_keeps_their_text(client, login_as, make_article):
    article = make_article(body="Step one.\n")
    login_as("editor")
    stale = edit_form(article)
    first = client.submit(f"/kb/articles/{article.id}/edit", stale | {"body": "Step one, by Ann.\n"})
    assert first.status_code == 302
    second = client.submit(f"/kb/articles/{article.id}/edit", stale | {"body": "Step one, by Bo.\n"})
    assert second.status_code == 409
    assert "Step one, by Ann." in second.text  # the saved version is shown
    assert "Step one, by Bo." in second.text   # and what the second editor typed is kept in the form
    current = reload(article.id)
    assert current.body == "Step one, by Ann.\n"
    assert len(current.revisions) == 2
    assert f'name="base_version" type="hidden" value="{current.version}"' in second.text


def test_after_a_conflict_the_second_editor_can_save_deliberately(client, login_as, make_article):
    article = make_article(body="Step one.\n")
    login_as("editor")
    stale = edit_form(article)
    client.submit(f"/kb/articles/{article.id}/edit", stale | {"body": "Ann's text.\n"})
    current = reload(article.id)
    merged = client.submit(f"/kb/articles/{article.id}/edit",
                           stale | {"body": "Ann's text.\nBo's text.\n", "base_version": current.version})
    assert merged.status_code == 302
    assert reload(article.id).body == "Ann's text.\nBo's text.\n"


def test_a_save_that_races_another_commit_is_a_conflict_not_an_overwrite(app, make_article, make_user):
    """Two sessions read version 1; the one that flushes second is refused by the version column."""
    article = make_article(body="v1\n")
    author = make_user("ann", "editor")
    other = db.session.get(Article, article.id)
    content = service.ArticleContent.of(other)
    with db.engine.connect() as connection:  # someone else commits version 2 meanwhile
        connection.execute(Article.__table__.update().where(Article.id == article.id)
                           .values(body="theirs\n", version=Article.version + 1))
        connection.commit()
    content.body = "mine\n"
    try:
        service.revise_article(other, other.version, content, author)
    except service.EditConflict:
        pass
    else:
        raise AssertionError("the racing save was not refused")
    db.session.remove()
    assert db.session.scalar(select(Article.body).where(Article.id == article.id)) == "theirs\n"
    assert db.session.scalar(select(Revision.number).where(Revision.article_id == article.id)
                             .order_by(Revision.number.desc()).limit(1)) == 1


def test_state_changes_are_kept_in_the_audit_trail(client, login_as, make_article):
    article = make_article(state="draft")
    login_as("admin")
    client.submit(f"/kb/articles/{article.id}/state", {"action": "submit", "base_version": article.version})
    current = reload(article.id)
    client.submit(f"/kb/articles/{article.id}/state", {"action": "publish", "base_version": current.version})
    assert reload(article.id).state == "published"
    events = [(e.action, e.before, e.after) for e in trail("article", article.id)]
    assert ("submit", {"state": "draft"}, {"state": "review"}) in events
    assert ("publish", {"state": "review"}, {"state": "published"}) in events


def test_a_state_change_from_a_stale_page_is_refused(client, login_as, make_article):
    article = make_article(state="draft")
    login_as("publisher")
    stale_version = article.version
    client.submit(f"/kb/articles/{article.id}/state", {"action": "publish", "base_version": stale_version})
    answer = client.submit(f"/kb/articles/{article.id}/state",
                           {"action": "unpublish", "base_version": stale_version})
    assert answer.status_code == 303
    assert reload(article.id).state == "published"


def test_due_for_review_lists_overdue_articles_of_the_owner(client, login_as, make_article):
    from datetime import timedelta
    owner = login_as("editor")
    make_article(title="Past its review date", owner=owner, review_by=clock.today() - timedelta(days=3))
    make_article(title="Reviewed next year", owner=owner, review_by=clock.today() + timedelta(days=400))
    page = client.get("/kb/review")
    assert "Past its review date" in page.text
    assert "overdue" in page.text
    assert "Reviewed next year" not in page.text


def test_category_paths_are_created_once(app, make_user):
    user = make_user("ann", "editor")
    first = categories.ensure_path("客户服务/投诉", user)
    again = categories.ensure_path("客户服务 / 投诉", user)
    assert first.id == again.id
    assert first.path == "客户服务/投诉"


def test_a_new_article_whose_address_was_taken_at_the_same_moment_keeps_the_text(
        client, login_as, make_article, monkeypatch):
    first = make_article(title="Refund rules")
    editor = login_as("editor")
    monkeypatch.setattr(service, "unique_slug", lambda title, wanted=None: first.slug)  # the race, made certain
    answer = client.submit("/kb/articles/new", {
        "title": "Refund rules", "type": "faq", "summary": "", "body": "Every word I typed.\n",
        "category_id": first.category_id, "tags": "brand-new-tag", "audience": "staff", "language": "en",
        "owner_id": editor.id, "review_by": "", "note": "", "save": "Save"}, token_from="/kb/articles/new")
    assert answer.status_code == 409
    assert "Every word I typed." in answer.text
    assert "press Save again" in answer.text
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Article)) == 1
    assert db.session.get(Article, first.id).body == first.body


def test_the_owner_confirms_a_review_and_the_next_one_is_a_year_away(client, login_as, make_article):
    from datetime import timedelta
    owner = login_as("editor")
    article = make_article(owner=owner, review_by=clock.today() - timedelta(days=2))
    answer = client.submit(f"/kb/articles/{article.id}/reviewed", {"base_version": article.version, "back": "review"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/kb/review"
    confirmed = reload(article.id)
    assert confirmed.review_by == clock.today() + timedelta(days=365)
    assert len(confirmed.revisions) == 1  # a confirmation is not a content revision
    assert "Past" not in client.get("/kb/review").text
    history = client.get(f"/kb/articles/{article.id}/history").text
    assert "confirmed as still right" in history


def test_an_editor_who_does_not_own_the_article_cannot_confirm_its_review(client, login_as, make_article):
    from datetime import date
    article = make_article(review_by=date(2020, 1, 1))
    login_as("editor", "not_the_owner")
    answer = client.submit(f"/kb/articles/{article.id}/reviewed", {"base_version": article.version})
    assert answer.status_code == 403
    assert reload(article.id).review_by == date(2020, 1, 1)


def test_the_history_timeline_shows_who_moved_the_article_through_its_lifecycle(client, login_as, make_article):
    article = make_article(state="draft")
    login_as("publisher", "pat")
    client.submit(f"/kb/articles/{article.id}/state", {"action": "publish", "base_version": article.version})
    page = client.get(f"/kb/articles/{article.id}/history").text
    assert "<title>History: " in page and "<ol" not in page[:page.index("</title>")]
    timeline = page[page.index("Timeline"):]
    assert "published" in timeline and "Draft → Published" in timeline
    assert "pat" in timeline.lower()


def test_an_edit_while_another_process_holds_the_database_is_told_to_try_again(
        app, client, login_as, make_article, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("a database file locked by another process is a SQLite matter")
    import sqlite3
    article = make_article(body="Before.\n")
    login_as("editor")
    db.connect(database_url, busy_seconds=0.2)  # a short wait, so the test does not sit out 5 seconds
    form = edit_form(article, body="During the lock.\n")
    token = client.csrf(f"/kb/articles/{article.id}/edit")
    other_process = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    try:
        answer = client.post(f"/kb/articles/{article.id}/edit", data=form | {"csrf_token": token})
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()
    assert answer.status_code == 503
    assert "The database is busy" in answer.text
    assert "Content-Security-Policy" in answer.headers
    assert reload(article.id).body == "Before.\n"
    assert client.post(f"/kb/articles/{article.id}/edit", data=form | {"csrf_token": token}).status_code == 302
