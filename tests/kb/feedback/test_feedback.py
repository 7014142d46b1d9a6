"""Feedback on articles through the pages: 'Did this help?', flags and their outcome, 'this solved it' and
reuse through the API."""
import pytest
from sqlalchemy import select

from accounts.tokens import issue_token
from core.db import db
from kb.feedback.models import Flag, Reuse, Vote
from kb.models import Article

PASSWORD = "correct horse battery"
XSS = '<script>alert("flag")</script>'


@pytest.fixture
def signed_in(app, client, make_user):
    """A browser of its own (own cookies) logged in through the form as `username`, made with `roles`."""
    def sign_in(username: str, *roles: str):
        from accounts import auth
        if auth.find_user(username) is None:
            make_user(username, *(roles or ("staff",)))
        browser = app.test_client()
        answer = browser.submit("/login", {"username": username, "password": PASSWORD}, token_from="/login")
        assert answer.status_code == 302, answer.text
        return browser
    return sign_in


def edit_form(article, **changes):
    fields = {"title": article.title, "type": article.type, "summary": article.summary, "body": article.body,
              "category_id": article.category_id, "tags": ", ".join(article.tag_names),
              "audience": article.audience, "language": article.language, "owner_id": article.owner_id,
              "review_by": article.review_by.isoformat() if article.review_by else "",
              "note": "", "base_version": article.version, "save": "Save"}
    return fields | changes


def fresh(model, row_id):
    db.session.remove()
    return db.session.get(model, row_id)


def url(article) -> str:
    return f"/kb/articles/{article.id}"


def only_flag() -> Flag:
    db.session.remove()
    return db.session.scalars(select(Flag)).one()


@pytest.fixture
def owned(make_user, make_article):
    """An article owned by the editor olga, published with one revision."""
    olga = make_user("olga", "editor")
    return make_article(title="Refund rules", body="## Resolution\n\nRefund within 30 days.\n", owner=olga)


# ---- votes --------------------------------------------------------------------------------------

def test_a_vote_is_recorded_with_the_revision_judged_and_counted_on_the_page(owned, signed_in):
    sam = signed_in("sam")
    answer = sam.submit(f"{url(owned)}/vote", {"helpful": "no", "comment": "Says nothing about gift cards."},
                        token_from=url(owned))
    assert answer.status_code == 303
    vote = db.session.scalars(select(Vote)).one()
    assert (vote.helpful, vote.comment, vote.revision_number) == (False, "Says nothing about gift cards.", 1)
    page = sam.get(url(owned)).text
    assert "Your answer:" in page and "<strong>No</strong>" in page and "Says nothing about gift cards." in page
    assert "0 of 1 person found it helpful." in page


def test_answering_again_replaces_the_earlier_vote(owned, signed_in):
    sam = signed_in("sam")
    sam.submit(f"{url(owned)}/vote", {"helpful": "no"}, token_from=url(owned))
    sam.submit(f"{url(owned)}/vote", {"helpful": "yes", "comment": "Found it after all."}, token_from=url(owned))
    db.session.remove()
    votes = list(db.session.scalars(select(Vote)))
    assert [(v.helpful, v.comment) for v in votes] == [(True, "Found it after all.")]
    assert "1 of 1 person found it helpful." in sam.get(url(owned)).text


def test_a_vote_that_is_neither_yes_nor_no_is_refused_with_a_reason(owned, signed_in):
    sam = signed_in("sam")
    answer = sam.submit(f"{url(owned)}/vote", {"helpful": "maybe"}, token_from=url(owned))
    assert answer.status_code == 400 and "Answer yes or no." in answer.text
    too_long = sam.submit(f"{url(owned)}/vote", {"helpful": "no", "comment": "x" * 501}, token_from=url(owned))
    assert too_long.status_code == 400
    assert db.session.scalars(select(Vote)).all() == []


def test_drafts_take_no_feedback(make_article, signed_in):
    draft = make_article(title="Unfinished", state="draft")
    eve = signed_in("eve", "editor")
    assert 'id="feedback"' not in eve.get(url(draft)).text
    assert eve.submit(f"{url(draft)}/vote", {"helpful": "yes"}, token_from=url(draft)).status_code == 404
    assert eve.submit(f"{url(draft)}/flag", {"reason": "wrong"}, token_from=url(draft)).status_code == 404


# ---- flags --------------------------------------------------------------------------------------

def test_a_flag_with_an_unknown_reason_is_refused_with_a_form_error(owned, signed_in):
    sam = signed_in("sam")
    answer = sam.submit(f"{url(owned)}/flag", {"reason": "boring", "comment": "Keep this text."}, token_from=url(owned))
    assert answer.status_code == 400
    assert "Choose the reason from the list." in answer.text and "Keep this text." in answer.text
    assert db.session.scalars(select(Flag)).all() == []


def test_a_flag_comment_longer_than_2000_characters_is_refused(owned, signed_in):
    sam = signed_in("sam")
    answer = sam.submit(f"{url(owned)}/flag", {"reason": "wrong", "comment": "x" * 2001}, token_from=url(owned))
    assert answer.status_code == 400 and "2000" in answer.text
    assert db.session.scalars(select(Flag)).all() == []
    assert sam.submit(f"{url(owned)}/flag", {"reason": "wrong", "comment": "x" * 2000},
                      token_from=url(owned)).status_code == 303


def test_the_flag_loop_staff_flag_the_owner_fixes_it_and_the_flagger_sees_the_outcome(owned, signed_in):
    sam, olga = signed_in("sam"), signed_in("olga")
    flagged = sam.submit(f"{url(owned)}/flag", {"reason": "outdated", "comment": "The limit is 60 days now."},
                         token_from=url(owned), follow_redirects=True)
    assert "Flag sent to olga" in flagged.text
    assert "You flagged this article (Outdated)" in flagged.text
    assert "Waiting for the owner" in sam.get("/kb/flags/mine").text

    queue = olga.get("/kb/flags").text
    assert "Refund rules" in queue and "The limit is 60 days now." in queue and "Flagged by sam" in queue
    assert "No revision since the flagged one yet" in queue

    saved = olga.submit(f"{url(owned)}/edit", edit_form(owned, body="## Resolution\n\nRefund within 60 days.\n",
                                                        note="Limit is 60 days"), token_from=f"{url(owned)}/edit")
    assert saved.status_code == 302
    queue = olga.get("/kb/flags").text
    assert '<option value="2">2 — ' in queue and "Limit is 60 days" in queue
    flag = only_flag()
    resolved = olga.submit(f"/kb/flags/{flag.id}/resolve",
                           {"outcome": "fixed", "revision": "2", "flag_version": flag.version},
                           token_from="/kb/flags", follow_redirects=True)
    assert "Flag resolved: fixed in revision 2. sam will see it." in resolved.text
    assert "No open flag on your articles." in resolved.text

    article_page = sam.get(url(owned)).text
    assert "Your flag (Outdated) was fixed in revision 2 by olga." in article_page
    assert f'href="/kb/articles/{owned.id}/diff?a=1&amp;b=2"' in article_page
    mine = sam.get("/kb/flags/mine").text
    assert "Fixed in revision 2 by olga" in mine and f"/kb/articles/{owned.id}/diff?a=1&amp;b=2" in mine
    assert "Your flag (Outdated)" not in sam.get(url(owned)).text  # seen: the notice shows once
    assert only_flag().outcome_seen


def test_my_flags_marks_a_new_outcome_once(owned, signed_in):
    sam, olga = signed_in("sam"), signed_in("olga")
    sam.submit(f"{url(owned)}/flag", {"reason": "unclear"}, token_from=url(owned))
    flag = only_flag()
    olga.submit(f"/kb/flags/{flag.id}/resolve", {"outcome": "dismissed", "note": "It says 30 days plainly.",
                                                 "flag_version": flag.version}, token_from="/kb/flags")
    first = sam.get("/kb/flags/mine").text
    assert "New" in first and "Dismissed by olga" in first and "It says 30 days plainly." in first
    assert 'class="badge new"' not in sam.get("/kb/flags/mine").text


def test_dismissing_a_flag_needs_a_reason(owned, signed_in):
    sam, olga = signed_in("sam"), signed_in("olga")
    sam.submit(f"{url(owned)}/flag", {"reason": "wrong"}, token_from=url(owned))
    flag = only_flag()
    answer = olga.submit(f"/kb/flags/{flag.id}/resolve", {"outcome": "dismissed", "note": "  ",
                                                          "flag_version": flag.version}, token_from="/kb/flags")
    assert answer.status_code == 400 and "Say why the flag is dismissed" in answer.text
    assert only_flag().status == "open"


def test_fixed_needs_a_revision_newer_than_the_flagged_one(owned, signed_in):
    sam, olga = signed_in("sam"), signed_in("olga")
    sam.submit(f"{url(owned)}/flag", {"reason": "wrong"}, token_from=url(owned))
    flag = only_flag()
    for revision in ("1", "7", ""):
        answer = olga.submit(f"/kb/flags/{flag.id}/resolve",
                             {"outcome": "fixed", "revision": revision, "flag_version": flag.version},
                             token_from="/kb/flags")
        assert answer.status_code == 400 and "one saved after revision 1" in answer.text
    assert only_flag().status == "open"


def test_an_editor_who_does_not_own_the_article_cannot_resolve_its_flag(owned, signed_in):
    sam, eve = signed_in("sam"), signed_in("eve", "editor")
    sam.submit(f"{url(owned)}/flag", {"reason": "wrong"}, token_from=url(owned))
    flag = only_flag()
    assert "Refund rules" not in eve.get("/kb/flags").text
    answer = eve.submit(f"/kb/flags/{flag.id}/resolve", {"outcome": "dismissed", "note": "Not mine but no.",
                                                         "flag_version": flag.version}, token_from="/kb/flags")
    assert answer.status_code == 403 and "Only the article&#39;s owner or a publisher" in answer.text
    assert only_flag().status == "open"


def test_a_publisher_sees_and_resolves_every_flag(owned, signed_in):
    sam, pat = signed_in("sam"), signed_in("pat", "publisher")
    sam.submit(f"{url(owned)}/flag", {"reason": "wrong"}, token_from=url(owned))
    flag = only_flag()
    assert "Refund rules" in pat.get("/kb/flags").text
    answer = pat.submit(f"/kb/flags/{flag.id}/resolve", {"outcome": "dismissed", "note": "Checked with legal.",
                                                         "flag_version": flag.version}, token_from="/kb/flags")
    assert answer.status_code == 303 and only_flag().status == "dismissed"


def test_staff_cannot_open_the_flag_queue_or_resolve(owned, signed_in):
    sam = signed_in("sam")
    sam.submit(f"{url(owned)}/flag", {"reason": "wrong"}, token_from=url(owned))
    flag = only_flag()
    assert sam.get("/kb/flags").status_code == 403
    assert sam.submit(f"/kb/flags/{flag.id}/resolve", {"outcome": "dismissed", "note": "no", "flag_version": 1},
                      token_from=url(owned)).status_code == 403


def test_resolving_a_flag_twice_is_refused_with_a_message(owned, signed_in):
    sam, olga = signed_in("sam"), signed_in("olga")
    sam.submit(f"{url(owned)}/flag", {"reason": "wrong"}, token_from=url(owned))
    flag = only_flag()
    sent = {"outcome": "dismissed", "note": "Correct as it is.", "flag_version": flag.version}
    assert olga.submit(f"/kb/flags/{flag.id}/resolve", sent, token_from="/kb/flags").status_code == 303
    again = olga.submit(f"/kb/flags/{flag.id}/resolve", sent | {"note": "Second thoughts."}, token_from="/kb/flags")
    assert again.status_code == 409
    assert "This flag was resolved already: dismissed by olga." in again.text
    assert only_flag().resolution_note == "Correct as it is."


def test_a_resolution_from_a_page_older_than_the_flag_is_refused(owned, signed_in):
    sam, olga = signed_in("sam"), signed_in("olga")
    sam.submit(f"{url(owned)}/flag", {"reason": "wrong"}, token_from=url(owned))
    flag = only_flag()
    answer = olga.submit(f"/kb/flags/{flag.id}/resolve", {"outcome": "dismissed", "note": "No.",
                                                          "flag_version": flag.version + 1}, token_from="/kb/flags")
    assert answer.status_code == 409 and "changed while you were looking at it" in answer.text
    assert only_flag().status == "open"


def test_editors_see_edit_it_now_first_and_may_still_flag(owned, signed_in):
    eve, sam = signed_in("eve", "editor"), signed_in("sam")
    editor_page = eve.get(url(owned)).text
    assert editor_page.index("Edit it now") < editor_page.index("Did this help?")
    assert "Flag a problem with this article" in editor_page
    staff_page = sam.get(url(owned)).text
    assert "Edit it now" not in staff_page and "Flag a problem with this article" in staff_page
    assert eve.submit(f"{url(owned)}/flag", {"reason": "unclear"}, token_from=url(owned)).status_code == 303


def test_a_script_in_feedback_is_shown_as_text_on_every_page(owned, signed_in):
    sam, olga, pat = signed_in("sam"), signed_in("olga"), signed_in("pat", "publisher")
    sam.submit(f"{url(owned)}/flag", {"reason": "wrong", "comment": XSS}, token_from=url(owned))
    sam.submit(f"{url(owned)}/vote", {"helpful": "no", "comment": XSS}, token_from=url(owned))
    flag = only_flag()
    olga.submit(f"/kb/flags/{flag.id}/resolve", {"outcome": "dismissed", "note": XSS, "flag_version": flag.version},
                token_from="/kb/flags")
    signed_in("sam2").submit(f"{url(owned)}/flag", {"reason": "wrong", "comment": XSS}, token_from=url(owned))
    escaped = "&lt;script&gt;alert(&#34;flag&#34;)&lt;/script&gt;"
    pages = [sam.get(url(owned)).text, sam.get("/kb/flags/mine").text, olga.get("/kb/flags").text,
             pat.get("/kb/health").text]
    for page in pages:
        assert "<script>alert" not in page
    assert all(escaped in page for page in pages)


# ---- reuse --------------------------------------------------------------------------------------

def test_this_solved_it_counts_a_reuse_without_changing_the_article_version(owned, signed_in):
    sam = signed_in("sam")
    answer = sam.submit(f"{url(owned)}/solved", token_from=url(owned), follow_redirects=True)
    assert "Counted: this article solved a case." in answer.text
    article = fresh(Article, owned.id)
    assert article.reuse_count == 1 and article.last_reused_at is not None and article.version == owned.version
    assert article.use_count == article.view_count + 1  # "most used" counts the reuse with the views
    again = sam.submit(f"{url(owned)}/solved", token_from=url(owned), follow_redirects=True)
    assert "Counted already" in again.text and fresh(Article, owned.id).reuse_count == 1
    signed_in("kim").submit(f"{url(owned)}/solved", token_from=url(owned))
    assert fresh(Article, owned.id).reuse_count == 2


def test_the_api_counts_a_reuse_with_a_ticket_reference_once(client, owned, make_user):
    sam = make_user("sam", "staff")
    token = issue_token(sam, "helpdesk")
    db.session.commit()
    api = client
    headers = {"Authorization": f"Bearer {token}"}
    first = api.post(f"/api/v1/articles/{owned.id}/reuse", json={"reference": "TICKET-123"}, headers=headers)
    assert first.status_code == 201 and first.json == {"article": owned.id, "counted": True, "reuse_count": 1}
    repeat = api.post(f"/api/v1/articles/{owned.id}/reuse", json={"reference": "TICKET-123"}, headers=headers)
    assert repeat.status_code == 200 and repeat.json["counted"] is False
    other = api.post(f"/api/v1/articles/{owned.id}/reuse", json={"reference": "TICKET-124"}, headers=headers)
    assert other.json["reuse_count"] == 2
    db.session.remove()
    assert sorted(r.reference for r in db.session.scalars(select(Reuse))) == ["TICKET-123", "TICKET-124"]
    assert {r.source for r in db.session.scalars(select(Reuse))} == {"api"}


@pytest.mark.parametrize("body", [{"reference": "x" * 201}, {"reference": 42}, ["TICKET-1"], "not json"])
def test_the_api_refuses_a_bad_reference_with_a_reason(client, owned, make_user, body):
    token = issue_token(make_user("sam", "staff"), "helpdesk")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    if isinstance(body, str):
        answer = client.post(f"/api/v1/articles/{owned.id}/reuse", data=body, headers=headers,
                             content_type="application/json")
    else:
        answer = client.post(f"/api/v1/articles/{owned.id}/reuse", json=body, headers=headers)
    assert answer.status_code == 400 and answer.json["error"]["reason"]
    assert fresh(Article, owned.id).reuse_count == 0


def test_the_api_answers_404_for_a_draft_and_401_without_a_token(client, make_article, make_user):
    draft = make_article(title="Unfinished", state="draft")
    token = issue_token(make_user("pat", "publisher"), "tool")  # a publisher sees drafts, but they are not reused
    db.session.commit()
    api = client
    assert api.post(f"/api/v1/articles/{draft.id}/reuse",
                    headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert api.post("/api/v1/articles/999999/reuse", headers={"Authorization": f"Bearer {token}"}).status_code == 404
    anonymous = api.post(f"/api/v1/articles/{draft.id}/reuse")
    assert anonymous.status_code == 401, anonymous.text


def test_two_owners_resolving_at_the_same_moment_the_second_is_refused(owned, make_user):
    """Both read the open flag; the other one commits first; the version column refuses the second."""
    from kb.feedback import service as feedback
    flag = feedback.flag(owned, make_user("sam", "staff"), "wrong")
    db.session.commit()
    pat = make_user("pat", "publisher")
    mine = db.session.get(Flag, flag.id)
    with db.engine.connect() as connection:  # someone else dismisses it meanwhile
        connection.execute(Flag.__table__.update().where(Flag.id == flag.id)
                           .values(status="dismissed", resolution_note="Theirs.", version=Flag.version + 1))
        connection.commit()
    with pytest.raises(feedback.AlreadyResolved):
        feedback.resolve_flag(mine, pat, "dismissed", note="Mine.", seen_version=1)
    assert only_flag().resolution_note == "Theirs."
