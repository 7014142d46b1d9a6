"""`flask notify send` from the command line, and the demo: users with addresses at example.com whose demo
content already left them notifications."""
from sqlalchemy import func, select

from accounts import auth, people
from core.db import db
from kb.feedback import service as feedback
from notify.models import Notification


def test_notify_send_mails_what_is_due_and_says_so(mail_app, make_user, make_article, mailbox):
    owner = make_user("owner", "editor")
    people.set_email(owner, "owner@example.com", None)
    feedback.flag(make_article(owner=owner), make_user("sam", "staff"), "outdated")
    db.session.commit()
    result = mail_app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "sent: 1 notifications" in result.output and len(mailbox.messages) == 1


def test_notify_send_exits_1_when_the_mail_server_is_down(mail_app, make_user, make_article, mailbox):
    owner = make_user("owner", "editor")
    people.set_email(owner, "owner@example.com", None)
    feedback.flag(make_article(owner=owner), make_user("sam", "staff"), "outdated")
    db.session.commit()
    mailbox.stop()
    result = mail_app.test_cli_runner().invoke(args=["notify", "send"])
    mailbox.start()
    assert result.exit_code == 1 and "unavailable" in result.output


def test_the_demo_users_have_addresses_and_notifications_waiting(app):
    result = app.test_cli_runner().invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    assert [auth.find_user(role).email for role in auth.ROLES] == [f"{role}@example.com" for role in auth.ROLES]
    waiting = dict(db.session.execute(select(Notification.kind, func.count()).group_by(Notification.kind)).all())
    assert waiting.get("flag_raised", 0) >= 1
