"""Demo data for measured knowledge, so that the metric overview shows every Making Data Count icon, a rebase
with its reason, the content-health funnels a special cause each, and the knowledge-demand chart a special
cause of concern in English (and common cause in Chinese). Made through the register's and kb's own functions
after demo/improvements.py and demo/feedback.py, with the demo users only; every series is written out.

Icons: First-contact resolution: improvement (high), target not met; First response time: limits recalculated
from its change date, target met; Repeat contacts: improvement (low); Chat wait time: concern (high); NPS:
concern (low); SLA attainment: common cause; CSAT: target met by chance."""
from datetime import timedelta

from sqlalchemy import select

from accounts import auth
from core import clock
from core.db import db, utcnow
from improvement import metrics
from improvement.models import Improvement, Metric
from kb.feedback import service as feedback
from kb.feedback.models import Vote
from kb.models import Article
from kb.search.models import SearchLog

# name, unit, direction, chart, proportion, scale, description, weekly values, out of
NEW_METRICS = (
    ("Repeat contacts within 7 days", "%", "lower", "p", True, 100.0,
     "Share of contacts from a customer who contacted us in the week before.",
     [88, 92] * 6 + [90, 84, 80, 77, 74, 71, 68, 65], 500),
    ("Chat wait time", "minutes", "lower", "xmr", False, 1.0, "Median wait before an advisor answers a chat.",
     [3.0, 3.4, 2.8, 3.2, 3.1, 2.9, 3.3, 3.0, 2.7, 3.2, 3.1, 3.0, 2.9, 3.3, 3.1, 9.0], None),
)
EXISTING = {
    "NPS": ([34, 30, 35, 31, 33, 29, 34, 31, 35, 30, 33, 32, 34, 27, 28, 26, 27, 28, 27, 26], None),
    "SLA attainment": ([478, 482] * 8, 500),
}
REBASE = ("First response time", "The inbox-owner rota went live on this date and the shift lasted 14 weeks "
                                 "(every point below the old limits): the old limits describe a process that is gone.")
# helpfulness: slug -> who of the demo users says it did not help (the others say it did); demo/feedback.py's
# answers (with their comments) are kept, so the refunds FAQ gets two more "no" answers only
NOT_HELPFUL = {"faq-refunds-and-goodwill-gestures": {"publisher", "admin"},
               "complaint-handling-procedure": {"trainer"}, "escalation-procedure": set(),
               "telephone-etiquette-and-greetings-zh": {"staff"}, "moments-of-truth-on-the-customer-journey": set(),
               "servqual-dimensions-for-front-line-staff": {"editor"}}
ALREADY_ANSWERED = {"faq-refunds-and-goodwill-gestures": {"staff", "trainer", "quality_lead", "editor"}}
VIEWS = {"customer-cannot-reset-password": 20, "complaint-handling-procedure": 900,
         "moments-of-truth-on-the-customer-journey": 700, "faq-refunds-and-goodwill-gestures": 850,
         "escalation-procedure": 640, "telephone-etiquette-and-greetings-zh": 380,
         "servqual-dimensions-for-front-line-staff": 420}
# knowledge demand: searches a week (newest last) and how many found nothing, per language
DEMAND = {
    "en": ([120] * 12, [12, 14, 11, 13, 12, 14, 13, 11, 12, 14, 31, 36],
           ["gift card balance", "change delivery address"], ["loyalty points expiry", "loyalty points transfer"],
           "refund status"),
    "zh": ([60] * 12, [6, 8, 7, 6, 8, 7, 6, 8, 7, 6, 8, 7], ["发票抬头修改"], ["发票抬头修改"], "退款进度"),
}


def _user(name: str):
    return auth.find_user(name)


def _metric(name: str) -> Metric:
    return db.session.scalar(select(Metric).where(Metric.name == name))


def _weekly(metric: Metric, values: list[float], out_of: int | None) -> None:
    first = clock.today() - timedelta(weeks=len(values))
    metrics.add_readings(metric, [metrics.Reading(first + timedelta(weeks=i), v, out_of) for i, v in enumerate(values)],
                         _user("quality_lead"), "demo")


def _metrics() -> None:
    lead = _user("quality_lead")
    for name, unit, direction, chart, proportion, scale, description, values, out_of in NEW_METRICS:
        _weekly(metrics.add_metric(name, unit, direction, chart, proportion, scale, description, lead), values, out_of)
    for name, (values, out_of) in EXISTING.items():
        _weekly(_metric(name), values, out_of)
    name, reason = REBASE
    improvement = db.session.scalar(select(Improvement).where(Improvement.metric_id == _metric(name).id,
                                                              Improvement.change_date.is_not(None)))
    metrics.rebase(_metric(name), improvement.change_date, reason, lead, today=clock.today())


def _feedback() -> None:
    """Every demo user answers 'Did this help?' on a few articles, their answers a week apart; the articles get
    view counts, so each funnel has a special cause: the refunds FAQ (5 of 6 said no) and the password article
    (1 flag in 20 views)."""
    now = utcnow()
    for slug, unhelpful in NOT_HELPFUL.items():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        if article is None or article.state != "published":
            continue
        for weeks_ago, role in enumerate(auth.ROLES):
            if role not in ALREADY_ANSWERED.get(slug, ()):
                vote: Vote = feedback.vote(article, _user(role), helpful=role not in unhelpful)
                vote.at = now - timedelta(weeks=weeks_ago, hours=1)
    for slug, views in VIEWS.items():
        article = db.session.scalar(select(Article).where(Article.slug == slug))
        if article is not None:
            article.view_count = views
    db.session.flush()


def _searches() -> None:
    now = utcnow()
    rows = []
    for language, (totals, zero, usual, lately, found) in DEMAND.items():
        for back, (total, nothing) in enumerate(zip(reversed(totals), reversed(zero))):
            at = now - timedelta(weeks=back)
            missing = lately if back < 2 and language == "en" else usual
            for i in range(total):
                query = missing[i % len(missing)] if i < nothing else found
                rows.append(SearchLog(query=query, hits=0 if i < nothing else 4, millis=5.0, source="page",
                                      at=at - timedelta(seconds=i)))
    db.session.add_all(rows)
    db.session.flush()


def load() -> str:
    _metrics()
    _feedback()
    _searches()
    return (f"Measured knowledge: {len(NEW_METRICS)} more metrics, a rebase with its reason, answers and views, "
            "and 12 weeks of searches.")
