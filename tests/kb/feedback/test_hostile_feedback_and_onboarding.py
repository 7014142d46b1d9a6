"""Property-based: whatever a client sends to the feedback, flag, content-health, learning-path,
acknowledgement and knowledge-check forms (with a valid CSRF token), the answer is a page or a reason,
never a 500, and the records stay consistent (one vote per person, one acknowledgement per revision)."""
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.db import db
from kb.feedback.models import Flag, Vote
from onboarding import paths
from onboarding.models import Acknowledgement, CheckAttempt
from tests.site.test_hostile_input import FUZZ, SHORT, TEXT, answered_cleanly

NUMBERISH = st.one_of(SHORT, st.sampled_from(["²", "１２", "٣", "1e3", "-0", " 7 ", "1" * 30]))


def once(app, name: str, make):
    """The setup a whole Hypothesis run shares (the app fixture lives for the test, not for each example)."""
    if not hasattr(app, name):
        setattr(app, name, make())
    return getattr(app, name)


def _admin_site(app, login_as, make_article):
    admin = login_as("admin")
    article = make_article(title="Parcel locker", body="## Issue\n\nThe locker does not open.\n")
    path = paths.create_path(paths.PathDetails(title="New staff", role="staff", expected_minutes=30), admin)
    item = paths.add_item(path, path.version, str(article.id), admin)
    db.session.commit()
    return {"article": article.id, "path": path.id, "item": item.id}


@FUZZ
@given(helpful=SHORT, comment=TEXT, reason=SHORT, flag_comment=TEXT)
def test_votes_and_flags_never_fail_and_keep_one_vote_per_person(app, client, login_as, make_article,
                                                                  helpful, comment, reason, flag_comment):
    site = once(app, "_fuzz_site", lambda: _admin_site(app, login_as, make_article))
    article = f"/kb/articles/{site['article']}"
    answers = [client.submit(f"{article}/vote", {"helpful": helpful, "comment": comment}, token_from=article),
               client.submit(f"{article}/flag", {"reason": reason, "comment": flag_comment}, token_from=article),
               client.submit(f"{article}/solved", {"x": comment}, token_from=article)]
    assert all(answered_cleanly(a) for a in answers), [a.status_code for a in answers]
    assert db.session.scalar(select(func.count()).select_from(Vote)) <= 1


@FUZZ
@given(outcome=SHORT, revision=NUMBERISH, note=TEXT, flag_version=NUMBERISH, kind=SHORT, ref=TEXT)
def test_resolving_flags_and_opening_improvements_never_fail(app, client, login_as, make_article,
                                                             outcome, revision, note, flag_version, kind, ref):
    site = once(app, "_fuzz_site", lambda: _admin_site(app, login_as, make_article))
    flag_id = once(app, "_fuzz_flag", lambda: _a_flag(site["article"]))
    answers = [client.submit(f"/kb/flags/{flag_id}/resolve", {"outcome": outcome, "revision": revision,
                             "note": note, "flag_version": flag_version}, token_from="/kb/flags"),
               client.submit("/kb/health/improvement", {"kind": kind, "ref": ref}, token_from="/kb/health")]
    assert all(answered_cleanly(a) for a in answers), [a.status_code for a in answers]
    assert db.session.get(Flag, flag_id).status in ("open", "fixed", "dismissed")


def _a_flag(article_id: int) -> int:
    from accounts import auth
    from kb.feedback import service as feedback
    from kb.models import Article
    flag = feedback.flag(db.session.get(Article, article_id), auth.find_user("admin"), "unclear", "Which locker?")
    db.session.commit()
    return flag.id


@FUZZ
@given(title=TEXT, description=TEXT, role=SHORT, minutes=NUMBERISH, base_version=NUMBERISH, reference=TEXT,
       direction=SHORT, usernames=TEXT, assign_role=SHORT, due=SHORT)
def test_the_learning_path_forms_never_fail(app, client, login_as, make_article, title, description, role,
                                            minutes, base_version, reference, direction, usernames,
                                            assign_role, due):
    site = once(app, "_fuzz_site", lambda: _admin_site(app, login_as, make_article))
    path = f"/onboarding/paths/{site['path']}"
    details = {"title": title, "description": description, "role": role, "expected_minutes": minutes,
               "base_version": base_version}
    answers = [client.submit("/onboarding/paths/new", details, token_from="/onboarding/paths/new"),
               client.submit(f"{path}/edit", details, token_from=path),
               client.submit(f"{path}/items", {"reference": reference, "base_version": base_version}, token_from=path),
               client.submit(f"{path}/items/{site['item']}/move", {"direction": direction, "base_version": base_version},
                             token_from=path),
               client.submit(f"{path}/assignments", {"usernames": usernames, "role": assign_role, "due_on": due},
                             token_from=path)]
    assert all(answered_cleanly(a) for a in answers), [a.status_code for a in answers]


def test_the_check_editor_reads_its_blank_slot_count_as_ascii_digits_only(client, login_as, make_article):
    login_as("trainer")
    edit = f"/kb/articles/{make_article().id}/check/edit"
    for blank in ("²", "１２", "999999999999", "-1", ""):  # '²'.isdigit() is True, and int('²') raised: a 500
        answer = client.submit(edit, {"blank": blank, "more": "Add more questions"}, token_from=edit)
        assert answer.status_code == 200, blank


@FUZZ
@given(revision=NUMBERISH, blank=NUMBERISH, fields=st.dictionaries(
    st.one_of(st.from_regex(r"q[0-9]{1,2}-(text|c[0-9]{1,2}(-correct)?)", fullmatch=True),
              st.from_regex(r"answer-[0-9]{1,3}", fullmatch=True), st.sampled_from(["base", "blank", "check", "more"])),
    st.one_of(TEXT, NUMBERISH), max_size=12))
def test_acknowledging_and_the_knowledge_check_forms_never_fail(app, client, login_as, make_article, revision, blank,
                                                                fields):
    site = once(app, "_fuzz_site", lambda: _admin_site(app, login_as, make_article))
    article = f"/kb/articles/{site['article']}"
    before = db.session.scalar(select(func.count()).select_from(Acknowledgement))
    answers = [client.submit(f"{article}/acknowledge", {"revision_number": revision}, token_from=article),
               client.submit(f"{article}/check/edit", {"blank": blank} | fields, token_from=f"{article}/check/edit"),
               client.submit(f"{article}/check", fields, token_from=article)]
    assert all(answered_cleanly(a) for a in answers), [a.status_code for a in answers]
    acknowledged = db.session.scalar(select(func.count()).select_from(Acknowledgement))
    assert acknowledged - before in (0, 1) and acknowledged <= 1  # one article, one revision: at most one row
    assert db.session.scalar(select(func.count()).select_from(CheckAttempt)) >= 0


def _reuse_site(make_user, make_article) -> tuple[int, str]:
    from accounts import tokens
    article = make_article(title="Parcel locker")
    token = tokens.issue_token(make_user("fuzzer", "staff"))
    db.session.commit()
    return article.id, token


@FUZZ
@given(body=st.one_of(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
                                   lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                                   max_leaves=8),
                      st.fixed_dictionaries({"reference": st.one_of(TEXT, st.integers(), st.none())})))
def test_the_reuse_api_answers_json_and_never_fails(app, client, make_user, make_article, body):
    article_id, token = once(app, "_fuzz_reuse", lambda: _reuse_site(make_user, make_article))
    answer = client.post(f"/api/v1/articles/{article_id}/reuse", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (200, 201, 400) and answer.is_json, answer.status_code
