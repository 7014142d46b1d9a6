"""A whole PDCA cycle through the pages as a quality lead: plan, gates refusing with reasons, do, check
with measurements, act with a standardised best-practice article, closed."""
import io
from datetime import date, timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from improvement.models import Improvement, Metric
from kb.models import Article

TODAY = clock.today()
CHANGE = TODAY - timedelta(weeks=9)


def rows(first: date, satisfied: list[int], out_of: int = 200) -> str:
    return "\n".join(f"{(first + timedelta(weeks=i)).isoformat()},{n},{out_of}" for i, n in enumerate(satisfied))


def stored(improvement_id: int) -> Improvement:
    db.session.remove()
    return db.session.get(Improvement, improvement_id)


def test_a_quality_lead_walks_a_whole_cycle_through_the_pages(client, login_as):
    lead = login_as("quality_lead")
    assert client.get("/improvements/new").status_code == 200  # the standard KPIs are in the catalogue now
    csat = db.session.scalar(select(Metric).where(Metric.name == "CSAT"))
    details = {"title": "E-mail customers wait too long", "problem": "", "source": "complaint",
               "dimension": "responsiveness", "touchpoint": "E-mail", "severity": "high", "owner_id": lead.id,
               "metric_id": csat.id, "target": "85", "change_date": "", "what_changed": "", "follows_id": 0}
    answer = client.submit("/improvements/new", details, token_from="/improvements/new")
    assert answer.status_code == 303
    page = answer.headers["Location"]
    improvement_id = int(page.rsplit("/", 1)[1])
    stored(improvement_id).started_on = TODAY - timedelta(weeks=20)  # it was opened months ago
    db.session.commit()

    # Plan: the gate refuses, and says why
    refused = client.submit(f"{page}/phase", {"direction": "forward"}, token_from=page, follow_redirects=True)
    assert "The improvement stays in Plan" in refused.text
    for reason in ("Write what is wrong", "at least 6 are needed", "Analyse the problem to a root cause",
                   "Plan an action"):
        assert reason in refused.text
    assert stored(improvement_id).phase == "plan"

    edit = f"{page}/edit"
    assert client.submit(edit, details | {"problem": "Customers wait two days for a first e-mail reply.",
                                          "change_date": CHANGE.isoformat()}, token_from=edit).status_code == 303
    assert client.submit(f"{page}/causes", {"statement": "Nobody owns the shared inbox", "category": "process",
                                            "whys": "Replies are slow\nMails sit unread\nNo rota"},
                         token_from=page).status_code == 303
    assert client.submit(f"{page}/actions", {"description": "Start an inbox rota", "kind": "corrective",
                                             "owner_id": lead.id, "due_on": CHANGE.isoformat(), "cause_id": 0},
                         token_from=page).status_code == 303
    baseline = rows(CHANGE - timedelta(weeks=8), [150, 148, 152, 149, 151, 147, 150, 153])
    upload = client.submit(f"{page}/measurements/upload", {"file": (io.BytesIO(baseline.encode()), "base.csv")},
                           token_from=page, content_type="multipart/form-data")
    assert upload.status_code == 303
    assert client.submit(f"{page}/phase", {"direction": "forward"}, token_from=page).status_code == 303
    assert stored(improvement_id).phase == "do"

    # Do: the open corrective action holds the gate until it is done
    refused = client.submit(f"{page}/phase", {"direction": "forward"}, token_from=page, follow_redirects=True)
    assert "Still open: Start an inbox rota" in refused.text
    action_id = stored(improvement_id).actions[0].id
    assert client.submit(f"/improvements/actions/{action_id}/status", {"status": "done", "done_on": CHANGE},
                         token_from=page).status_code == 303
    assert client.submit(f"{page}/phase", {"direction": "forward"}, token_from=page).status_code == 303

    # Check: measurements after the change, pasted; the verdict is computed, not typed
    refused = client.submit(f"{page}/phase", {"direction": "forward"}, token_from=page, follow_redirects=True)
    assert "0 measurements after the change" in refused.text
    after = rows(CHANGE, [178, 181, 180, 183, 179, 182, 184, 180])
    assert client.submit(f"{page}/measurements", {"kind": "paste", "rows": after}, token_from=page).status_code == 303
    shown = client.get(page).text
    assert "verdict-effective" in shown and "<svg" in shown and "Target 85 %: met." in shown
    assert client.submit(f"{page}/phase", {"direction": "forward"}, token_from=page).status_code == 303

    # Act: adopting needs the best-practice article
    assert client.submit(f"{page}/decision", {"decision": "adopt", "note": "Every team"},
                         token_from=page).status_code == 303
    refused = client.submit(f"{page}/phase", {"direction": "forward"}, token_from=page, follow_redirects=True)
    assert "Standardise the improvement as a best practice first" in refused.text
    assert client.submit(f"{page}/standardise", {}, token_from=page).status_code == 303
    article = db.session.scalar(select(Article).where(Article.type == "best_practice"))
    assert article.state == "draft" and "Nobody owns the shared inbox" in article.body
    assert "Effective" in article.body
    assert client.submit(f"{page}/phase", {"direction": "forward"}, token_from=page).status_code == 303
    closed = stored(improvement_id)
    assert closed.phase == "closed" and closed.article_links[0].article_id == article.id
    report = client.get(f"{page}/report")
    assert report.status_code == 200 and "Best practice: E-mail customers wait too long" in report.text
