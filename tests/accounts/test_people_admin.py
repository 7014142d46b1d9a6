"""People admin at /admin/users: the list, adding users, changing roles, state and passwords; who may."""
import json

import pytest
from sqlalchemy import func, select

from accounts import auth, people
from core.audit import AuditEvent
from core.db import db
from core.errors import Invalid
from tests.conftest import PASSWORD

NEW = "a fresh start 2025"
NON_ADMINS = ["staff", "editor", "publisher", "trainer", "quality_lead"]


def _log_in(client, username: str, password: str):
    return client.submit("/login", {"username": username, "password": password}, token_from="/login")


def _add(client, username="wang.fang", roles=("editor",), password=NEW, display_name="Wang Fang"):
    return client.submit("/admin/users/new", {"username": username, "display_name": display_name,
                                              "roles": list(roles), "password": password},
                         token_from="/admin/users/new")


def _edit(client, user_id: int, roles=("staff",), active=True, display_name="", new_password=""):
    data = {"display_name": display_name, "roles": list(roles), "new_password": new_password}
    if active:
        data["active"] = "y"
    return client.submit(f"/admin/users/{user_id}", data, token_from=f"/admin/users/{user_id}")


def _person(username: str) -> auth.User | None:
    db.session.remove()
    return auth.find_user(username)


def _user_count() -> int:
    with db.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(auth.User))


def _events(action: str | None = None) -> list[AuditEvent]:
    db.session.remove()
    query = select(AuditEvent).where(AuditEvent.entity_type == "user").order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


@pytest.fixture
def admin(login_as):
    return login_as("admin", "root")


# ---- the list ----------------------------------------------------------------------------------------

def test_the_list_shows_each_users_name_display_name_roles_state_and_creation_date(client, admin, make_user):
    bo = make_user("bo", "publisher", "quality_lead")
    bo.display_name = "Bo Li"
    bo.active = False
    db.session.commit()
    page = client.get("/admin/users")
    assert page.status_code == 200
    row = page.text.split(f'href="/admin/users/{bo.id}"', 1)[1].split("</tr>", 1)[0]
    assert ">bo</a>" in row and "Bo Li" in row
    assert "Publisher" in row and "Quality lead" in row
    assert "inactive" in row
    assert bo.created_at.date().isoformat() in row
    assert f'href="/admin/users/{admin.id}"' in page.text


def test_the_header_shows_people_to_admins_only(client, login_as):
    login_as("publisher", "pub")
    assert 'href="/admin/users"' not in client.get("/").text
    client.submit("/logout")
    login_as("admin", "root")
    assert 'href="/admin/users"' in client.get("/").text


# ---- adding a user ------------------------------------------------------------------------------------

def test_a_user_added_by_an_admin_logs_in_with_the_roles_given(app, client, admin):
    answer = _add(client, "wang.fang", roles=("editor", "trainer"))
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"] == "/admin/users"
    made = _person("wang.fang")
    assert made.roles == {"editor", "trainer"}
    assert made.display_name == "Wang Fang" and made.active

    browser = app.test_client()
    assert _log_in(browser, "wang.fang", NEW).status_code == 302
    assert browser.get("/kb/articles/new").status_code == 200  # editors write
    assert browser.get("/admin/users").status_code == 403


def test_adding_a_user_is_audited_with_the_admin_as_actor_and_no_password(client, admin):
    _add(client, "wang.fang", roles=("editor",))
    made = _person("wang.fang")
    [event] = [e for e in _events("create") if e.entity_id == made.id]
    assert event.actor_id == admin.id
    assert event.after == {"username": "wang.fang", "display_name": "Wang Fang", "roles": ["editor"]}


def test_a_user_name_taken_in_another_case_is_refused(client, admin, make_user):
    make_user("wang.fang", "staff")
    answer = _add(client, "Wang.Fang", roles=("admin",))
    assert answer.status_code == 400
    assert "A user named Wang.Fang exists already." in answer.text
    assert _user_count() == 2
    assert _person("Wang.Fang") is None
    assert _person("wang.fang").roles == {"staff"}


def test_a_new_user_without_a_role_is_refused(client, admin):
    answer = _add(client, "wang.fang", roles=())
    assert answer.status_code == 400
    assert "Choose at least one role." in answer.text
    assert _person("wang.fang") is None


@pytest.mark.parametrize("name", ["wang fang", "wang/fang", "wang@example.com", "王芳", "x" * 81, ""])
def test_a_user_name_of_other_characters_or_length_is_refused(client, admin, name):
    answer = _add(client, name)
    assert answer.status_code == 400
    assert _user_count() == 1


def test_a_user_name_of_80_letters_digits_dots_dashes_and_underscores_is_taken(client, admin):
    name = ("Ab9._-" * 14)[:80]
    assert _add(client, name).status_code == 302
    assert _person(name) is not None


def test_an_initial_password_shorter_than_10_characters_is_refused(client, admin):
    answer = _add(client, "wang.fang", password="short1234")
    assert answer.status_code == 400
    assert "A password has at least 10 characters." in answer.text
    assert _person("wang.fang") is None


def test_adding_a_user_without_a_csrf_token_is_refused(client, admin):
    answer = client.post("/admin/users/new", data={"username": "wang.fang", "roles": ["staff"], "password": NEW})
    assert answer.status_code == 400
    assert _person("wang.fang") is None


# ---- changing a user -----------------------------------------------------------------------------------

def test_an_admin_changes_display_name_roles_and_state_and_it_is_audited(client, admin, make_user):
    bo = make_user("bo", "staff")
    answer = _edit(client, bo.id, roles=("editor", "publisher"), active=False, display_name="Bo Li")
    assert answer.status_code == 302, answer.text
    changed = _person("bo")
    assert (changed.display_name, changed.roles, changed.active) == ("Bo Li", {"editor", "publisher"}, False)
    [event] = _events("update")
    assert (event.actor_id, event.entity_id) == (admin.id, bo.id)
    assert event.before == {"display_name": "", "roles": ["staff"], "active": True}
    assert event.after == {"display_name": "Bo Li", "roles": ["editor", "publisher"], "active": False}


def test_saving_a_user_unchanged_writes_no_audit_event(client, admin, make_user):
    bo = make_user("bo", "staff")
    assert _edit(client, bo.id, roles=("staff",)).status_code == 302
    assert _events("update") == []


def test_the_edit_form_shows_the_users_roles_and_state(client, admin, make_user):
    bo = make_user("bo", "trainer")
    page = client.get(f"/admin/users/{bo.id}")
    assert page.status_code == 200
    assert 'checked id="roles-3" name="roles" type="checkbox" value="trainer"' in page.text
    assert 'value="staff"' in page.text and 'checked id="roles-0"' not in page.text
    assert 'checked id="active"' in page.text


def test_an_admin_cannot_remove_their_own_admin_role(client, admin):
    answer = _edit(client, admin.id, roles=("staff",))
    assert answer.status_code == 400
    assert "You cannot remove your own admin role." in answer.text
    assert _person("root").roles == {"admin"}
    assert _events("update") == []


def test_an_admin_cannot_deactivate_themselves(client, admin):
    answer = _edit(client, admin.id, roles=("admin",), active=False)
    assert answer.status_code == 400
    assert "You cannot deactivate yourself." in answer.text
    assert _person("root").active is True
    assert client.get("/admin/users").status_code == 200


def test_an_admin_may_remove_another_admins_role(client, admin, make_user):
    other = make_user("other", "admin")
    assert _edit(client, other.id, roles=("staff",)).status_code == 302
    assert _person("other").roles == {"staff"}


def test_a_user_left_without_roles_is_refused(client, admin, make_user):
    bo = make_user("bo", "editor")
    answer = _edit(client, bo.id, roles=())
    assert answer.status_code == 400
    assert "Choose at least one role." in answer.text
    assert _person("bo").roles == {"editor"}


def test_an_unknown_role_is_refused(client, admin, make_user):
    bo = make_user("bo", "editor")
    assert _edit(client, bo.id, roles=("wizard",)).status_code == 400
    assert _person("bo").roles == {"editor"}


def test_an_admin_sets_a_new_password_that_replaces_the_old_one(app, client, admin, make_user):
    bo = make_user("bo", "staff")
    assert _edit(client, bo.id, roles=("staff",), new_password=NEW).status_code == 302
    browser = app.test_client()
    assert _log_in(browser, "bo", PASSWORD).status_code == 401
    assert _log_in(browser, "bo", NEW).status_code == 302
    [event] = _events("set_password")
    assert (event.actor_id, event.entity_id, event.before, event.after) == (admin.id, bo.id, None, None)


def test_a_short_new_password_refuses_the_whole_change(client, admin, make_user):
    bo = make_user("bo", "staff")
    answer = _edit(client, bo.id, roles=("editor",), display_name="Bo", new_password="short")
    assert answer.status_code == 400
    assert "A password has at least 10 characters." in answer.text
    kept = _person("bo")
    assert (kept.roles, kept.display_name) == ({"staff"}, "")
    assert kept.check_password(PASSWORD)
    assert _events("update") == []


def test_editing_a_user_that_does_not_exist_is_404(client, admin):
    assert client.get("/admin/users/9999").status_code == 404


def test_editing_a_user_without_a_csrf_token_is_refused(client, admin, make_user):
    bo = make_user("bo", "staff")
    answer = client.post(f"/admin/users/{bo.id}", data={"roles": ["admin"], "active": "y"})
    assert answer.status_code == 400
    assert _person("bo").roles == {"staff"}


# ---- deactivation -------------------------------------------------------------------------------------

def test_deactivating_a_user_ends_their_session_on_the_next_request(app, client, admin, make_user):
    bo = make_user("bo", "editor")
    browser = app.test_client()
    assert _log_in(browser, "bo", PASSWORD).status_code == 302
    assert browser.get("/kb/articles/new").status_code == 200
    assert _edit(client, bo.id, roles=("editor",), active=False).status_code == 302
    answer = browser.get("/kb/articles/new")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")
    assert _log_in(browser, "bo", PASSWORD).status_code == 401


def test_a_deactivated_editor_no_longer_sees_drafts_through_the_open_session(app, client, admin, make_user,
                                                                            make_article):
    draft = make_article(title="Unfinished guidance", state="draft")
    bo = make_user("bo", "editor")
    browser = app.test_client()
    _log_in(browser, "bo", PASSWORD)
    assert browser.get(f"/kb/articles/{draft.id}").status_code == 200
    _edit(client, bo.id, roles=("editor",), active=False)
    assert browser.get(f"/kb/articles/{draft.id}").status_code == 404
    assert "Unfinished guidance" not in browser.get("/").text


# ---- who may ------------------------------------------------------------------------------------------

def _routes(user_id: int) -> list[tuple[str, str, dict]]:
    edit = {"display_name": "Taken over", "roles": ["admin"], "active": "y", "new_password": NEW}
    return [("GET", "/admin/users", {}), ("GET", "/admin/users/new", {}), ("GET", f"/admin/users/{user_id}", {}),
            ("POST", "/admin/users/new", {"username": "intruder", "roles": ["admin"], "password": NEW}),
            ("POST", f"/admin/users/{user_id}", edit)]


def _snapshot() -> tuple:
    with db.engine.connect() as connection:
        return (tuple(connection.execute(select(auth.User.id, auth.User.username, auth.User.display_name,
                                                auth.User.active, auth.User.password_hash).order_by(auth.User.id))),
                tuple(connection.execute(select(auth.UserRole.user_id, auth.UserRole.role)
                                         .order_by(auth.UserRole.user_id, auth.UserRole.role))))


@pytest.mark.parametrize("role", NON_ADMINS)
def test_roles_other_than_admin_get_403_on_every_admin_route(client, login_as, make_user, role):
    victim = make_user("victim", "staff")
    login_as(role, f"{role}-user")
    before = _snapshot()
    for method, url, data in _routes(victim.id):
        answer = client.get(url) if method == "GET" else client.submit(url, data)
        assert answer.status_code == 403, (method, url, answer.status_code)
    assert _snapshot() == before


def test_a_visitor_is_sent_to_log_in_from_every_admin_route(client, make_user):
    victim = make_user("victim", "staff")
    before = _snapshot()
    for method, url, data in _routes(victim.id):
        answer = client.get(url) if method == "GET" else client.submit(url, data)
        assert answer.status_code == 302, (method, url, answer.status_code)
        assert answer.headers["Location"].startswith("/login?next="), (method, url)
    assert _snapshot() == before


# ---- the audit trail ----------------------------------------------------------------------------------

def test_no_audit_event_about_a_user_holds_a_password_or_a_hash(client, admin, make_user):
    _add(client, "wang.fang", roles=("editor",), password=NEW)
    made = _person("wang.fang")
    _edit(client, made.id, roles=("editor", "admin"), display_name="Wang", new_password=NEW + "!")
    hashes = [h for (h,) in db.session.execute(select(auth.User.password_hash))]
    events = _events()
    assert {e.action for e in events} >= {"create", "update", "set_password"}
    stored = json.dumps([[e.before, e.after] for e in events])
    assert not any(secret in stored for secret in [NEW, NEW + "!", PASSWORD, *hashes])
    assert "password" not in stored


# ---- the rules without a request ------------------------------------------------------------------------

def test_update_user_refuses_self_demotion_before_changing_anything(app, make_user):
    root = make_user("root", "admin")
    with pytest.raises(Invalid) as refused:
        people.update_user(root, root, "New name", ["staff"], True)
    assert refused.value.field == "roles"
    assert (root.display_name, root.roles) == ("", {"admin"})


def test_update_user_keeps_the_role_rows_it_does_not_change(app, make_user):
    root = make_user("root", "admin")
    bo = make_user("bo", "editor", "trainer")
    kept = next(row for row in bo.role_rows if row.role == "editor")
    people.update_user(bo, root, "", ["editor", "publisher"], True)
    db.session.commit()
    assert kept in bo.role_rows
    assert _person("bo").roles == {"editor", "publisher"}


def test_create_user_refuses_a_name_taken_in_another_case(app, make_user):
    make_user("alice", "staff")
    with pytest.raises(auth.UserExists):
        auth.create_user("ALICE", ["staff"], NEW)
