"""Nothing lost, nothing doubled, against a real SMTP server: the server down then up, one recipient refused,
a sender killed with kill -9 in the middle of a batch, and 10,000 queued notifications sent in one run."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from core.db import db, utcnow
from kb.feedback import service as feedback
from notify import outbox, sender
from notify.models import Notification

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))



def _queue(users, count: int) -> None:
    """`count` notifications to mail at once, spread over `users`, written as events write them."""
    connection, now = db.session.connection(), utcnow()
    rows = []
    for i in range(count):
        user = users[i % len(users)]
        rows += outbox.rows_for(connection, [user.id], "flag_raised",
                                {"article_id": i + 1, "title": f"Article {i}", "reason": "outdated", "by": "sam"},
                                now)
    for start in range(0, len(rows), 1000):
        outbox.write(connection, rows[start:start + 1000])
    db.session.commit()


def _states() -> dict[str, int]:
    return dict(db.session.execute(select(Notification.mail_state, func.count()).group_by(Notification.mail_state))
                .all())


def test_the_server_down_then_up_sends_each_message_once(mail_app, person, make_user, make_article, mailbox):
    owner = person("owner", "editor")
    feedback.flag(make_article(owner=owner), make_user("sam", "staff"), "outdated")
    db.session.commit()
    mailbox.stop()
    now = utcnow()
    report = sender.send_due(now=now, with_reminders=False)
    assert report.sent == 0 and report.retried == 1 and "unavailable" in report.problems[0]
    [waiting] = db.session.scalars(select(Notification)).all()
    db.session.refresh(waiting)
    assert waiting.mail_state == "pending" and waiting.attempts == 1 and waiting.next_attempt_at > now
    mailbox.start()
    assert sender.send_due(now=now + timedelta(seconds=10), with_reminders=False).sent == 0  # backing off
    assert sender.send_due(now=now + timedelta(minutes=2), with_reminders=False).sent == 1
    assert sender.send_due(now=now + timedelta(hours=1), with_reminders=False).sent == 0
    [mail] = mailbox.messages
    db.session.refresh(waiting)
    assert waiting.mail_state == "sent" and mail["Message-ID"] == waiting.message_id


def test_a_server_that_stays_down_gives_up_after_the_last_attempt_and_tells_admins(
        mail_app, person, make_user, make_article, mailbox):
    owner = person("owner", "editor")
    feedback.flag(make_article(owner=owner), make_user("sam", "staff"), "outdated")
    db.session.commit()
    mailbox.stop()
    now = utcnow()
    for attempt in range(mail_app.config["NOTIFY_MAX_ATTEMPTS"]):
        sender.send_due(now=now + timedelta(days=attempt), with_reminders=False)
    [failed] = sender.failed()
    assert failed.attempts == mail_app.config["NOTIFY_MAX_ATTEMPTS"] and "unavailable" in failed.last_error
    mailbox.start()


def test_a_refused_recipient_fails_alone_and_the_others_are_sent(mail_app, person, make_user, make_article, mailbox):
    owners = [person(name, "editor") for name in ("ann", "bob", "cyd")]
    staff = make_user("sam", "staff")
    for owner in owners:
        feedback.flag(make_article(title=f"Article of {owner.username}", owner=owner), staff, "outdated")
    db.session.commit()
    mailbox.refuse = {"bob@example.com"}
    report = sender.send_due(with_reminders=False)
    assert report.sent == 2 and report.failed == 1
    assert sorted(m["To"] for m in mailbox.messages) == ["ann@example.com", "cyd@example.com"]
    [failed] = sender.failed()
    assert failed.user.username == "bob" and failed.last_error.startswith("refused: 550")
    assert sender.send_due(with_reminders=False).sent == 0  # a permanent refusal is not tried again by itself


def _sender_process(database_url: str, port: int, instance) -> subprocess.Popen:
    """`flask notify send` in a process of its own, on the test's database, mailing to the test's server."""
    env = dict(os.environ, DATABASE_URL=database_url, SERVICEBOOK_INSTANCE=str(instance), SECRET_KEY="test",
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), MAIL_DEFAULT_SENDER="servicebook@example.com")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi:create_app()", "notify", "send"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_senders_at_once_send_each_message_once(mail_app, person, mailbox, database_url, tmp_path):
    _queue([person(f"p{i}", "editor") for i in range(5)], 1000)
    senders = [_sender_process(database_url, mailbox.port, tmp_path / f"sender{i}") for i in range(2)]
    outputs = [process.communicate(timeout=240) for process in senders]
    assert [process.returncode for process in senders] == [0, 0], outputs
    ids = Counter(mailbox.message_ids())
    assert len(ids) == 1000 and max(ids.values()) == 1
    assert _states() == {"sent": 1000}


def test_a_sender_killed_mid_batch_sends_no_message_twice(mail_app, person, mailbox, database_url, tmp_path):
    users = [person(f"p{i}", "editor") for i in range(10)]
    total = 1500
    _queue(users, total)
    process = _sender_process(database_url, mailbox.port, tmp_path / "sender")
    deadline = time.monotonic() + 60
    while mailbox.count() < 300 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    assert 300 <= mailbox.count() < total, "the sender was not killed in the middle of its batch"

    report = sender.send_due(with_reminders=False)
    assert report.in_doubt <= 1 and report.recovered > 0
    ids = Counter(mailbox.message_ids())
    assert [i for i, n in ids.items() if n > 1] == []  # no message twice
    states = _states()
    assert states.get("sent", 0) + states.get("failed", 0) == total  # none lost: sent, or shown to admins
    assert states.get("failed", 0) == report.in_doubt
    sent_ids = set(db.session.scalars(select(Notification.message_id).where(Notification.mail_state == "sent")))
    doubt_ids = set(db.session.scalars(select(Notification.message_id).where(Notification.mail_state == "failed")))
    assert sent_ids <= set(ids) and set(ids) <= sent_ids | doubt_ids


def test_ten_thousand_queued_notifications_are_sent_in_one_run(mail_app, person, mailbox, capsys):
    users = [person(f"p{i}", "editor") for i in range(50)]
    _queue(users, 10_000)
    started = time.monotonic()
    report = sender.send_due(with_reminders=False)
    seconds = time.monotonic() - started
    assert report.sent == 10_000 and mailbox.count() == 10_000
    assert len(set(mailbox.message_ids())) == 10_000
    assert _states() == {"sent": 10_000}
    with capsys.disabled():
        print(f"\n10,000 notifications sent in one run on {db.engine.dialect.name}: {seconds:.1f} s "
              f"({10_000 / seconds:.0f} per second)")
    assert seconds < 300
