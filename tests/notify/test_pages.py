"""The notifications page, the unread count in the header, opening and marking read, preferences and the
e-mail address, the admins' list of undelivered mail; every change a POST with CSRF, bad input a 400."""
import re

from sqlalchemy import select

from accounts import auth
from core.db import db
from kb.feedback import service as feedback
from notify import inbox
from notify.models import Notification, Preference
from tests.conftest import PASSWORD


def _flagged(make_user, make_article, owner):
    staff = auth.find_user("sam") or make_user("sam", "staff")
    article = make_article(title="Refund rules", owner=owner)
    feedback.flag(article, staff, "outdated")
    db.session.commit()
    return article


def _unread_in_header(page: str) -> str | None:
    found = re.search(r'class="badge unread">(\d+)<', page)
    return found.group(1) if found else None


def test_the_header_counts_unread_and_opening_one_marks_it_read_and_leads_to_the_fix(client, login_as, make_user,
                                                                                    make_article, no_server_errors):
    owner = login_as("editor", "owner")
    _flagged(make_user, make_article, owner)
    page = client.get("/").text
    assert _unread_in_header(page) == "1"
    inbox_page = client.get("/notifications").text
    assert "sam flagged “Refund rules”: Outdated." in inbox_page
    [n] = db.session.scalars(select(Notification)).all()
    answer = client.submit(f"/notifications/{n.id}/open", token_from="/notifications")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/kb/flags")
    assert _unread_in_header(client.get("/").text) is None


def test_mark_read_and_mark_all_read(client, login_as, make_user, make_article, no_server_errors):
    owner = login_as("editor", "owner")
    staff = make_user("sam", "staff")
    for title in ("One", "Two", "Three"):
        feedback.flag(make_article(title=title, owner=owner), staff, "unclear")
    db.session.commit()
    first = db.session.scalars(select(Notification).order_by(Notification.id)).first()
    assert client.submit(f"/notifications/{first.id}/read", token_from="/notifications").status_code == 303
    assert inbox.unread_count(owner) == 2
    answer = client.submit("/notifications/read", token_from="/notifications", follow_redirects=True)
    assert "Notifications marked read: 2." in answer.text and inbox.unread_count(owner) == 0


def test_someone_elses_notification_is_not_found_and_a_missing_token_is_refused(client, login_as, make_user,
                                                                               make_article, no_server_errors):
    owner = make_user("owner", "editor")
    _flagged(make_user, make_article, owner)
    [n] = db.session.scalars(select(Notification)).all()
    login_as("editor", "other")
    assert client.submit(f"/notifications/{n.id}/open", token_from="/notifications").status_code == 404
    assert client.post(f"/notifications/{n.id}/read").status_code == 400
    assert client.post("/notifications/read").status_code == 400
    assert inbox.unread_count(owner) == 1


def test_preferences_and_the_address_are_saved_and_bad_input_is_a_form_error(client, login_as, no_server_errors):
    user = login_as("editor", "owner")
    page = client.get("/notifications/settings").text
    assert "Someone flagged an article I own" in page and "E-mail at once" in page
    form = {"email": " owner@example.com ", "flag_raised": "digest", "review_due": "off"}
    answer = client.submit("/notifications/settings", form, token_from="/notifications/settings")
    assert answer.status_code == 303
    db.session.refresh(user)
    assert user.email == "owner@example.com"
    assert inbox.preferences(user)["flag_raised"] == "digest" and inbox.preferences(user)["review_due"] == "off"
    assert inbox.preferences(user)["action_assigned"] == "now"  # left at its default: no row kept
    assert {p.kind for p in db.session.scalars(select(Preference))} == {"flag_raised", "review_due"}
    bad = client.submit("/notifications/settings", {"email": "not an address", "flag_raised": "now"},
                        token_from="/notifications/settings")
    assert bad.status_code == 400 and "Enter an e-mail address such as name@example.com." in bad.text
    bad = client.submit("/notifications/settings", {"email": "", "flag_raised": "hourly"},
                        token_from="/notifications/settings")
    assert bad.status_code == 400 and "Not a valid choice" in bad.text
    hostile = client.submit("/notifications/settings", {"email": "<script>@x.io", "flag_raised": "now"},
                            token_from="/notifications/settings")
    assert hostile.status_code == 400 and "<script>@" not in hostile.text
    db.session.refresh(user)
    assert user.email == "owner@example.com"


def test_the_pages_are_in_chinese_for_a_chinese_reader(client, login_as, make_user, make_article, no_server_errors):
    owner = login_as("editor", "owner")
    client.submit("/language", {"language": "zh", "next": "/"})
    _flagged(make_user, make_article, owner)
    page = client.get("/notifications").text
    assert "sam 标记了“Refund rules”：内容过时。" in page and "全部标为已读" in page


def test_admins_see_undelivered_mail_and_can_send_it_again(client, login_as, make_user, make_article,
                                                           no_server_errors):
    owner = make_user("owner", "editor")
    _flagged(make_user, make_article, owner)
    n = db.session.scalars(select(Notification)).one()
    n.mail_state, n.last_error, n.attempts = "failed", "refused: 550 No such user here", 1
    db.session.commit()
    login_as("staff", "plain")
    assert client.get("/notifications/undelivered").status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf("/")})
    login_as("admin", "root")
    page = client.get("/notifications/undelivered").text
    assert "refused: 550 No such user here" in page and "Refund rules" in page
    assert "Undelivered e-mails: 1" in client.get("/notifications").text
    client.submit(f"/notifications/{n.id}/send-again", token_from="/notifications/undelivered")
    db.session.refresh(n)
    assert n.mail_state == "pending" and n.attempts == 0


def test_people_admin_and_the_command_give_users_an_address(app, client, login_as, no_server_errors):
    login_as("admin", "root")
    answer = client.submit("/admin/users/new", {"username": "ann", "display_name": "Ann", "roles": ["staff"],
                                                "password": PASSWORD, "email": "ann@example.com"},
                           token_from="/admin/users/new")
    assert answer.status_code == 302 and auth.find_user("ann").email == "ann@example.com"
    bad = client.submit("/admin/users/new", {"username": "bo", "roles": ["staff"], "password": PASSWORD,
                                             "email": "bo@"}, token_from="/admin/users/new")
    assert bad.status_code == 400 and auth.find_user("bo") is None
    result = app.test_cli_runner().invoke(args=["users", "create", "cy", "--role", "staff", "--password", PASSWORD,
                                                "--email", "cy@example.com"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert auth.find_user("cy").email == "cy@example.com"
