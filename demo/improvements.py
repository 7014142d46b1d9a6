"""Demo improvements on the demo articles' themes, one in each phase, built through the register's own
functions (so every gate is really passed): a complete cycle with 14 weekly measurements each side of its
change, its verdict and its standardised best practice; one at Act, one at Check, one in Do, one in Plan."""
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from accounts import auth
from core import clock
from core.db import db
from improvement import causes_and_actions as work
from improvement import metrics, phases, service
from improvement.models import Metric
from kb.models import Article


def _user(name: str):
    return auth.find_user(name)


def _metric(name: str) -> Metric:
    return db.session.scalar(select(Metric).where(Metric.name == name))


def _weekly(metric: Metric, change: date, before: list[float], after: list[float], out_of: int | None = None):
    """Readings a week apart, the first `len(after)` from the change date on, `before` in the weeks before."""
    first = change - timedelta(weeks=len(before))
    values = before + after
    readings = [metrics.Reading(first + timedelta(weeks=i), round(v if out_of is None else v * out_of), out_of)
                for i, v in enumerate(values)]
    metrics.add_readings(metric, [r for r in readings if r.taken_on <= clock.today()], _user("quality_lead"), "demo")


def _open(title: str, metric: str, started: date, **details):
    lead = _user("quality_lead")
    found = service.create_improvement(service.ImprovementDetails(
        title=title, owner_id=lead.id, metric_id=_metric(metric).id, **details), lead, started_on=started)
    return found, lead


def _causes(improvement, lead, *causes):
    return [work.add_cause(improvement, work.CauseDetails(statement, category, whys, evidence, True), lead)
            for statement, category, whys, evidence in causes]


def _one_fix(improvement, lead, cause: tuple, action: str, owner: str, due: date) -> None:
    [found] = _causes(improvement, lead, cause)
    work.add_action(improvement, work.ActionDetails(action, "corrective", _user(owner).id, due, found.id), lead)


def _link(improvement, lead, *slugs):
    for slug in slugs:
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        if article is not None:
            service.link_article(improvement, article, lead)


def _backdate(improvement, started: date) -> None:
    """Spread the phase periods from the start to now, so 'time in each phase' reads like real work."""
    periods = improvement.periods
    span = (clock.today() - started).days
    for n, period in enumerate(periods):
        period.entered_at = _at(started + timedelta(days=span * n // (len(periods) + 1)))
        if period.left_at is not None:
            period.left_at = _at(started + timedelta(days=span * (n + 1) // (len(periods) + 1)))


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0)


def _complete_cycle(noise: random.Random) -> None:
    today = clock.today()
    change, started = today - timedelta(weeks=15), today - timedelta(weeks=20)
    improvement, lead = _open(
        "E-mail customers wait two days for a first reply", "First response time", started,
        source="kpi_breach", dimension="responsiveness", touchpoint="E-mail", severity="high", target=10.0,
        problem="Since the spring the median first response to e-mail is above 24 hours against the 8-hour "
                "standard; complaints about 'no answer' doubled.",
        what_changed="A named inbox owner per shift (rota), triage rules for the first hour, and a "
                     "reply-within-8-hours view in the ticket queue.")
    rota, training = _causes(
        improvement, lead,
        ("Nobody owns the shared inbox during a shift", "process",
         ["Replies are late", "Mails sit unread for hours", "Everyone assumes someone else is on it",
          "No rota names an inbox owner"], "Ticket audit of 200 e-mails: 71% untouched for 12+ hours."),
        ("New starters are not trained on e-mail triage", "people",
         ["Urgent mails are not spotted", "Triage rules are tribal knowledge"], "Interviews with 6 new starters."))
    for description, kind, owner, cause in (
            ("Send a holding reply to every waiting e-mail", "containment", "staff", None),
            ("Start an inbox-owner rota for every shift", "corrective", "quality_lead", rota),
            ("Add e-mail triage to the onboarding path", "preventive", "trainer", training)):
        work.add_action(improvement, work.ActionDetails(description, kind, _user(owner).id,
                                                        change - timedelta(days=7), cause.id if cause else None), lead)
    _weekly(improvement.metric, change,
            [26 + noise.uniform(-3, 3) for _ in range(14)], [7 + noise.uniform(-1.5, 1.5) for _ in range(14)])
    _run_to(improvement, lead, change, "act")
    phases.decide(improvement, "adopt", "Roll the rota out to every e-mail team.", lead)
    service.standardise(improvement, lead)
    _link(improvement, lead, "first-response-service-standard", "email-response-standard-2024")
    phases.advance(improvement, lead, today)
    _backdate(improvement, started)


def _run_to(improvement, lead, change: date, phase: str) -> None:
    """Plan -> Do; every action done just before the change, which goes live; then on to `phase`."""
    today = clock.today()
    phases.advance(improvement, lead, today)
    for action in improvement.actions:
        work.set_status(action, "done", lead, today, change - timedelta(days=2))
    details = service.ImprovementDetails.of(improvement)
    details.change_date = change
    service.update_improvement(improvement, details, lead)
    while improvement.phase != phase:
        phases.advance(improvement, lead, today)


# improvements with one cause and one fix, run to `phase`: weekly (mean, spread, weeks) before and after
ONE_FIX_CYCLES = (
    {"phase": "act", "started": 16, "change": 9, "metric": "First-contact resolution", "out_of": 400,
     "before": (0.62, 0.03, 12), "after": (0.71, 0.03, 9), "links": ("escalation-procedure",),
     "details": dict(
         title="Escalated customers have to repeat their story", source="customer_feedback",
         dimension="assurance", touchpoint="Escalation to second line", target=80.0,
         problem="Survey comments: customers escalated to the second line explain the problem again; "
                 "first-contact resolution is stuck near 62%.",
         what_changed="A warm hand-over with a case summary template, as in the escalation procedure."),
     "cause": ("The hand-over carries no case summary", "process",
               ["The second line starts from zero", "The ticket has no summary field"],
               "Call listening, 40 escalations."),
     "fix": ("Add a case-summary template to escalations", "editor")},
    {"phase": "check", "started": 14, "change": 3, "metric": "Complaint rate", "out_of": 5000,
     "before": (0.0042, 0.0006, 10), "after": (0.0030, 0.0005, 4),
     "links": ("faq-refunds-and-goodwill-gestures", "complaint-handling-procedure"),
     "details": dict(
         title="Refund complaints after goodwill gestures", source="complaint", dimension="reliability",
         touchpoint="Refunds", target=2.0,
         problem="Customers promised a goodwill gesture complain again when it does not arrive."),
     "cause": ("Gestures are promised without a booking step", "policy",
               ["The refund never starts", "Nothing records the promise"], "30 repeat complaints traced."),
     "fix": ("Book every gesture in the refund tool while on the call", "staff")},
)


def _one_fix_cycle(noise: random.Random, spec: dict) -> None:
    today = clock.today()
    change, started = today - timedelta(weeks=spec["change"]), today - timedelta(weeks=spec["started"])
    improvement, lead = _open(metric=spec["metric"], started=started, **spec["details"])
    _one_fix(improvement, lead, spec["cause"], *spec["fix"], change)
    before, after = ([mean + noise.uniform(-spread, spread) for _ in range(weeks)]
                     for mean, spread, weeks in (spec["before"], spec["after"]))
    _weekly(improvement.metric, change, before, after, out_of=spec["out_of"])
    _run_to(improvement, lead, change, spec["phase"])
    _link(improvement, lead, *spec["links"])
    _backdate(improvement, started)


def _in_do(noise: random.Random) -> None:
    today = clock.today()
    started = today - timedelta(weeks=6)
    improvement, lead = _open(
        "Telephone greetings sound scripted and cold", "CSAT", started,
        source="staff_idea", dimension="empathy", touchpoint="Telephone", target=88.0, severity="low",
        problem="CSAT comments call the opening of calls robotic; phone CSAT trails chat by 6 points.")
    [cause] = _causes(improvement, lead, ("The greeting script leaves no room for the customer's name", "people",
                                          ["Advisors read the script", "Coaching checks the words, not the tone"],
                                          "Mystery calls, 20."))
    for description, owner, due in (("Rewrite the greeting with the customer's name first", "editor", 7),
                                     ("Coach team leads on tone, not words", "trainer", -3)):
        work.add_action(improvement, work.ActionDetails(description, "corrective", _user(owner).id,
                                                        today + timedelta(days=due), cause.id), lead)
    _weekly(improvement.metric, today + timedelta(days=1), [0.82 + noise.uniform(-0.02, 0.02) for _ in range(8)],
            [], out_of=300)
    phases.advance(improvement, lead, today)
    work.set_status(improvement.actions[0], "in_progress", lead, today)
    _link(improvement, lead, "telephone-etiquette-and-greetings-zh", "moments-of-truth-on-the-customer-journey")
    _backdate(improvement, started)


def _in_plan() -> None:
    improvement, lead = _open(
        "Password-reset contacts keep coming back", "First-contact resolution", clock.today() - timedelta(days=5),
        source="article_feedback", dimension="reliability", touchpoint="Self-service and phone",
        problem="The article on password resets was flagged 'outdated' twice; repeat contacts suspected.")
    _link(improvement, lead, "customer-cannot-reset-password")


def load() -> str:
    """The demo improvements; the standard metrics are added to the catalogue first."""
    metrics.ensure_standard_metrics()
    noise = random.Random(4)
    _complete_cycle(noise)
    for spec in ONE_FIX_CYCLES:
        _one_fix_cycle(noise, spec)
    _in_do(noise)
    _in_plan()
    return "Improvement register: 5 improvements, one standardised as a draft best-practice article."
