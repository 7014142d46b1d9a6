"""The improvement's timeline reads as words: names instead of ids, labels instead of codes, Yes/No, 12 not 12.0."""
from types import SimpleNamespace

from flask_babel import force_locale

from core import clock
from core.db import db
from improvement import causes_and_actions, service
from improvement.timeline import EMPTY, Change, describe_change, shorten
from tests.core.test_i18n import compiled_catalogues  # noqa: F401  (autouse: the zh catalogue compiled for these tests)


def timeline_of(client, improvement_id: int, **headers) -> str:
    page = client.get(f"/improvements/{improvement_id}", headers=headers)
    assert page.status_code == 200
    return page.text.split('id="timeline"')[1].split("</section>")[0]


def named(make_user, username: str, display_name: str, *roles: str):
    user = make_user(username, *roles)
    user.display_name = display_name
    db.session.commit()
    return user


class FakeNames:
    """Names without a database: what describe_change asks for, from dicts."""

    def __init__(self, users=None, metrics=None, causes=None, improvements=None):
        self.users, self.metrics = users or {}, metrics or {}
        self.causes, self.improvements = causes or {}, improvements or {}

    def user(self, key):
        return self.users.get(key)

    def metric(self, key):
        return self.metrics.get(key)

    def cause(self, key):
        return self.causes.get(key)

    def improvement(self, key):
        return self.improvements.get(key)


def event(action, before=None, after=None):
    return SimpleNamespace(action=action, before=before, after=after)


def test_describe_change_turns_ids_codes_booleans_and_floats_into_words(app):
    names = FakeNames(users={1: "Grace Hopper", 2: "Alan Turing"}, metrics={4: "First response time"},
                      causes={7: "Nobody owns the shared inbox at weekends, so mail waits until Monday morning"})
    revised = event("revise",
                    before={"owner_id": 1, "metric_id": None, "target": None, "source": "complaint"},
                    after={"owner_id": 2, "metric_id": 4, "target": 12.0, "source": "kpi_breach"})
    assert describe_change(revised, names) == [
        Change("Owner", "Grace Hopper", "Alan Turing"),
        Change("Primary metric", EMPTY, "First response time"),
        Change("Target", EMPTY, "12"),
        Change("Source", "Complaint", "KPI breach"),
    ]

    opened = event("create", after={"dimension": "responsiveness", "phase": "plan", "severity": "high",
                                    "target": 2.5})
    assert describe_change(opened, names) == [
        Change("SERVQUAL dimension", None, "Responsiveness"), Change("Phase", None, "Plan"),
        Change("Severity", None, "High"), Change("Target", None, "2.5")]

    cause_changed = event("change_cause", before={"cause": 7, "verified": False}, after={"cause": 7, "verified": True})
    rows = describe_change(cause_changed, names)
    assert rows[0].label == "Root cause" and rows[0].before is None
    assert rows[0].after == shorten(names.causes[7]) and rows[0].after.endswith("…") and len(rows[0].after) <= 60
    assert rows[1:] == [Change("Verified", "No", "Yes")]

    action_added = event("add_action", after={"action": 3, "description": "Weekend rota", "kind": "corrective",
                                               "owner_id": 1, "due_on": "2026-03-31", "cause_id": 7})
    assert [(r.label, r.after) for r in describe_change(action_added, names)] == [
        ("Action", "Weekend rota"), ("Kind", "Corrective"), ("Owner", "Grace Hopper"), ("Due date", "2026-03-31"),
        ("Addresses the cause", shorten(names.causes[7]))]

    status = event("change_action", before={"action": 3, "status": "open"},
                   after={"action": 3, "description": "Weekend rota", "status": "in_progress"})
    assert describe_change(status, names) == [Change("Action", None, "Weekend rota"),
                                              Change("Status", "Open", "In progress")]

    decided = event("decide", before={"decision": None, "decision_note": ""},
                    after={"decision": "adopt", "decision_note": "It worked"})
    assert describe_change(decided, names) == [Change("Decision", EMPTY, "Adopt"), Change("Why", EMPTY, "It worked")]

    why_chain = event("add_cause", after={"cause": 7, "statement": "No rota", "category": "process",
                                          "whys": ["a", "b"], "verified": False})
    assert [(r.label, r.after) for r in describe_change(why_chain, names)] == [
        ("Root cause", "No rota"), ("Category", "Process"), ("Why-chain", "a → b"), ("Verified", "No")]


def test_fields_left_empty_when_made_are_not_listed(app):
    made = event("create", after={"title": "Slow replies", "touchpoint": "", "change_date": None, "phase": "plan"})
    assert describe_change(made, FakeNames()) == [Change("Title", None, "Slow replies"), Change("Phase", None, "Plan")]


def test_an_id_that_no_longer_resolves_is_shown_as_its_number(app):
    assert describe_change(event("revise", before={"owner_id": 8}, after={"owner_id": 9}), FakeNames()) == [
        Change("Owner", "#8", "#9")]


def test_describe_change_speaks_chinese(app):
    with force_locale("zh"):
        rows = describe_change(event("change_cause", before={"cause": 1, "verified": False},
                                     after={"cause": 1, "verified": True}), FakeNames(causes={1: "无人值班"}))
        assert rows == [Change("根本原因", None, "无人值班"), Change("已验证", "否", "是")]
        assert describe_change(event("create", after={"source": "kpi_breach"}), FakeNames()) == [
            Change("来源", None, "KPI 未达标")]


def test_the_page_shows_names_labels_and_yes_no_instead_of_ids_and_codes(client, login_as, make_user,
                                                                          make_improvement):
    grace = named(make_user, "grace", "Grace Hopper", "quality_lead")
    alan = named(make_user, "alan", "Alan Turing", "quality_lead")
    improvement = make_improvement(owner=grace, source="kpi_breach")
    details = service.ImprovementDetails.of(improvement)
    details.owner_id, details.target = alan.id, 12.0
    assert service.update_improvement(improvement, details, grace)
    cause = causes_and_actions.add_cause(improvement, causes_and_actions.CauseDetails(
        "Nobody watches the shared inbox at weekends", "process", ["Mail waits", "No rota"]), grace)
    causes_and_actions.update_cause(cause, causes_and_actions.CauseDetails(
        "Nobody watches the shared inbox at weekends", "process", ["Mail waits", "No rota"], verified=True), grace)
    causes_and_actions.add_action(improvement, causes_and_actions.ActionDetails(
        "Start a weekend rota", "corrective", alan.id, clock.today(), cause.id), grace)
    db.session.commit()

    login_as("quality_lead")
    timeline = timeline_of(client, improvement.id)
    assert "Owner: Grace Hopper → Alan Turing" in timeline
    assert "Primary metric: First response time" in timeline
    assert "Target: — → 12" in timeline
    assert "Source: KPI breach" in timeline and "SERVQUAL dimension: Responsiveness" in timeline
    assert "Phase: Plan" in timeline
    assert "Verified: No → Yes" in timeline
    assert "Addresses the cause: Nobody watches the shared inbox at weekends" in timeline
    assert "Why-chain: Mail waits → No rota" in timeline
    for raw in (f"owner: {grace.id}", f"owner: {alan.id}", f"Owner: {grace.id}", f"Owner: {alan.id}",
                f"metric: {improvement.metric_id}", f"cause: {cause.id}", "12.0", "True", "False", "kpi_breach",
                "responsiveness", "phase: plan", "verified:"):
        assert raw not in timeline, raw


def test_the_timeline_is_in_chinese_for_a_chinese_reader(client, login_as, make_improvement):
    improvement = make_improvement()
    cause = causes_and_actions.add_cause(improvement, causes_and_actions.CauseDetails("无人值班", "process"),
                                         improvement.owner)
    causes_and_actions.update_cause(cause, causes_and_actions.CauseDetails("无人值班", "process", verified=True),
                                    improvement.owner)
    db.session.commit()
    login_as("quality_lead")
    timeline = timeline_of(client, improvement.id, **{"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "已验证: 否 → 是" in timeline and "根本原因: 无人值班" in timeline
    assert "True" not in timeline and "Verified" not in timeline


def test_recorded_text_is_escaped_on_the_timeline(client, login_as, make_improvement):
    improvement = make_improvement()
    causes_and_actions.add_cause(improvement, causes_and_actions.CauseDetails(
        "<script>alert(1)</script>", "process", ["<b>why</b>"]), improvement.owner)
    db.session.commit()
    login_as("quality_lead")
    timeline = timeline_of(client, improvement.id)
    assert "<script>" not in timeline and "<b>" not in timeline
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in timeline and "&lt;b&gt;why&lt;/b&gt;" in timeline
