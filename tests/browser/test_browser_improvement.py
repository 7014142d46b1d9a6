"""An improvement journey in real Chromium against the site under gunicorn (2 workers), on SQLite: a quality
lead opens an improvement, analyses a root cause, plans an action, enters the baseline and the results, and
moves it Plan -> Do -> Check with the phase buttons; each gate that refuses says why on the page. At Check
the page shows the run chart with the change marker and the computed verdict, and the dashboard lists the
cycle with its small chart.

Screenshots: test-output/screenshots/<test-name>-<step>.png.
"""
import re
from datetime import date, timedelta

from playwright.sync_api import expect

from core import clock
from core.db import db
from improvement.models import Improvement
from tests.support.browser import log_in, log_out, sqlite_only

pytestmark = sqlite_only

TODAY = clock.today()
CHANGE = TODAY - timedelta(days=14)  # the change went live two weeks ago
TITLE = "E-mail customers wait too long for a first reply"
BASELINE_HOURS = [30, 34, 29, 33, 31, 35, 28, 32, 30, 33, 29, 34]  # 12 days before the change
AFTER_HOURS = [9, 8, 10, 7, 9, 8, 10, 9, 8, 7, 9, 8]                # 12 days from the change on: clearly better


def _csv(first: date, hours: list[int]) -> str:
    return "date,value\n" + "".join(f"{(first + timedelta(days=i)).isoformat()},{h}\n" for i, h in enumerate(hours))


def _flash(page, text: str):
    return page.get_by_role("status").filter(has_text=text)


def _backdate_start(improvement_id: int, started_on: date) -> None:
    """Setup shortcut: the pages open an improvement today and refuse a change date before its start, so a
    change that went live two weeks ago (with measurements on both sides) needs the improvement opened
    earlier, as test_improvement_cycle does."""
    db.session.remove()
    db.session.get(Improvement, improvement_id).started_on = started_on
    db.session.commit()
    db.session.remove()


def test_a_quality_lead_runs_an_improvement_to_check_and_sees_the_run_chart_and_the_verdict(
        page, screenshot, make_user):
    make_user("quinn", "quality_lead")
    log_in(page, "quinn")

    # 1. Plan: open a new improvement from the register
    page.get_by_role("link", name="Improvements", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Improvement register")
    page.get_by_role("link", name="New improvement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New improvement")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Problem statement").fill("Customers wait more than a day for the first reply to an e-mail.")
    page.get_by_label("Source").select_option(label="Complaint")
    page.get_by_label("SERVQUAL dimension").select_option(label="Responsiveness")
    page.get_by_label("Primary metric").select_option(label="First response time (hours)")
    page.get_by_label("Target (in the metric's unit)").fill("12")
    page.get_by_role("button", name="Save").click()

    expect(_flash(page, "Improvement opened in Plan.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page).to_have_url(re.compile(r"/improvements/\d+$"))
    improvement_url = page.url
    improvement_id = int(improvement_url.rsplit("/", 1)[1])
    gate = page.locator("#gate")
    expect(gate.get_by_role("heading", name="To move to Do")).to_be_visible()
    expect(gate.locator("li.met")).to_contain_text(["A problem statement", "A primary metric — First response time.",
                                                    "A target"])
    expect(gate.locator("li.unmet")).to_contain_text([
        "A baseline — 0 measurements of the metric in the year before the change; at least 6 are needed",
        "At least one root cause — Analyse the problem to a root cause.",
        "At least one action — Plan an action with an owner and a due date."])
    screenshot(page, "plan-opened")

    # the gate refuses and says why
    gate.get_by_role("button", name="Move to Do").click()
    expect(_flash(page, "The improvement stays in Plan:")).to_be_visible()
    expect(_flash(page, "At least one root cause: Analyse the problem to a root cause.")).to_be_visible()
    expect(gate.locator("li.unmet")).to_have_count(3)
    expect(page.locator("ol.pdca li.current")).to_have_text("Plan")
    screenshot(page, "plan-refused")

    _backdate_start(improvement_id, TODAY - timedelta(days=60))
    page.goto(improvement_url)

    # a root cause with its whys
    causes = page.locator("#causes")
    causes.get_by_text("Add a root cause").click()
    causes.get_by_label("Root cause").fill("Nobody owns the shared inbox")
    causes.get_by_label("Category").select_option(label="Process")
    causes.get_by_label("Why? Why? Why?").fill("Replies are slow\nMails sit unread for hours\nThere is no inbox rota")
    causes.get_by_role("button", name="Add the cause").click()
    expect(_flash(page, "Root cause added.")).to_be_visible()
    expect(causes.locator(".cause strong")).to_have_text("Nobody owns the shared inbox")
    expect(causes.locator("ol.why-chain li")).to_have_count(3)

    # a corrective action with an owner and a due date
    actions = page.locator("#actions")
    actions.get_by_text("Add an action").click()
    actions.get_by_label("Action", exact=True).fill("Start an inbox rota")
    actions.get_by_label("Kind").select_option(label="Corrective")
    expect(actions.get_by_label("Owner", exact=True)).to_have_value(re.compile(r"\d+"))  # the lead by default
    actions.get_by_label("Due date").fill(CHANGE.isoformat())
    actions.get_by_label("Addresses the cause").select_option(label="Nobody owns the shared inbox")
    actions.get_by_role("button", name="Add the action").click()
    expect(_flash(page, "Action added.")).to_be_visible()
    action_row = actions.locator("table.actions tbody tr").filter(has_text="Start an inbox rota")
    expect(action_row).to_contain_text("Corrective")
    expect(action_row).to_contain_text("Open")

    # the baseline, pasted
    measurements = page.locator("#measurements")
    measurements.get_by_label("Paste rows").fill(_csv(CHANGE - timedelta(days=12), BASELINE_HOURS))
    measurements.get_by_role("button", name="Add the rows").click()
    expect(_flash(page, "12 measurements added.")).to_be_visible()

    # the change date, through the edit form
    page.locator("article.improvement > header").get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit: {TITLE}")
    page.get_by_label("Change date").fill(CHANGE.isoformat())
    page.get_by_label("What changed").fill("A daily inbox rota; the first reply within the morning.")
    page.get_by_role("button", name="Save").click()
    expect(_flash(page, "Saved.")).to_be_visible()
    expect(page.locator("article.improvement > header")).to_contain_text(f"Change date: {CHANGE.isoformat()}")
    expect(gate.locator("li.unmet")).to_have_count(0)
    expect(gate.locator("li.met")).to_contain_text(["A problem statement", "A primary metric", "A target",
                                                    "A baseline — 12 measurements in the year before the change.",
                                                    "At least one root cause — 1 root cause.",
                                                    "At least one action — 1 action."])

    # Plan -> Do
    gate.get_by_role("button", name="Move to Do").click()
    expect(_flash(page, "The improvement is now in Do.")).to_be_visible()
    expect(page.locator("ol.pdca li.current")).to_have_text("Do")
    expect(gate.get_by_role("heading", name="To move to Check")).to_be_visible()
    expect(gate.locator("li.unmet")).to_have_text(re.compile(
        r"Every corrective, preventive and standardise action done or dropped — Still open: Start an inbox rota\."))

    # the open corrective action holds the gate, and the page says so
    gate.get_by_role("button", name="Move to Check").click()
    expect(_flash(page, "The improvement stays in Do:")).to_be_visible()
    expect(_flash(page, "Still open: Start an inbox rota.")).to_be_visible()
    expect(page.locator("ol.pdca li.current")).to_have_text("Do")
    screenshot(page, "do-refused")

    action_row.get_by_label("Status", exact=True).select_option(label="Done")
    action_row.get_by_label("Done on").fill(CHANGE.isoformat())
    action_row.get_by_role("button", name="Update").click()
    expect(_flash(page, "Action updated.")).to_be_visible()
    expect(action_row).to_contain_text(f"Done {CHANGE.isoformat()}")
    expect(gate.locator("li.unmet")).to_have_count(0)

    # Do -> Check
    gate.get_by_role("button", name="Move to Check").click()
    expect(_flash(page, "The improvement is now in Check.")).to_be_visible()
    expect(page.locator("ol.pdca li.current")).to_have_text("Check")
    expect(gate.get_by_role("heading", name="To move to Act")).to_be_visible()
    expect(gate.locator("li.unmet")).to_contain_text(
        "The effect measured after the change — 0 measurements after the change; at least 6 are needed on each side.")
    expect(page.locator("#verdict .badge")).to_have_text("Not enough data")

    # Check: the results, uploaded as a CSV file
    measurements.get_by_label("CSV file").set_input_files(files=[{
        "name": "after-the-rota.csv", "mimeType": "text/csv",
        "buffer": _csv(CHANGE, AFTER_HOURS).encode()}])
    measurements.get_by_role("button", name="Upload").click()
    expect(_flash(page, "12 measurements imported.")).to_be_visible()

    chart = measurements.locator("figure.chart svg[role=img]")
    expect(chart).to_have_attribute("aria-label", "First response time")
    expect(chart.locator("line.change-marker")).to_have_count(1)
    expect(chart.locator("line.target")).to_have_count(1)
    verdict = page.locator("#verdict")
    expect(verdict.locator(".badge.verdict-effective")).to_have_text("Effective")
    expect(verdict).to_contain_text("Target 12 hours: met.")
    expect(gate.locator("li.met")).to_have_text(
        re.compile(r"The effect measured after the change — Verdict: Effective\."))
    expect(gate.get_by_role("button", name="Move to Act")).to_be_visible()
    chart.scroll_into_view_if_needed()
    screenshot(page, "check-run-chart")

    # the dashboard lists the cycle among those that reached Check, with its small chart
    page.get_by_role("link", name="Improvements", exact=True).click()
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Improvement dashboard")
    cycles = page.locator("#cycles")
    expect(cycles.get_by_role("heading", name="Cycles that reached Check")).to_be_visible()
    row = cycles.locator("table.cycles tbody tr").filter(has=page.get_by_role("link", name=TITLE))
    expect(row).to_have_count(1)
    expect(row.locator(".badge.phase-check")).to_have_text("Check")
    expect(row.locator(".badge.verdict-effective")).to_have_text("Effective")
    expect(row.locator("svg.run-chart.small[role=img]")).to_be_visible()
    expect(row.locator("svg[role=img] line.change-marker")).to_have_count(1)
    screenshot(page, "dashboard")

    row.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(improvement_url)
    log_out(page)
