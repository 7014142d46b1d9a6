"""Every event tells the right people: in the site always, by mail per their preference, in their language.
Mail is read from a real SMTP server (aiosmtpd) the test starts."""
from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from improvement import causes_and_actions, phases
from kb import service
from kb.feedback import service as feedback
from notify import sender
from notify.models import Notification
from onboarding import paths, reading

TODAY = clock.today()



def _kinds(user) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_a_flag_tells_the_owner_in_the_site_and_by_mail_in_their_language(mail_app, person, make_article, mailbox):
    owner = person("owner", "editor", locale="zh")
    staff = person("sam", "staff")
    article = make_article(title="Refund rules", owner=owner)
    feedback.flag(article, staff, "outdated", "The limit changed.")
    db.session.commit()
    assert _kinds(owner) == ["flag_raised"] and _kinds(staff) == []
    report = sender.send_due(with_reminders=False)
    assert report.sent == 1
    [mail] = mailbox.to("owner@example.com")
    text, html = mailbox.parts(mail)
    assert mail["Content-Language"] == "zh-Hans"
    assert "Refund rules" in mail["Subject"] and "标记" in mail["Subject"]
    assert "sam" in text and "http://sb.example/kb/flags" in text
    settings = "http://sb.example/notifications/settings"
    assert settings in text and f'href="{settings}"' in html
    assert "<li>" in html and "标记" in html
    assert mail["Message-ID"].startswith("<servicebook.n")
    assert sender.send_due(with_reminders=False).sent == 0  # nothing twice


def test_a_flag_on_an_inactive_owners_article_tells_the_publishers(app, make_user, make_article):
    owner = make_user("owner", "editor")
    publisher = make_user("pub", "publisher")
    staff = make_user("sam", "staff")
    article = make_article(owner=owner)
    owner.active = False
    db.session.commit()
    feedback.flag(article, staff, "wrong")
    db.session.commit()
    assert _kinds(owner) == [] and _kinds(publisher) == ["flag_raised"]


def test_a_resolved_flag_tells_the_flagger_in_english(mail_app, person, make_article, mailbox):
    owner = person("owner", "editor")
    staff = person("sam", "staff", locale="en")
    article = make_article(owner=owner)
    flagged = feedback.flag(article, staff, "unclear")
    db.session.commit()
    feedback.resolve_flag(flagged, owner, "dismissed", note="It is clear.")
    db.session.commit()
    assert _kinds(staff) == ["flag_resolved"]
    sender.send_due(with_reminders=False)
    [mail] = mailbox.to("sam@example.com")
    assert mail["Content-Language"] == "en"
    assert "Your flag on “How to handle a complaint” was resolved: Dismissed." in mailbox.parts(mail)[0]
    assert "http://sb.example/kb/flags/mine" in mailbox.parts(mail)[0]


def test_an_article_submitted_for_review_tells_the_publishers(app, make_user, make_article):
    editor = make_user("ed", "editor")
    publisher = make_user("pub", "publisher")
    article = make_article(owner=editor, state="draft")
    service.change_state(article, "submit", article.version, editor)
    db.session.commit()
    assert _kinds(publisher) == ["article_submitted"] and _kinds(editor) == []


def test_a_major_revision_asks_those_who_confirmed_it_to_read_again(app, make_user, make_article):
    editor = make_user("ed", "editor")
    trainee = make_user("tia", "staff")
    article = make_article(owner=editor)
    reading.acknowledge(article, trainee, 1)
    db.session.commit()
    content = service.ArticleContent.of(article)
    content.body += "\nA new step.\n"
    service.revise_article(article, article.version, content, editor, "minor")
    db.session.commit()
    assert _kinds(trainee) == []
    content.body += "\nAnother rule.\n"
    service.revise_article(article, article.version, content, editor, "new rule", major=True)
    db.session.commit()
    assert _kinds(trainee) == ["read_again"]


def test_an_action_and_an_improvements_phase_and_decision_tell_their_owners(app, make_user, make_improvement):
    lead = make_user("lead", "quality_lead")
    doer = make_user("doer", "staff")
    improvement = make_improvement(owner=lead)
    causes_and_actions.add_action(improvement, causes_and_actions.ActionDetails(
        description="Rota", kind="corrective", owner_id=doer.id, due_on=TODAY + timedelta(days=7)), lead)
    db.session.commit()
    assert _kinds(doer) == ["action_assigned"]
    other = make_user("other", "quality_lead")
    phases.enter(improvement, "act")  # as another lead would, by the page
    db.session.commit()
    phases.decide(improvement, "adopt", "It worked.", other)
    db.session.commit()
    assert _kinds(lead) == ["improvement_phase", "improvement_decision"]


def test_a_learning_path_assigned_tells_the_trainee(app, make_user, make_article):
    trainer = make_user("tr", "trainer")
    trainee = make_user("tia", "staff")
    path = paths.create_path(paths.PathDetails(title="New staff", role="staff", expected_minutes=30), trainer)
    paths.add_item(path, path.version, str(make_article().id), trainer)
    paths.assign(path, [trainee], TODAY + timedelta(days=10), trainer, TODAY)
    db.session.commit()
    assert _kinds(trainee) == ["path_assigned"]


def test_an_event_rolled_back_leaves_no_notification(app, make_user, make_article):
    owner = make_user("owner", "editor")
    staff = make_user("sam", "staff")
    article = make_article(owner=owner)
    feedback.flag(article, staff, "outdated")
    db.session.rollback()
    assert db.session.scalar(select(Notification.id)) is None


def test_what_users_typed_is_escaped_in_the_mails_html_and_kept_on_one_line_in_the_subject(
        mail_app, person, make_user, make_article, mailbox):
    owner = person("owner", "editor")
    staff = make_user("sam", "staff")
    staff.display_name = "<b>Sam</b>"
    db.session.commit()
    feedback.flag(make_article(title="<script>alert(1)</script> refunds", owner=owner), staff, "wrong")
    db.session.commit()
    sender.send_due(with_reminders=False)
    [mail] = mailbox.messages
    text, html = mailbox.parts(mail)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; refunds" in html
    assert "&lt;b&gt;Sam&lt;/b&gt;" in html
    assert "<script>alert(1)</script> refunds" in text  # plain text is not HTML


def test_every_kind_reaches_its_recipient_by_mail_in_their_language(mail_app, person, make_user, make_article,
                                                                   make_improvement, mailbox):
    """One person (editor, publisher, trainer, quality lead; reads Chinese) is told of every kind of event
    and reminder; each mail, from the real SMTP server, carries its text in Chinese in both parts."""
    from flask_babel import force_locale
    from markupsafe import escape

    from notify import inbox, reminders
    from notify.kinds import KINDS, text_of
    lin = person("lin", "editor", "publisher", "trainer", "quality_lead", locale="zh")
    inbox.save_preferences(lin, {kind: "now" for kind in KINDS})
    ed, sam, tr = make_user("ed", "editor"), make_user("sam", "staff"), make_user("tr", "trainer")
    ql = make_user("ql", "quality_lead")
    yesterday, soon = TODAY - timedelta(days=1), TODAY + timedelta(days=2)
    mine = make_article(title="Refunds", owner=lin, review_by=soon)
    make_article(title="Vouchers", owner=lin, review_by=yesterday)
    feedback.flag(mine, sam, "outdated")                                               # flag_raised
    flagged = feedback.flag(make_article(title="Exchanges", owner=ed), lin, "unclear")
    db.session.commit()
    feedback.resolve_flag(flagged, ed, "dismissed", note="Clear enough.")              # flag_resolved
    draft = make_article(title="Gift cards", owner=ed, state="draft")
    service.change_state(draft, "submit", draft.version, ed)                           # article_submitted
    theirs = make_improvement(title="Slow replies", owner=ql, started_on=TODAY - timedelta(days=30))
    for due in (soon, yesterday):                                                      # action_* (3 kinds)
        causes_and_actions.add_action(theirs, causes_and_actions.ActionDetails(
            description=f"Rota {due}", kind="corrective", owner_id=lin.id, due_on=due), ql)
    own = make_improvement(title="Long queues", owner=lin, metric="CSAT")
    phases.enter(own, "act")                                                           # improvement_phase
    phases.decide(own, "adopt", "It worked.", ql)                                      # improvement_decision
    read = make_article(title="Greetings", owner=ed)
    reading.acknowledge(read, lin, 1)
    db.session.commit()
    content = service.ArticleContent.of(read)
    content.body += "\nNew rule.\n"
    service.revise_article(read, read.version, content, ed, "rule", major=True)         # read_again
    path = paths.create_path(paths.PathDetails(title="New staff", role="staff", expected_minutes=30), tr)
    paths.add_item(path, path.version, str(mine.id), tr)
    late = paths.create_path(paths.PathDetails(title="Refresher", role="staff", expected_minutes=30), lin)
    paths.add_item(late, late.version, str(mine.id), lin)
    paths.assign(path, [lin], soon, tr, TODAY)                                          # path_assigned, path_due
    paths.assign(late, [lin, sam], soon, lin, TODAY)
    db.session.commit()
    for assignment in late.assignments:
        assignment.due_on = yesterday                                                   # path_overdue, trainee_overdue
    db.session.commit()
    reminders.write_due(TODAY)                                                          # review_*, *_due, *_overdue
    sender.send_due(with_reminders=False)
    rows = list(db.session.scalars(select(Notification).where(Notification.user_id == lin.id)))
    assert {n.kind for n in rows} == set(KINDS)
    mails = {m["Message-ID"]: m for m in mailbox.to("lin@example.com")}
    for n in rows:
        db.session.refresh(n)
        mail = mails[n.message_id]
        text, html = mailbox.parts(mail)
        with force_locale("zh"):
            said = text_of(n.kind, n.params)
        with force_locale("en"):
            assert said != text_of(n.kind, n.params), n.kind  # translated
        assert mail["Content-Language"] == "zh-Hans" and said in text, n.kind
        assert str(escape(said)) in html, n.kind
