"""Changing one's own password at /account/password, and the admins' `flask users password` command."""
import json

import pytest
from sqlalchemy import func, select

from accounts import auth
from core.audit import AuditEvent
from core.db import db
from tests.conftest import PASSWORD

NEW = "a much longer secret 42"
URL = "/account/password"


def _log_in(client, username: str, password: str):
    """The real login form, as a browser posts it."""
    return client.submit("/login", {"username": username, "password": password}, token_from="/login")


def _change(client, current: str, new: str, repeat: str | None = None):
    return client.submit(URL, {"current_password": current, "new_password": new,
                               "repeat": new if repeat is None else repeat}, token_from=URL)


def _hash_of(username: str) -> str:
    with db.engine.connect() as connection:
        return connection.scalar(select(auth.User.password_hash).where(auth.User.username == username))


def _failures_of(username: str) -> int:
    with db.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(auth.LoginFailure)
                                 .where(auth.LoginFailure.username == username))


def _events(action: str) -> list[AuditEvent]:
    db.session.remove()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# ---- the happy path ---------------------------------------------------------------------------------

def test_the_form_is_offered_to_a_logged_in_user(client, login_as):
    login_as("staff", "alice")
    page = client.get(URL)
    assert page.status_code == 200
    assert 'name="current_password"' in page.text
    assert 'autocomplete="new-password"' in page.text


def test_the_header_links_to_the_form_next_to_the_user_name(client, login_as):
    login_as("trainer", "alice")
    assert f'href="{URL}"' in client.get("/").text


def test_a_visitor_is_sent_to_log_in_first(client):
    answer = client.get(URL)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=%2Faccount%2Fpassword"


def test_a_changed_password_logs_in_and_the_old_one_no_longer_does(app, client, login_as):
    login_as("editor", "alice")
    answer = _change(client, PASSWORD, NEW)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    assert "Your password is changed; you were logged out everywhere else." in client.get("/").text

    db.session.remove()
    assert auth.find_user("alice").check_password(NEW)
    client.submit("/logout")
    assert _log_in(client, "alice", PASSWORD).status_code == 401
    assert _log_in(client, "alice", NEW).status_code == 302


def test_a_change_is_audited_without_the_password_or_its_hash(client, login_as):
    user = login_as("staff", "alice")
    _change(client, PASSWORD, NEW)
    events = _events("change_password")
    assert [(e.actor_id, e.entity_type, e.entity_id) for e in events] == [(user.id, "user", user.id)]
    assert events[0].before is None and events[0].after is None
    stored = json.dumps([[e.before, e.after] for e in db.session.scalars(select(AuditEvent))])
    assert NEW not in stored and PASSWORD not in stored
    assert _hash_of("alice") not in stored
    assert "pbkdf2" not in stored and "scrypt" not in stored


# ---- refusals ---------------------------------------------------------------------------------------

# (current, new, repeat, what the page says)
REFUSALS = {
    "wrong current password": ("not my password at all", NEW, NEW, "The current password is wrong."),
    "no current password": ("", NEW, NEW, "This field is required."),
    "too short": (PASSWORD, "short1234", "short1234", "A password has at least 10 characters."),
    "the user name": (PASSWORD, "alice.long", "alice.long", "The password must not be the user name."),
    "the user name in capitals": (PASSWORD, "ALICE.LONG", "ALICE.LONG", "The password must not be the user name."),
    "the current one again": (PASSWORD, PASSWORD, PASSWORD, "The new password must differ from the current one."),
    "repeat differs": (PASSWORD, NEW, NEW + "!", "The two new passwords differ."),
    "no repeat": (PASSWORD, NEW, "", "This field is required."),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_change_says_why_with_400_and_keeps_the_password(client, login_as, case):
    current, new, repeat, message = REFUSALS[case]
    login_as("staff", "alice.long")
    before = _hash_of("alice.long")
    answer = _change(client, current, new, repeat)
    assert answer.status_code == 400
    assert message in answer.text
    assert _hash_of("alice.long") == before
    assert _events("change_password") == []
    client.submit("/logout")
    assert _log_in(client, "alice.long", PASSWORD).status_code == 302


def test_a_wrong_current_password_counts_as_a_failed_login(client, login_as):
    login_as("staff", "alice")
    _change(client, "not my password at all", NEW)
    assert _failures_of("alice") == 1


def test_a_refused_new_password_is_not_counted_as_a_failed_login(client, login_as):
    login_as("staff", "alice")
    _change(client, PASSWORD, "short")
    _change(client, PASSWORD, NEW, "something else entirely")
    assert _failures_of("alice") == 0


def test_after_five_wrong_current_passwords_even_the_right_one_is_refused_with_429(client, login_as):
    login_as("staff", "alice")
    before = _hash_of("alice")
    for _ in range(5):
        assert _change(client, "not my password at all", NEW).status_code == 400
    answer = _change(client, PASSWORD, NEW)
    assert answer.status_code == 429
    assert "Try again in 15 minutes" in answer.text
    assert _hash_of("alice") == before


def test_wrong_current_passwords_also_block_the_login_form(client, login_as):
    login_as("staff", "alice")
    for _ in range(5):
        _change(client, "not my password at all", NEW)
    client.submit("/logout")
    assert _log_in(client, "alice", PASSWORD).status_code == 429


def test_changing_the_password_without_a_csrf_token_is_refused_and_changes_nothing(client, login_as):
    login_as("staff", "alice")
    before = _hash_of("alice")
    answer = client.post(URL, data={"current_password": PASSWORD, "new_password": NEW, "repeat": NEW})
    assert answer.status_code == 400
    assert "The form expired" in answer.text
    assert _hash_of("alice") == before


# ---- flask users password ---------------------------------------------------------------------------

def _flask(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.remove()
    return result


def test_users_password_sets_the_given_password(app, client, make_user):
    make_user("alice", "staff")
    result = _flask(app, "users", "password", "alice", "--password", NEW)
    assert result.exit_code == 0, result.output
    assert "New password set for alice." in result.output
    assert NEW not in result.output
    assert _log_in(client, "alice", PASSWORD).status_code == 401
    assert _log_in(client, "alice", NEW).status_code == 302


def test_users_password_without_a_password_prints_a_generated_one_that_works(app, client, make_user):
    make_user("alice", "staff")
    result = _flask(app, "users", "password", "alice")
    assert result.exit_code == 0, result.output
    generated = result.output.strip().rsplit(": ", 1)[1]
    assert len(generated) >= 10
    assert _log_in(client, "alice", generated).status_code == 302


def test_users_password_is_audited_without_the_password(app, make_user):
    user = make_user("alice", "staff")
    _flask(app, "users", "password", "alice", "--password", NEW)
    events = _events("set_password")
    assert [(e.actor_id, e.entity_id, e.before, e.after) for e in events] == [(None, user.id, None, None)]


def test_users_password_for_an_unknown_user_fails_and_says_so(app):
    result = _flask(app, "users", "password", "nobody", "--password", NEW)
    assert result.exit_code != 0
    assert "There is no user named 'nobody'." in result.output


def test_users_password_refuses_a_short_password_and_keeps_the_old_one(app, make_user):
    make_user("alice", "staff")
    before = _hash_of("alice")
    result = _flask(app, "users", "password", "alice", "--password", "short")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert _hash_of("alice") == before


def test_changing_the_password_logs_the_user_out_of_their_other_browsers(app, make_user):
    from tests.conftest import Browser
    make_user("dana", "editor")
    app.test_client_class = Browser
    office, phone = app.test_client(), app.test_client()
    for browser in (office, phone):
        browser.submit("/login", {"username": "dana", "password": PASSWORD}, token_from="/login")
    assert phone.get("/kb/articles/new").status_code == 200
    answer = office.submit("/account/password", {"current_password": PASSWORD, "new_password": "a brand new secret",
                                                 "repeat": "a brand new secret"}, token_from="/account/password")
    assert answer.status_code == 302
    assert office.get("/kb/articles/new").status_code == 200      # the browser that changed it stays in
    assert phone.get("/kb/articles/new").status_code == 302       # the other one is sent to log in
