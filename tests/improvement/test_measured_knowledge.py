"""Measured knowledge through the real stack: the metric overview and its API, annotations, rebasing with a
reason, the content-health funnel plots, the knowledge-demand chart and an article's own helpfulness chart."""
from datetime import datetime, timedelta

from sqlalchemy import func, select

from core import clock
from core.db import db
from improvement import causes_and_actions as work
from improvement import metrics
from improvement.models import Improvement, Rebase
from kb.feedback import service as feedback
from kb.search.models import SearchLog

TODAY = clock.today()


def add(metric, values, denominators=None, actor=None, start=None):
    """One reading a week, the newest last week."""
    start = start or TODAY - timedelta(weeks=len(values))
    dens = denominators or [None] * len(values)
    metrics.add_readings(metric, [metrics.Reading(start + timedelta(weeks=i), v, d)
                                  for i, (v, d) in enumerate(zip(values, dens))], actor, "test")
    db.session.commit()


def metric_named(name):
    metrics.ensure_standard_metrics()
    return next(m for m in metrics.catalogue() if m.name == name)


def card(page, metric):
    return page.text.split(f'id="metric-{metric.id}"')[1].split("</section>")[0]


def test_the_overview_shows_icons_in_words_limits_and_annotations(client, login_as, make_improvement, make_article):
    lead = login_as("quality_lead", "ql")
    improvement = make_improvement(title="Faster replies", started_on=TODAY - timedelta(weeks=20),
                                   change_date=TODAY - timedelta(weeks=4), target=5.0)
    article = make_article(title="Reply templates")
    from improvement import service
    service.link_article(improvement, article, lead)
    action = work.add_action(improvement, work.ActionDetails("Rota for the inbox", "corrective", lead.id,
                                                             TODAY - timedelta(weeks=3)), lead)
    work.set_status(action, "done", lead, TODAY, done_on=TODAY - timedelta(weeks=3))
    db.session.commit()
    # hours, lower is better: zigzag 10/12 then a last point of 30 above the limit -> concern (high)
    add(improvement.metric, [10, 12, 10, 12, 10, 12, 10, 30], actor=lead)
    page = client.get("/improvements/metrics/overview")
    assert page.status_code == 200
    first_response = card(page, improvement.metric)
    assert "Special cause: concern (high)" in first_response
    assert "The latest point is part of a special cause above the centre line, the bad side." in first_response
    assert "Target met by chance" in first_response                 # 5 lies between the limits (see below)
    assert "<svg" in first_response and 'class="annotation change"' in first_response
    assert "Rota for the inbox" in first_response and "Reply templates: revision 1" in first_response
    assert "a point outside the limits" in first_response
    own = client.get(f"/improvements/{improvement.id}").text       # the improvement's own run chart, annotated
    legend = own.split('class="annotation-legend"')[1].split("</ol>")[0]
    assert "Faster replies: the change went live" in legend and "Action done: Rota for the inbox" in legend
    assert 'class="annotation action"' in own
    answer = client.get("/api/v1/metrics/overview")
    assert answer.status_code == 200
    found = next(m for m in answer.json["metrics"] if m["id"] == improvement.metric_id)
    assert found["variation"] == "concern_high" and found["chart"] == "xmr" and found["points"] == 8
    # mean 13.25, MR-bar 32/7 -> limits 13.25 -+ 12.16 = 1.09 .. 25.41; target 5 (lower is better) lies inside
    assert round(found["lower_limit"], 2) == 1.09 and round(found["upper_limit"], 2) == 25.41
    assert found["assurance"] == "variable" and found["target"] == 5.0
    assert {"change", "action", "revision"} <= {a["kind"] for a in found["annotations"]}
    assert [a["number"] for a in found["annotations"]] == list(range(1, len(found["annotations"]) + 1))


def test_the_overview_refuses_staff_and_names_a_metric_with_no_data(client, login_as):
    login_as("staff")
    assert client.get("/improvements/metrics/overview").status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf("/")})
    login_as("quality_lead", "ql")
    page = client.get("/improvements/metrics/overview")
    assert page.status_code == 200 and "No measurements yet." in page.text and "Not enough data" in page.text


def test_a_rebase_needs_a_reason_and_then_shows_on_the_chart_and_in_the_timeline(client, login_as, make_improvement):
    login_as("quality_lead", "ql")
    improvement = make_improvement(title="Faster replies", started_on=TODAY - timedelta(weeks=30))
    metric = improvement.metric
    add(metric, [30, 31, 29, 30, 31, 30, 10, 12, 10, 12, 10, 12])
    day = (TODAY - timedelta(weeks=6)).isoformat()
    token = client.csrf("/improvements/metrics/overview")
    field = f"metric{metric.id}-"
    refused = client.post(f"/improvements/metrics/{metric.id}/rebase",
                          data={field + "csrf_token": token, field + "from_date": day, field + "reason": "  "})
    assert refused.status_code == 400 and "Give the reason for recalculating the limits." in refused.text
    too_late = client.post(f"/improvements/metrics/{metric.id}/rebase",
                           data={field + "csrf_token": token, field + "from_date": (TODAY - timedelta(days=2)).isoformat(),
                                 field + "reason": "New rota"})
    assert too_late.status_code == 400 and "Limits need at least 6 measurements" in too_late.text
    assert db.session.scalar(select(func.count()).select_from(Rebase)) == 0
    done = client.post(f"/improvements/metrics/{metric.id}/rebase",
                       data={field + "csrf_token": token, field + "from_date": day, field + "reason": "New rota <b>since March</b>"})
    assert done.status_code == 303
    page = client.get("/improvements/metrics/overview")
    mine = card(page, metric)
    assert "Limits recalculated from" in mine and "New rota &lt;b&gt;since March&lt;/b&gt;" in mine
    assert 'class="rebase-marker"' in mine and 'class="point earlier"' in mine
    found = next(m for m in client.get("/api/v1/metrics/overview").json["metrics"] if m["id"] == metric.id)
    assert found["limits_from"] == day and found["points"] == 6 and round(found["centre"], 3) == 11
    timeline = client.get(f"/improvements/{improvement.id}").text
    assert "limits recalculated" in timeline and "New rota &lt;b&gt;since March&lt;/b&gt;" in timeline


def test_the_funnel_flags_the_busy_unhelpful_article_not_the_small_one(client, login_as, make_article, make_user):
    busy, small = make_article(title="Refund rules"), make_article(title="Parking permits")
    steady, calm = make_article(title="Opening hours"), make_article(title="Holiday rota")
    voters = [make_user(f"voter{i}") for i in range(40)]
    for i, voter in enumerate(voters):
        feedback.vote(busy, voter, helpful=i % 4 == 0)          # 30 of 40 say no
        feedback.vote(steady, voter, helpful=i % 10 != 0)       # 4 of 40 say no
        feedback.vote(calm, voter, helpful=i % 10 != 0)         # 4 of 40 say no
    feedback.vote(small, voters[0], helpful=False)              # 1 of 1 says no
    db.session.commit()
    login_as("quality_lead", "ql")
    page = client.get("/kb/health")
    assert page.status_code == 200
    funnels = page.text.split('id="funnels"')[1].split("</section>")[0]
    # p-bar = 39 / 121 = 0.3223; busy: sigma sqrt(0.3223 * 0.6777 / 40) = 0.0739 -> upper 0.544 < 0.75: above
    # small: sigma sqrt(0.3223 * 0.6777 / 1) = 0.467 -> upper clipped at 1.0; 1 of 1 is on it, not above
    assert "<svg" in funnels and "Centre (all articles together): 32.2%" in funnels
    above = funnels.split("funnel-above")[1].split("</table>")[0]
    assert "Refund rules" in above and "30 / 40" in above and "54%" in above
    assert "Parking permits" not in above and "Opening hours" not in above
    assert "Open an improvement" in above                       # a quality lead may open one from it
    assert "No published article has been viewed yet." in funnels


def test_knowledge_demand_offers_an_improvement_on_a_special_cause_of_concern(client, login_as, make_user):
    start = datetime.combine(TODAY - timedelta(weeks=10, days=TODAY.weekday()), datetime.min.time())
    rows = []
    for week in range(10):
        zero = 30 if week >= 8 else (5 if week % 2 else 7)        # two last weeks: far more find nothing
        for i in range(100):
            rows.append(SearchLog(query="parking" if i < zero else "refund", hits=0 if i < zero else 3,
                                  at=start + timedelta(weeks=week, hours=i % 24)))
    rows.append(SearchLog(query="退款", hits=2, at=start))
    db.session.add_all(rows)
    db.session.commit()
    login_as("quality_lead", "ql")
    page = client.get("/improvements/knowledge-demand")
    assert page.status_code == 200
    english = page.text.split('id="demand-en"')[1].split("</section>")[0]
    assert "Special cause: concern (high)" in english and "Open an improvement" in english
    opened = client.submit("/improvements/knowledge-demand/improvement", {"language": "en"},
                           token_from="/improvements/knowledge-demand")
    assert opened.status_code == 303
    improvement = db.session.scalars(select(Improvement)).one()
    assert improvement.source == "search_gap" and "“parking” ×" in improvement.evidence
    again = client.get("/improvements/knowledge-demand").text.split('id="demand-en"')[1]
    assert f"Improvement #{improvement.id} is open for this" in again
    chinese = client.submit("/improvements/knowledge-demand/improvement", {"language": "zh"},
                            token_from="/improvements/knowledge-demand")
    assert chinese.status_code == 303 and db.session.scalar(select(func.count()).select_from(Improvement)) == 1


def test_an_article_shows_its_helpfulness_chart_to_its_owner_only(client, login_as, make_article, make_user):
    owner = make_user("writer", "editor")
    article = make_article(title="Refund rules", owner=owner)
    feedback.vote(article, make_user("v1"), helpful=True)
    feedback.vote(article, make_user("v2"), helpful=False)
    db.session.commit()
    url = f"/kb/articles/{article.id}/{article.slug}"
    client.submit("/login", {"username": "writer", "password": "correct horse battery"}, token_from="/login")
    mine = client.get(url).text
    assert "How often this article helped" in mine and 'class="spc-chart"' in mine
    assert 'class="annotation-legend"' in mine and "Revision 1" in mine
    client.post("/logout", data={"csrf_token": client.csrf("/")})
    login_as("editor", "other")
    assert "How often this article helped" not in client.get(url).text


def test_the_demo_shows_every_icon_in_both_languages(client, app):
    import demo
    demo.load()
    db.session.commit()
    client.submit("/login", {"username": "quality_lead", "password": "servicebook"}, token_from="/login")
    found = client.get("/api/v1/metrics/overview").json["metrics"]
    assert {m["variation"] for m in found} >= {"common_cause", "improvement_high", "improvement_low",
                                               "concern_high", "concern_low"}
    assert {m["assurance"] for m in found} >= {"met", "not_met", "variable"}
    assert any(m["rebase_reason"] for m in found)
    for language, words in (("en", ("Special cause: concern (high)", "Target consistently met")),
                            ("zh", ("特殊原因：关注（偏高）", "目标稳定达成"))):
        client.submit("/language", {"language": language}, token_from="/")
        page = client.get("/improvements/metrics/overview")
        assert page.status_code == 200 and all(w in page.text for w in words)
        demand = client.get("/improvements/knowledge-demand")
        assert demand.status_code == 200 and demand.text.count('class="spc-chart') == 2
        health = client.get("/kb/health")
        assert health.text.count('class="point outside"') >= 2          # one special cause in each funnel
