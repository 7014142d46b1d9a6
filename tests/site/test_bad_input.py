"""Bad input through the real forms and URLs: a clear answer (400, 404, 413), nothing written,
what the author typed kept, and never a 500."""
import pytest
from werkzeug.test import stream_encode_multipart

from core.db import db
from kb import categories
from kb.models import Article, Revision
from tests.support.counting import count

NEW = "/kb/articles/new"


@pytest.fixture(autouse=True)
def never_a_server_error(client):
    """Every response in this file is checked: a 500 is a bug whatever the test asserts."""
    answers = []
    original = client.open

    def open_and_keep(*args, **kwargs):
        answer = original(*args, **kwargs)
        answers.append((kwargs.get("method", "GET"), args[0] if args else kwargs.get("path"), answer.status_code))
        return answer

    client.open = open_and_keep
    yield
    assert not [a for a in answers if a[2] >= 500], answers


@pytest.fixture
def editor(login_as):
    return login_as("editor")


@pytest.fixture
def category(editor):
    made = categories.ensure_path("Customer care/Complaints", editor)
    db.session.commit()
    return made


def article_form(editor, category, **changes) -> dict:
    form = {"title": "Customer cannot log in", "type": "knowledge_article", "summary": "Log-in trouble.",
            "body": "## Issue\n\nThe customer cannot log in.\n", "category_id": category.id,
            "tags": "login, account", "audience": "staff", "language": "en", "owner_id": editor.id,
            "review_by": "2027-06-30", "note": "First draft", "save": "Save"}
    return form | changes


def test_a_good_article_form_saves_a_draft(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category), token_from=NEW)
    assert answer.status_code == 302
    assert count(Article) == 1


# ---------------------------------------------------------------- the new-article form

def test_an_empty_title_is_refused_with_a_message_and_nothing_is_saved(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, title="   "), token_from=NEW)
    assert answer.status_code == 400
    assert "The title is empty." in answer.text
    assert count(Article) == 0


def test_an_empty_body_is_refused_with_a_message(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, body="\r\n\r\n"), token_from=NEW)
    assert answer.status_code == 400
    assert "The body is empty." in answer.text
    assert count(Article) == 0


def test_an_unknown_category_is_refused_and_nothing_is_written(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, category_id=99999), token_from=NEW)
    assert answer.status_code == 400
    assert 'class="error"' in answer.text
    assert count(Article) == 0 and count(Revision) == 0


def test_a_body_over_the_character_limit_is_refused_and_the_typed_title_kept(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, title="A very long procedure",
                                             body="a" * 1_200_000), token_from=NEW)
    assert answer.status_code == 400
    assert "the limit is 1,000,000" in answer.text
    assert 'value="A very long procedure"' in answer.text
    assert count(Article) == 0


def test_a_body_of_exactly_the_character_limit_is_saved(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, body="a" * 1_000_000), token_from=NEW)
    assert answer.status_code == 302
    assert count(Article) == 1


def test_a_10_mb_submission_is_refused_as_too_large_and_nothing_is_written(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, body="a" * 10_000_000), token_from=NEW)
    assert answer.status_code == 413
    assert "Too large" in answer.text
    assert "Nothing was saved" in answer.text
    assert count(Article) == 0


def test_forty_tags_are_refused(client, editor, category):
    tags = ", ".join(f"tag{n}" for n in range(40))
    answer = client.submit(NEW, article_form(editor, category, tags=tags), token_from=NEW)
    assert answer.status_code == 400
    assert "At most 20 tags." in answer.text
    assert count(Article) == 0


def test_a_tag_longer_than_40_characters_is_refused(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, tags="x" * 41), token_from=NEW)
    assert answer.status_code == 400
    assert "A tag is longer than 40 characters." in answer.text


def test_an_invalid_review_date_is_refused(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, review_by="2027-02-30"), token_from=NEW)
    assert answer.status_code == 400
    assert count(Article) == 0


def test_a_review_date_that_is_not_a_date_at_all_is_refused(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, review_by="next spring"), token_from=NEW)
    assert answer.status_code == 400
    assert count(Article) == 0


def test_an_owner_id_that_is_not_a_number_is_refused(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, owner_id="alice"), token_from=NEW)
    assert answer.status_code == 400
    assert count(Article) == 0


def test_an_owner_who_is_not_a_user_is_refused(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, owner_id=99999), token_from=NEW)
    assert answer.status_code == 400
    assert count(Article) == 0


def test_a_category_id_that_is_not_a_number_is_refused(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, category_id="care"), token_from=NEW)
    assert answer.status_code == 400
    assert count(Article) == 0


@pytest.mark.parametrize("field, value", [("type", "memo"), ("audience", "everyone"), ("language", "fr")])
def test_a_choice_that_is_not_offered_is_refused(client, editor, category, field, value):
    answer = client.submit(NEW, article_form(editor, category, **{field: value}), token_from=NEW)
    assert answer.status_code == 400
    assert count(Article) == 0


def test_a_title_over_200_characters_is_refused(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, title="t" * 201), token_from=NEW)
    assert answer.status_code == 400
    assert count(Article) == 0


def test_a_nul_character_in_the_body_is_refused_and_nothing_is_written(client, editor, category):
    answer = client.submit(NEW, article_form(editor, category, body="Body\x00text"), token_from=NEW)
    assert answer.status_code == 400
    assert "NUL character" in answer.text
    assert count(Article) == 0


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_written(client, editor, category):
    answer = client.post(NEW, data=article_form(editor, category))
    assert answer.status_code == 400
    assert "The form expired" in answer.text
    assert count(Article) == 0


# ---------------------------------------------------------------- the edit form

def test_an_edit_without_its_base_version_is_refused_with_a_clear_message(client, editor, category, make_article):
    article = make_article(title="Greeting customers", owner=editor, category=category.path)
    answer = client.submit(f"/kb/articles/{article.id}/edit",
                           article_form(editor, category, title="Greeting customers", body="Changed.\n"),
                           token_from=f"/kb/articles/{article.id}/edit")
    assert answer.status_code == 400
    assert "The form lost its version; reload the article." in answer.text
    assert 'value="Greeting customers"' in answer.text
    assert count(Revision) == 1


def test_an_edit_with_a_base_version_that_is_not_a_number_is_refused(client, editor, category, make_article):
    article = make_article(title="Greeting customers", owner=editor, category=category.path)
    answer = client.submit(f"/kb/articles/{article.id}/edit",
                           article_form(editor, category, body="Changed.\n", base_version="one"),
                           token_from=f"/kb/articles/{article.id}/edit")
    assert answer.status_code == 400
    assert "The form lost its version" in answer.text
    assert count(Revision) == 1


def test_an_edit_of_an_article_that_does_not_exist_is_404(client, editor, category):
    answer = client.submit("/kb/articles/999999/edit", article_form(editor, category, base_version=1), token_from=NEW)
    assert answer.status_code == 404


# ---------------------------------------------------------------- URLs

def test_an_article_that_does_not_exist_is_a_404_page(client, editor):
    answer = client.get("/kb/articles/999999")
    assert answer.status_code == 404
    assert "Not found" in answer.text
    assert "Traceback" not in answer.text


def test_a_diff_of_revisions_that_do_not_exist_is_a_400_with_the_reason(client, editor, make_article):
    article = make_article(owner=editor)
    answer = client.get(f"/kb/articles/{article.id}/diff?a=5&b=x")
    assert answer.status_code == 400
    assert "Choose two revisions between 1 and 1." in answer.text


def test_a_diff_with_a_negative_revision_is_a_400(client, editor, make_article):
    article = make_article(owner=editor)
    assert client.get(f"/kb/articles/{article.id}/diff?a=-1&b=1").status_code == 400


def test_a_category_that_does_not_exist_is_a_404_page(client):
    assert client.get("/kb/categories/999999").status_code == 404


def test_a_state_change_without_its_fields_is_a_400(client, editor, make_article):
    article = make_article(owner=editor, state="draft")
    answer = client.submit(f"/kb/articles/{article.id}/state", {}, token_from=f"/kb/articles/{article.id}")
    assert answer.status_code == 400
    assert "The request was incomplete" in answer.text


def test_a_state_change_that_the_lifecycle_does_not_know_is_refused(client, editor, make_article):
    article = make_article(owner=editor, state="draft")
    answer = client.submit(f"/kb/articles/{article.id}/state", {"action": "explode", "base_version": article.version},
                           token_from=f"/kb/articles/{article.id}")
    assert answer.status_code == 400
    assert "Unknown action." in answer.text
    db.session.remove()
    assert db.session.get(Article, article.id).state == "draft"


def test_a_search_with_a_nul_character_is_a_400(client):
    answer = client.get("/search?q=refund%00")
    assert answer.status_code == 400
    assert "NUL character" in answer.text


def test_a_login_with_a_nul_character_is_a_400(client, make_user):
    make_user("alice", "staff")
    answer = client.submit("/login", {"username": "ali\x00ce", "password": "whatever"}, token_from="/login")
    assert answer.status_code == 400


def test_an_article_id_too_large_for_the_database_is_a_404(client, editor):
    assert client.get("/kb/articles/99999999999999999999").status_code == 404


def test_a_diff_with_a_revision_number_too_large_for_the_database_is_a_400(client, editor, make_article):
    article = make_article(owner=editor)
    assert client.get(f"/kb/articles/{article.id}/diff?a=99999999999999999999&b=1").status_code == 400


def test_a_long_body_sent_as_multipart_is_saved_like_a_plain_form(client, editor, category):
    form = article_form(editor, category, body="a" * 600_000) | {"csrf_token": client.csrf(NEW)}
    # encoded in memory: the test client's own encoder leaves a temporary file open past 500 kB
    stream, _, boundary = stream_encode_multipart({k: str(v) for k, v in form.items()}, use_tempfile=False)
    answer = client.post(NEW, data=stream.getvalue(), content_type=f"multipart/form-data; boundary={boundary}")
    assert answer.status_code == 302
    assert count(Article) == 1
