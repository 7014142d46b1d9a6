"""Reminders come from `flask notify send`, once per due date; preferences choose mail at once, a daily digest
grouped by kind, or none; the site shows every notification whatever the choice."""
from datetime import datetime, time, timedelta

from sqlalchemy import select

from core import clock
from core.db import db, utcnow
from improvement import causes_and_actions
from kb.feedback import service as feedback
from notify import inbox, reminders, sender
from notify.models import Notification
from onboarding import paths

TODAY = clock.today()



def _rows(user, kind=None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def test_a_review_reminder_is_written_once_per_due_date_however_often_the_command_runs(app, make_user, make_article):
    owner = make_user("owner", "editor")
    article = make_article(owner=owner, review_by=TODAY + timedelta(days=10))
    make_article(title="Far away", owner=owner, review_by=TODAY + timedelta(days=60))
    assert reminders.write_due(TODAY) == 1
    assert reminders.write_due(TODAY) == 0
    assert reminders.write_due(TODAY + timedelta(days=1)) == 0
    assert [n.params["due"] for n in _rows(owner, "review_due")] == [(TODAY + timedelta(days=10)).isoformat()]
    assert reminders.write_due(TODAY + timedelta(days=11)) == 1  # now overdue: one more, once
    assert reminders.write_due(TODAY + timedelta(days=12)) == 0
    article.review_by = TODAY + timedelta(days=5)  # confirmed again: a new due date, a new reminder
    db.session.commit()
    assert reminders.write_due(TODAY) == 1
    assert [n.kind for n in _rows(owner)] == ["review_due", "review_overdue", "review_due"]


def test_actions_due_soon_and_overdue_remind_their_owner(app, make_user, make_improvement):
    lead = make_user("lead", "quality_lead")
    doer = make_user("doer", "staff")
    improvement = make_improvement(owner=lead, started_on=TODAY - timedelta(days=30))
    for days in (2, -1, 20):
        causes_and_actions.add_action(improvement, causes_and_actions.ActionDetails(
            description=f"in {days} days", kind="corrective", owner_id=doer.id, due_on=TODAY + timedelta(days=days)),
            lead)
    db.session.commit()
    assert reminders.write_due(TODAY) == 2
    assert sorted(n.kind for n in _rows(doer) if n.kind != "action_assigned") == ["action_due", "action_overdue"]


def test_learning_paths_due_and_overdue_remind_the_trainee_and_the_trainer(app, make_user, make_article):
    trainer = make_user("tr", "trainer")
    late, soon = make_user("late", "staff"), make_user("soon", "staff")
    path = paths.create_path(paths.PathDetails(title="New staff", role="staff", expected_minutes=30), trainer)
    paths.add_item(path, path.version, str(make_article().id), trainer)
    paths.assign(path, [late], TODAY + timedelta(days=1), trainer, TODAY)
    paths.assign(path, [soon], TODAY + timedelta(days=5), trainer, TODAY)
    db.session.commit()
    later = TODAY + timedelta(days=3)
    assert reminders.write_due(later) == 3
    assert [n.kind for n in _rows(late)][-1] == "path_overdue"
    assert [n.kind for n in _rows(soon)][-1] == "path_due"
    [told] = _rows(trainer, "trainee_overdue")
    assert told.params["who"] == "late"
    assert reminders.write_due(later) == 0


def test_a_digest_gathers_a_days_notifications_by_kind_in_one_message(
        mail_app, person, make_user, make_article, mailbox):
    owner = person("owner", "editor", locale="zh")
    staff = make_user("sam", "staff")
    inbox.save_preferences(owner, {"flag_raised": "digest"})
    db.session.commit()
    first = make_article(title="Refunds", owner=owner, review_by=TODAY + timedelta(days=3))
    second = make_article(title="Exchanges", owner=owner)
    feedback.flag(first, staff, "outdated")
    feedback.flag(second, staff, "unclear")
    db.session.commit()
    now = utcnow()
    report = sender.send_due(now=now)
    assert report.reminders == 1 and report.sent == 0 and mailbox.messages == []
    tomorrow = datetime.combine(now.date() + timedelta(days=1), time(mail_app.config["NOTIFY_DIGEST_HOUR"], 1))
    report = sender.send_due(now=tomorrow)
    assert report.digests == 1 and report.sent == 3
    [mail] = mailbox.to("owner@example.com")
    text, html = mailbox.parts(mail)
    assert "每日摘要（3 条）" in mail["Subject"]
    assert text.index("有人标记了我负责的文章") < text.index("Refunds") < text.index("Exchanges")
    assert "我负责的文章将在 14 天内到期复审" in text and html.count("<h2>") == 2
    assert sender.send_due(now=tomorrow).sent == 0


def test_no_mail_when_the_person_chose_none_or_has_no_address_but_the_site_shows_it(
        mail_app, person, make_user, make_article, mailbox):
    owner = person("owner", "editor")
    quiet = make_user("quiet", "editor")
    inbox.save_preferences(owner, {"flag_raised": "off"})
    staff = make_user("sam", "staff")
    db.session.commit()
    feedback.flag(make_article(owner=owner), staff, "outdated")
    feedback.flag(make_article(title="Other", owner=quiet), staff, "outdated")
    db.session.commit()
    assert sender.send_due().sent == 0 and mailbox.messages == []
    assert inbox.unread_count(owner) == 1 and inbox.unread_count(quiet) == 1
    assert {n.mail_state for n in _rows(owner) + _rows(quiet)} == {"none"}
