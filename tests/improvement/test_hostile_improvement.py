"""Property-based: whatever a quality lead (or a KPI system with a token) sends to the improvement register's
forms and JSON API, the answer is a page or a JSON reason (2xx, 3xx or 4xx), never a 500; nothing half-written
is kept (a refused change leaves the records as they were, an accepted one is whole), and no NaN or infinity is
ever stored. Each form is fuzzed as a valid form with a few fields replaced by hostile values."""
import csv
import io
import json
import math
import os
import re
import string
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from accounts import tokens
from core import clock
from core.db import db
from improvement import causes_and_actions as work
from improvement import phases
from improvement.causes_and_actions import parse_whys
from improvement.models import (
    ACTION_KINDS,
    ACTION_STATUSES,
    CAUSE_CATEGORIES,
    CHARTS,
    DECISIONS,
    DIMENSIONS,
    DIRECTIONS,
    OPEN_PHASES,
    PHASES,
    SEVERITIES,
    SOURCES,
    Action,
    ArticleLink,
    Improvement,
    Measurement,
    Metric,
    RootCause,
)
from tests.support.counting import count

TODAY = clock.today()
# every printable character and a few control ones; NUL is refused up front (400), tested elsewhere
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=300)
SHORT = st.one_of(st.sampled_from(["", " ", "0", "1", "-1", "99999999999", "2147483648", "1e3", "%", "' OR 1=1 --",
                                   "<script>", "\"", "\r\n", "nan", "none", "None", "null", "\u202e"]), TEXT)
NUMBERS = st.one_of(
    st.sampled_from(["", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e308", "-1e16",
                     "1.7976931348623157e308", "5e-324", "²", "１２", "٣", "1_000", "1,5", "0x10", " 3 ", "-0", "0",
                     "9" * 400, "1e-400", "30", "412"]),
    st.floats().map(repr), st.integers().map(str), SHORT)
DATES = st.one_of(
    st.dates(min_value=TODAY - timedelta(days=400), max_value=TODAY).map(date.isoformat),
    st.dates().map(date.isoformat),
    st.sampled_from(["", "2026-02-30", "31/12/2025", "0001-01-01", "9999-12-31", "2026-1-5", "20260105", "today",
                     "２０２６-０１-０５", (TODAY + timedelta(days=1)).isoformat(), TODAY.isoformat()]),
    SHORT)
IDS = st.one_of(st.integers(min_value=-3, max_value=40).map(str), st.integers().map(str), SHORT)
# deterministic in the suite (a red CI run must be reproducible); HYPOTHESIS_EXAMPLES=300 explores more
FUZZ = settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 30)), deadline=None,
                derandomize="HYPOTHESIS_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
ADDED = re.compile(r"(\d+) measurements (?:added|imported)\.")
TOKEN_PAGE = "/my-actions"  # the session's CSRF token from a light page (the token is the same on every page)


def choice(codes) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(codes), SHORT)


def fuzzing(**fields) -> st.SearchStrategy:
    """A few of `fields` (name: strategy) with hostile values, the rest left as a valid form has them;
    a value of None leaves the field out of the form."""
    values = st.fixed_dictionaries({name: st.one_of(strategy, st.none()) for name, strategy in fields.items()})
    chosen = st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=len(fields))
    return st.tuples(values, chosen).map(lambda drawn: {name: drawn[0][name] for name in drawn[1]})


def form(valid: dict, hostile: dict) -> dict:
    return {name: value for name, value in (valid | hostile).items() if value is not None}


def answered_cleanly(answer) -> bool:
    event(f"answered {answer.status_code}")  # --hypothesis-show-statistics: how often the input was accepted
    return answer.status_code < 500


def strict_json(answer):
    """The answer's body as standard JSON: NaN and Infinity, which Python writes and browsers refuse, fail."""
    def refuse(constant):
        raise AssertionError(f"{constant} in a JSON answer")
    return json.loads(answer.get_data(as_text=True), parse_constant=refuse)


def shown_everywhere(client, improvement_id: int) -> bool:
    """The improvement as it now stands shows: its page, its A3 report, its JSON and the dashboard."""
    shown = [client.get(url) for url in (f"/improvements/{improvement_id}", f"/improvements/{improvement_id}/report",
                                         f"/api/v1/improvements/{improvement_id}", "/improvements/dashboard")]
    return [answer.status_code for answer in shown] == [200] * 4 and bool(strict_json(shown[2]))


def fresh(model, ident):
    db.session.remove()
    return db.session.get(model, ident)


def nothing_unfinite_is_stored() -> bool:
    """No stored value, denominator, target or scale is NaN or infinite (SQLite keeps a NaN as NULL)."""
    db.session.remove()
    required = [*db.session.scalars(select(Measurement.value)), *db.session.scalars(select(Metric.scale))]
    optional = [*db.session.scalars(select(Measurement.denominator)), *db.session.scalars(select(Improvement.target))]
    return all(n is not None and math.isfinite(n) for n in required) and \
        all(n is None or math.isfinite(n) for n in optional)


class Register:
    """What every example of a test shares, made once per app (the app lives through all the examples)."""

    def __init__(self, app, login_as, make_improvement, make_article):
        self.api_client = app.test_client()  # no session: the token alone
        self.lead = login_as("quality_lead")
        self.plain = make_improvement("Plain improvement", metric=None)
        # changed a month ago, so their measurements give a baseline, a result and a verdict on the pages
        changed = dict(started_on=TODAY - timedelta(days=60), change_date=TODAY - timedelta(days=30))
        self.hours = make_improvement("Slow first replies", metric="First response time", target=10.0, **changed)
        self.share = make_improvement("Unhappy callers", metric="CSAT", target=90.0, **changed)
        self.cause = work.add_cause(self.plain, work.CauseDetails("No rota", "process", ["Nobody plans"]), self.lead)
        self.action = work.add_action(self.plain, work.ActionDetails("Make a rota", "corrective", self.lead.id, TODAY),
                                      self.lead)
        self.article = make_article("Answer e-mail within a day")
        self.token = tokens.issue_token(self.lead, "fuzz")
        db.session.commit()

    def improvement_in(self, phase: str, make_improvement, decision: str | None = None) -> Improvement:
        improvement = make_improvement("A fresh one", owner=self.lead, metric=None)
        if phase != "plan":
            phases.enter(improvement, phase)
        improvement.decision = decision
        db.session.commit()
        return improvement


def register(app, login_as, make_improvement, make_article) -> Register:
    if not hasattr(app, "_fuzz_register"):
        app._fuzz_register = Register(app, login_as, make_improvement, make_article)
    return app._fuzz_register


# ---- the improvement itself ----------------------------------------------------------------------------

IMPROVEMENT_FIELDS = dict(title=st.one_of(TEXT, st.sampled_from(["x" * 200, "x" * 201, "  Padded  "])),
                          problem=TEXT, source=choice(SOURCES), dimension=choice(DIMENSIONS), touchpoint=TEXT,
                          severity=choice(SEVERITIES), owner_id=IDS, metric_id=IDS, target=NUMBERS,
                          change_date=DATES, what_changed=TEXT, follows_id=IDS, started_on=DATES,
                          base_version=IDS)


def valid_improvement(reg: Register) -> dict:
    return {"title": "Slow replies", "problem": "Customers wait.", "source": "complaint",
            "dimension": "responsiveness", "touchpoint": "E-mail", "severity": "high", "owner_id": str(reg.lead.id),
            "metric_id": str(reg.hours.metric_id), "target": "10", "change_date": "", "what_changed": "",
            "follows_id": "0", "started_on": "", "base_version": ""}


@FUZZ
@given(hostile=fuzzing(**IMPROVEMENT_FIELDS))
def test_opening_an_improvement_never_fails_and_adds_one_only_on_a_redirect(app, client, login_as,
                                                                             make_improvement, make_article, hostile):
    reg = register(app, login_as, make_improvement, make_article)
    sent = form(valid_improvement(reg), hostile)
    before = count(Improvement)
    answer = client.submit("/improvements/new", sent, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    assert count(Improvement) == before + (1 if answer.status_code == 303 else 0)
    if answer.status_code == 303:
        created = fresh(Improvement, int(answer.headers["Location"].rsplit("/", 1)[-1]))
        assert shown_everywhere(client, created.id)
        assert created.title == sent["title"].strip() and created.phase == "plan" and len(created.periods) == 1
        assert created.started_on <= TODAY
        assert created.change_date is None or created.change_date >= created.started_on
    assert nothing_unfinite_is_stored()


def snapshot(improvement_id: int) -> tuple:
    found = fresh(Improvement, improvement_id)
    return (found.title, found.problem, found.source, found.dimension, found.touchpoint, found.severity,
            found.owner_id, found.metric_id, found.target, found.change_date, found.what_changed, found.follows_id,
            found.phase, found.decision, found.decision_note, found.cancel_reason, found.version)


@FUZZ
@given(hostile=fuzzing(**IMPROVEMENT_FIELDS))
def test_editing_an_improvement_never_fails_and_keeps_it_whole(app, client, login_as, make_improvement,
                                                               make_article, hostile):
    reg = register(app, login_as, make_improvement, make_article)
    url = f"/improvements/{reg.hours.id}/edit"
    sent = form(valid_improvement(reg), hostile)
    before = snapshot(reg.hours.id)
    answer = client.submit(url, sent, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    after = snapshot(reg.hours.id)
    if answer.status_code == 303:  # a field left out keeps what the improvement has
        assert after[0] == sent.get("title", before[0]).strip() and shown_everywhere(client, reg.hours.id)
    else:
        assert after == before
    assert nothing_unfinite_is_stored()


@FUZZ
@given(phase=st.sampled_from(PHASES), direction=st.one_of(st.sampled_from(["forward", "back"]), SHORT),
       reason=TEXT, decided=st.booleans())
@example(phase="do", direction="back", reason="x" * 301, decided=False)  # a reason too long: nothing moves
def test_moving_between_phases_never_fails_and_goes_at_most_one_step(app, client, login_as, make_improvement,
                                                                     make_article, phase, direction, reason, decided):
    reg = register(app, login_as, make_improvement, make_article)
    improvement = reg.improvement_in(phase, make_improvement, "abandon" if decided else None)  # Act's gate met
    page = f"/improvements/{improvement.id}"
    answer = client.submit(f"{page}/phase", {"direction": direction, "reason": reason}, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    moved = fresh(Improvement, improvement.id)
    allowed = {"forward": {phase, phases.FORWARD.get(phase)}, "back": {phase, phases.BACK.get(phase)}}
    assert moved.phase in allowed.get(direction, {phase})
    assert len(moved.periods) == 1 + (1 if phase != "plan" else 0) + (1 if moved.phase != phase else 0)


@FUZZ
@given(phase=st.sampled_from(PHASES), reason=TEXT)
@example(phase="plan", reason=" \r\n ")
@example(phase="plan", reason="x" * 2000)
@example(phase="plan", reason="x" * 2001)
def test_cancelling_never_fails_and_needs_an_open_improvement_and_a_reason(app, client, login_as, make_improvement,
                                                                           make_article, phase, reason):
    reg = register(app, login_as, make_improvement, make_article)
    improvement = reg.improvement_in(phase, make_improvement)
    page = f"/improvements/{improvement.id}"
    answer = client.submit(f"{page}/cancel", {"reason": reason}, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    accepted = phase in OPEN_PHASES and bool(reason.strip()) and len(reason) <= 2000
    assert answer.status_code == (303 if accepted else 400)
    after = fresh(Improvement, improvement.id)
    assert (after.phase, after.cancel_reason) == (("cancelled", reason.strip()) if accepted else (phase, ""))


@FUZZ
@given(phase=st.sampled_from(("act", "act", "check", "closed")), decision=choice(DECISIONS),
       note=TEXT)
@example(phase="act", decision="adopt", note="x" * 2001)
def test_deciding_never_fails_and_records_only_a_listed_decision_at_act(app, client, login_as, make_improvement,
                                                                        make_article, phase, decision, note):
    reg = register(app, login_as, make_improvement, make_article)
    improvement = reg.improvement_in(phase, make_improvement)
    page = f"/improvements/{improvement.id}"
    answer = client.submit(f"{page}/decision", {"decision": decision, "note": note}, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    accepted = phase == "act" and decision in DECISIONS and len(note) <= 2000
    assert answer.status_code == (303 if accepted else 400)
    after = fresh(Improvement, improvement.id)
    assert (after.decision, after.decision_note) == ((decision, note.strip()) if accepted else (None, ""))


@FUZZ
@given(reference=st.one_of(st.sampled_from(["{id}", "{slug}", " {id} ", "/kb/articles/{id}",
                                            "http://x/kb/articles/{id}",
                                            "/kb/articles/99999999999999999999", "99999999999999999999", "٣",
                                            "{slug}/../x", "0", "-1"]), TEXT))
def test_linking_an_article_never_fails_and_links_only_the_article_named(app, client, login_as, make_improvement,
                                                                         make_article, reference):
    reg = register(app, login_as, make_improvement, make_article)
    page = f"/improvements/{reg.plain.id}"
    sent = reference.replace("{id}", str(reg.article.id)).replace("{slug}", reg.article.slug)
    before = count(ArticleLink, ArticleLink.improvement_id == reg.plain.id)
    answer = client.submit(f"{page}/articles", {"article": sent}, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    db.session.remove()
    linked = set(db.session.scalars(select(ArticleLink.article_id).where(ArticleLink.improvement_id == reg.plain.id)))
    assert linked <= {reg.article.id}
    assert answer.status_code == 303 or len(linked) == before


# ---- causes and actions ------------------------------------------------------------------------------

WHYS = st.one_of(TEXT, st.lists(st.one_of(TEXT, st.sampled_from(["1. Nobody plans", "- no rota", "  ", "x" * 301])),
                                max_size=12).map("\n".join),
                 st.lists(st.sampled_from(["Why", "\r\n", "\r", "\u2028", "\x0b", "\x1c", "2)"]),
                          max_size=30).map("".join))
CAUSE_FIELDS = dict(statement=st.one_of(TEXT, st.just("x" * 301)), category=choice(CAUSE_CATEGORIES), whys=WHYS,
                    evidence=TEXT, verified=st.sampled_from(["", "y", "on", "false", "0", "\x7f"]))
VALID_CAUSE = {"statement": "The inbox has no owner", "category": "process", "whys": "No rota\nNobody asked",
               "evidence": "", "verified": "y"}


def cause_snapshot(cause_id: int) -> tuple:
    cause = fresh(RootCause, cause_id)
    return cause.statement, cause.category, cause.evidence, cause.verified, [w.text for w in cause.whys]


@FUZZ
@given(hostile=fuzzing(**CAUSE_FIELDS))
def test_adding_a_cause_never_fails_and_keeps_its_whole_why_chain(app, client, login_as, make_improvement,
                                                                  make_article, hostile):
    reg = register(app, login_as, make_improvement, make_article)
    page = f"/improvements/{reg.plain.id}"
    sent = form(VALID_CAUSE, hostile)
    before = count(RootCause)
    answer = client.submit(f"{page}/causes", sent, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    assert count(RootCause) == before + (1 if answer.status_code == 303 else 0)
    if answer.status_code == 303:
        newest = db.session.scalar(select(func.max(RootCause.id)))
        assert cause_snapshot(newest)[-1] == parse_whys(sent.get("whys", ""))


@FUZZ
@given(hostile=fuzzing(**CAUSE_FIELDS))
@example(hostile={"whys": None})  # was a 500: the form took the cause's WhyStep objects as the why-text
def test_editing_a_cause_never_fails_and_keeps_it_whole(app, client, login_as, make_improvement, make_article, hostile):
    reg = register(app, login_as, make_improvement, make_article)
    url = f"/improvements/{reg.plain.id}/causes/{reg.cause.id}"
    sent = form(VALID_CAUSE, hostile)
    before = cause_snapshot(reg.cause.id)
    answer = client.submit(url, sent, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    after = cause_snapshot(reg.cause.id)
    if answer.status_code == 303:  # a field left out keeps what the cause has
        assert after[0] == sent.get("statement", before[0]).strip()
        assert after[-1] == (parse_whys(sent["whys"]) if "whys" in sent else before[-1])
    else:
        assert after == before


@FUZZ
@given(hostile=fuzzing(description=st.one_of(TEXT, st.just("x" * 301)), kind=choice(ACTION_KINDS), owner_id=IDS,
                       due_on=DATES, cause_id=IDS))
def test_adding_an_action_never_fails_and_adds_one_only_on_a_redirect(app, client, login_as, make_improvement,
                                                                      make_article, hostile):
    reg = register(app, login_as, make_improvement, make_article)
    page = f"/improvements/{reg.plain.id}"
    sent = form({"description": "Inbox rota", "kind": "corrective", "owner_id": str(reg.lead.id),
                 "due_on": TODAY.isoformat(), "cause_id": str(reg.cause.id)}, hostile)
    before = count(Action)
    answer = client.submit(f"{page}/actions", sent, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    assert count(Action) == before + (1 if answer.status_code == 303 else 0)
    if answer.status_code == 303:
        newest = fresh(Action, db.session.scalar(select(func.max(Action.id))))
        assert newest.due_on >= newest.improvement.started_on and newest.owner.active


@FUZZ
@given(hostile=fuzzing(status=choice(ACTION_STATUSES), done_on=DATES, drop_reason=st.one_of(TEXT, st.just("x" * 301)),
                       back=st.sampled_from(["mine", "", "//evil.example", "http://evil.example/"])))
def test_changing_an_action_s_status_never_fails_and_leaves_a_sound_action(app, client, login_as, make_improvement,
                                                                           make_article, hostile):
    reg = register(app, login_as, make_improvement, make_article)
    sent = form({"status": "in_progress", "done_on": "", "drop_reason": ""}, hostile)
    answer = client.submit(f"/improvements/actions/{reg.action.id}/status", sent, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    assert answer.status_code != 303 or answer.headers["Location"].startswith("/")
    assert not answer.headers.get("Location", "/").startswith("//")
    action = fresh(Action, reg.action.id)
    assert action.status in ACTION_STATUSES and len(action.drop_reason) <= 300
    assert (action.done_on is not None) == (action.status == "done")
    assert action.done_on is None or action.improvement.started_on <= action.done_on <= TODAY
    assert bool(action.drop_reason.strip()) == (action.status == "dropped")


# ---- measurements: typed, pasted, uploaded -------------------------------------------------------------

MEASURED = ("hours", "share", "hours", "share", "plain")  # a number (hours), a proportion (CSAT), no metric
RECENT = st.dates(min_value=TODAY - timedelta(days=1000), max_value=TODAY)
CLEAN = st.sampled_from([True, True, False])  # start without measurements, or where the last example left them


EXTREME = st.floats(min_value=-1e15, max_value=1e15)  # finite, down to 5e-324: what the statistics must take
COUNTED = st.one_of(st.just(500.0), st.floats(min_value=5e-324, max_value=1e15))  # a proportion's denominator


def good_batch(which: str) -> st.SearchStrategy:
    """Rows a whole import stores: distinct recent dates, values the metric takes (out of a denominator for a
    proportion), mostly everyday ones, some at the edges of what a float holds."""
    if which == "share":
        value = st.tuples(st.one_of(st.integers(0, 500).map(lambda n: n / 500), st.floats(0, 1)), COUNTED).map(
            lambda drawn: f"{drawn[0] * drawn[1]!r},{drawn[1]!r}")
    else:
        value = st.one_of(st.integers(min_value=0, max_value=500), st.integers(0, 500), EXTREME).map(repr)
    rows = st.lists(st.tuples(RECENT, value), min_size=1, max_size=8, unique_by=lambda row: row[0])
    return rows.map(lambda rows: [f"{day.isoformat()},{value}" for day, value in rows])


HOSTILE_ROW = st.one_of(
    st.tuples(st.lists(st.one_of(DATES, NUMBERS, st.sampled_from(["", "ok", "\"a,b\"", "\"", "é", "a\x00b"])),
                       max_size=5), st.sampled_from([",", ",", "\t", ";"])).map(lambda row: row[1].join(row[0])),
    st.tuples(RECENT, NUMBERS, NUMBERS).map(lambda row: f"{row[0].isoformat()},{row[1]},{row[2]}"),
    TEXT)
HEADERS = st.sampled_from(["", "", "date,value\n", "date,value,denominator,note\n", "value,date,denominator\n",
                           " Date , VALUE ,denominator\n", "date,value,value\n", "date,amount\n", "date\n"])
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


def pasted(which: str) -> st.SearchStrategy:
    """CSV text: mostly good rows, with a few hostile ones among them (or only hostile ones), a header or not."""
    rows = st.one_of(good_batch(which), good_batch(which), st.tuples(good_batch(which), st.lists(
        HOSTILE_ROW, min_size=1, max_size=3)).map(lambda rows: rows[0] + rows[1]), st.lists(HOSTILE_ROW, max_size=8))
    header = st.sampled_from(["", "", "", "date,value,denominator\n" if which == "share" else "date,value\n"]) | HEADERS
    text = st.tuples(header, rows, NEWLINES).map(lambda text: text[0] + text[2].join(text[1]))
    return st.one_of(text, text, text, TEXT)


def file_bytes(which: str) -> st.SearchStrategy:
    text = pasted(which)
    return st.one_of(text.map(str.encode), text.map(lambda t: b"\xef\xbb\xbf" + t.encode()),
                     text.map(lambda t: t.encode("utf-16")), text.map(lambda t: t.encode("latin-1", "replace")),
                     st.binary(max_size=400),
                     st.sampled_from([b"date,value\n2026-01-05,1e999\n", b"date,value\n2026-01-05,caf\xe9\n",
                                      b"date,value\n" + b"9" * 5000 + b",1\n", b"\x00\x01\x02",
                                      b"date,value\n2026-01-05,1," + b"x" * 140_000 + b"\n"]))


def data_rows(text: str) -> int:
    """The rows of a paste or a file a whole import stores: the non-blank ones, less a header."""
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)]
    return len(rows) - (1 if rows and rows[0] and rows[0][0].strip().lower() == "date" else 0)


def measuring(reg: Register, which: str, clean: bool) -> Improvement:
    """The improvement `which`; its metrics without measurements when `clean` (else old dates collide)."""
    if clean:
        db.session.remove()
        db.session.execute(delete(Measurement))
        db.session.commit()
    return getattr(reg, which)


def reported_added(client, answer) -> int:
    """How many measurements the page said were added (0 when it refused)."""
    if answer.status_code != 303:
        return 0
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200
    added = int(ADDED.search(page.text).group(1))
    assert shown_everywhere(client, int(answer.headers["Location"].split("/")[2].split("#")[0]))
    return added


@FUZZ
@given(which=st.sampled_from(MEASURED), clean=CLEAN, day=RECENT,
       hostile=fuzzing(taken_on=DATES, value=NUMBERS, denominator=NUMBERS, note=st.one_of(TEXT, st.just("x" * 201))))
def test_a_typed_measurement_never_fails_and_is_stored_whole_or_not_at_all(app, client, login_as, make_improvement,
                                                                           make_article, which, clean, day, hostile):
    reg = register(app, login_as, make_improvement, make_article)
    page = f"/improvements/{measuring(reg, which, clean).id}"
    sent = form({"taken_on": day.isoformat(), "value": "412", "denominator": "500" if which == "share" else "",
                 "note": ""}, hostile)
    before = count(Measurement)
    answer = client.submit(f"{page}/measurements", sent, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    added = reported_added(client, answer)
    assert count(Measurement) == before + added
    assert answer.status_code != 303 or added == 1
    assert nothing_unfinite_is_stored()


@FUZZ
@given(which_rows=st.sampled_from(MEASURED).flatmap(lambda which: st.tuples(st.just(which), pasted(which))),
       clean=CLEAN)
@example(which_rows=("hours", "2026-01-05,30\r2026-01-06,31"), clean=True)  # was a 500: lone \r line ends
def test_pasted_rows_never_fail_and_are_stored_all_or_none(app, client, login_as, make_improvement, make_article,
                                                           which_rows, clean):
    which, rows = which_rows
    reg = register(app, login_as, make_improvement, make_article)
    page = f"/improvements/{measuring(reg, which, clean).id}"
    before = count(Measurement)
    answer = client.submit(f"{page}/measurements", {"kind": "paste", "rows": rows}, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    added = reported_added(client, answer)
    assert count(Measurement) == before + added
    assert answer.status_code != 303 or added == data_rows(rows) > 0
    assert nothing_unfinite_is_stored()


FILE_NAMES = st.one_of(st.sampled_from(["kpi.csv", "kpi.csv", "KPI.CSV", "kpi.txt", "kpi.xlsx", "kpi", ".csv",
                                        "../../kpi.csv", "k\u00e9pi.csv", "x" * 300 + ".csv", "kpi.csv.exe", ""]),
                       st.text(max_size=40).filter(lambda name: not set(name) & set('\r\n"\\\x00')))
PART_TYPES = st.sampled_from(["text/csv", "application/octet-stream", "application/vnd.ms-excel", "image/png",
                              "text/csv; charset=latin-1"])


@FUZZ
@given(which_data=st.sampled_from(MEASURED).flatmap(lambda which: st.tuples(st.just(which), file_bytes(which))),
       clean=CLEAN, name=FILE_NAMES, part_type=PART_TYPES,
       sent_as=st.sampled_from(["multipart", "multipart", "multipart", "raw", "urlencoded"]))
@example(which_data=("hours", b"date,value\r2026-01-05,30\r2026-01-06,31"), clean=True, name="kpi.csv",
         part_type="text/csv", sent_as="multipart")  # was a 500: lone \r line ends
@example(which_data=("hours", b"date,value\n2026-01-05,1," + b"x" * 140_000), clean=True, name="kpi.csv",
         part_type="text/csv", sent_as="multipart")  # was a 500: a cell over the csv module's limit
@example(which_data=("hours", b"date,value,denominator,note\n2026-01-05,30,,a\x00b\n"), clean=True, name="kpi.csv",
         part_type="text/csv", sent_as="multipart")  # was a 500 on PostgreSQL: a NUL in a note
def test_an_uploaded_file_never_fails_and_is_imported_all_or_none(app, client, login_as, make_improvement,
                                                                  make_article, which_data, clean, name,
                                                                  part_type, sent_as):
    which, data = which_data
    reg = register(app, login_as, make_improvement, make_article)
    page = f"/improvements/{measuring(reg, which, clean).id}"
    url = f"{page}/measurements/upload"
    before = count(Measurement)
    if sent_as == "multipart":
        answer = client.submit(url, {"file": (io.BytesIO(data), name, part_type)}, token_from=TOKEN_PAGE,
                               content_type="multipart/form-data")
    elif sent_as == "raw":  # the file as the whole body: no form, no CSRF token
        answer = client.post(url, data=data, content_type=part_type)
    else:  # the file's text in a plain form field
        answer = client.submit(url, {"file": data.decode("latin-1").replace("\x00", "")}, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    added = reported_added(client, answer)
    assert count(Measurement) == before + added
    assert answer.status_code != 303 or added == data_rows(data.decode("utf-8-sig")) > 0
    assert nothing_unfinite_is_stored()


# ---- the metric catalogue -------------------------------------------------------------------------------

@FUZZ
@given(hostile=fuzzing(name=st.one_of(st.sampled_from(["CSAT", "csat", " CSAT ", "Ärger", "ÄRGER", "ärger", "Σ",
                                                       "σ", "x" * 121]), TEXT),
                       unit=TEXT, direction=choice(DIRECTIONS), chart=choice(CHARTS),
                       proportion=st.sampled_from(["", "y", "on", "0"]), scale=NUMBERS, description=TEXT))
def test_adding_a_metric_never_fails_and_adds_one_only_on_a_redirect(app, client, login_as, make_improvement,
                                                                     make_article, hostile):
    register(app, login_as, make_improvement, make_article)
    url = "/improvements/metrics"
    before = count(Metric)
    sent = form({"name": f"Callbacks kept {before}", "unit": "%", "direction": "higher", "chart": "p",
                 "proportion": "y", "scale": "100", "description": ""}, hostile)
    answer = client.submit(url, sent, token_from=TOKEN_PAGE)
    assert answered_cleanly(answer)
    assert count(Metric) == before + (1 if answer.status_code == 303 else 0)
    if answer.status_code == 303:
        added = fresh(Metric, db.session.scalar(select(func.max(Metric.id))))
        assert added.name == sent["name"].strip() and added.scale > 0
    assert nothing_unfinite_is_stored()


# ---- the JSON API --------------------------------------------------------------------------------------

def json_containing(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)


JSON = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20), json_containing,
                    max_leaves=16)
JSON_NUMBER = st.one_of(st.integers(min_value=0, max_value=500), st.floats(), st.integers(),
                        st.sampled_from([10 ** 400, -10 ** 400, 2 ** 63, True, "412", " 7 ", "nan", "1e999", "²", [],
                                         {}]), JSON)
JSON_DATE = st.one_of(RECENT.map(date.isoformat), DATES, JSON)
HOSTILE_VALUES = {"date": JSON_DATE, "value": JSON_NUMBER, "denominator": JSON_NUMBER,
                  "note": st.one_of(TEXT, JSON, st.just("a\x00b")), "extra": JSON}


def good_items(which: str) -> st.SearchStrategy:
    """Measurements a push stores: distinct recent dates, values the metric takes (some at a float's edges)."""
    if which == "share":
        value = st.tuples(st.floats(0, 1), COUNTED).map(
            lambda drawn: {"value": drawn[0] * drawn[1], "denominator": drawn[1]})
    else:
        value = st.one_of(st.integers(min_value=0, max_value=500), EXTREME).map(lambda number: {"value": number})
    rows = st.lists(st.tuples(RECENT, value), min_size=1, max_size=6, unique_by=lambda row: row[0])
    return rows.map(lambda rows: [{"date": day.isoformat()} | value for day, value in rows])


def push_bodies(which: str) -> st.SearchStrategy:
    """Good measurements with a few made hostile (a field replaced, one more hostile item), or any JSON at all."""
    hostile_item = st.tuples(good_items(which), st.sampled_from(sorted(HOSTILE_VALUES)), st.data()).map(
        lambda drawn: drawn[0][0] | {drawn[1]: drawn[2].draw(HOSTILE_VALUES[drawn[1]])})
    mixed = st.tuples(good_items(which), st.lists(hostile_item, min_size=1, max_size=2)).map(
        lambda drawn: drawn[0] + drawn[1])
    items = st.one_of(good_items(which), good_items(which), mixed, st.lists(hostile_item, max_size=4))
    return st.one_of(items.map(lambda items: {"measurements": items}), items.map(lambda items: {"measurements": items}),
                     items.map(lambda items: items[0] if items else {}), items, JSON,
                     st.dictionaries(st.sampled_from(["measurements", "date", "value"]), JSON, max_size=3))


def pushed(reg: Register, which: str, body: bytes, content_type: str):
    metric_id = getattr(reg, which).metric_id
    return reg.api_client.post(f"/api/v1/metrics/{metric_id}/measurements", data=body, content_type=content_type,
                               headers={"Authorization": f"Bearer {reg.token}"})


def stored_as_answered(answer, before: int) -> None:
    assert answered_cleanly(answer) and answer.is_json and strict_json(answer)
    created = answer.json["created"] if answer.status_code == 201 else 0
    assert answer.status_code in (201, 400) and count(Measurement) == before + created


@FUZZ
@given(which_body=st.sampled_from(["hours", "share"]).flatmap(lambda which: st.tuples(st.just(which),
                                                                                     push_bodies(which))),
       clean=CLEAN, ascii_only=st.booleans())
@example(which_body=("hours", {"measurements": [{"date": "2026-01-05", "value": 10 ** 400}]}), clean=True,
         ascii_only=True)  # was a 500: an integer beyond any float
@example(which_body=("hours", {"date": "2026-01-05", "value": 1, "note": "a\x00b"}), clean=True,
         ascii_only=True)  # was a 500 on PostgreSQL: a NUL in a note
def test_a_pushed_json_body_never_fails_and_is_stored_all_or_none(app, client, login_as, make_improvement,
                                                                  make_article, which_body, clean, ascii_only):
    which, body = which_body
    reg = register(app, login_as, make_improvement, make_article)
    measuring(reg, which, clean)
    text = json.dumps(body, ensure_ascii=ascii_only)  # NaN and Infinity too, as Python's json writes them
    before = count(Measurement)
    answer = pushed(reg, which, text.encode(), "application/json")
    stored_as_answered(answer, before)
    if answer.status_code == 201:
        items = body.get("measurements", [body]) if isinstance(body, dict) else body
        assert answer.json["created"] == len(items) > 0 and shown_everywhere(client, getattr(reg, which).id)
    assert nothing_unfinite_is_stored()


@FUZZ
@given(body=st.one_of(st.binary(max_size=300), st.sampled_from([b"", b"[" * 100_000, b"{" * 5000, b"NaN", b"[NaN]",
                                                                b'{"measurements": 1e999}', b"\xff\xfe{}",
                                                                b'{"measurements": [' + b"1" * 5000 + b"]}"])),
       content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                     "multipart/form-data", "", "application/json; charset=latin-1",
                                     "application/vnd.api+json", "text/csv"]))
@example(body=b"[" * 100_000, content_type="application/json")  # was a 500: deeper than the JSON parser goes
def test_a_push_that_is_not_json_is_a_json_400(app, client, login_as, make_improvement, make_article, body,
                                               content_type):
    reg = register(app, login_as, make_improvement, make_article)
    before = count(Measurement)
    answer = pushed(reg, "hours", body, content_type)
    stored_as_answered(answer, before)
    assert answer.status_code == 400


@FUZZ
@given(args=st.dictionaries(st.sampled_from(["phase", "page", "q", "metric", "format"]),
                            st.one_of(st.sampled_from(PHASES), SHORT), max_size=3),
       repeated=st.lists(st.sampled_from(PHASES), max_size=3))
def test_the_improvement_list_answers_json_whatever_the_query(app, client, login_as, make_improvement, make_article,
                                                             args, repeated):
    reg = register(app, login_as, make_improvement, make_article)
    query = list(args.items()) + [("phase", phase) for phase in repeated]
    answer = reg.api_client.get("/api/v1/improvements", query_string=query,
                                headers={"Authorization": f"Bearer {reg.token}"})
    assert answered_cleanly(answer) and answer.is_json and answer.status_code in (200, 400) and strict_json(answer)
    page = client.get("/improvements", query_string=query)
    assert page.status_code == 200


@FUZZ
@given(path=st.text(alphabet=string.ascii_letters + string.digits + "-_/.%~", max_size=40),
       number=st.one_of(st.integers(min_value=-1, max_value=50), st.integers()).map(str))
def test_any_register_path_is_a_page_or_a_404(app, client, login_as, make_improvement, make_article, path, number):
    reg = register(app, login_as, make_improvement, make_article)
    for url in (f"/improvements/{path}", f"/improvements/{number}", f"/improvements/{reg.plain.id}/causes/{number}",
                f"/improvements/{number}/report", f"/improvements/{number}/edit"):
        assert answered_cleanly(client.get(url))
    answer = reg.api_client.get(f"/api/v1/improvements/{number}", headers={"Authorization": f"Bearer {reg.token}"})
    # a number no id can be (negative, 2**31 or more) matches no route: the site's own 404 page answers, in HTML
    routed = number.isdigit() and int(number) < 2 ** 31
    assert answer.status_code in (200, 404) and (answer.is_json or not routed)

# ---- found by the fuzzing above (each was a 500) --------------------------------------------------------

def test_editing_a_cause_with_the_why_field_left_out_keeps_its_why_chain(client, login_as, make_improvement):
    improvement = make_improvement()
    lead = login_as("quality_lead")
    cause = work.add_cause(improvement, work.CauseDetails("No rota", "process", ["Nobody plans"]), lead)
    db.session.commit()
    url = f"/improvements/{improvement.id}/causes/{cause.id}"
    answer = client.submit(url, {"statement": "No inbox rota", "category": "process"}, token_from=url)
    assert answer.status_code == 303
    assert cause_snapshot(cause.id)[0::4] == ("No inbox rota", ["Nobody plans"])
    assert "Nobody plans" in client.get(url).text


def upload(client, improvement, data: bytes):
    page = f"/improvements/{improvement.id}"
    return client.submit(f"{page}/measurements/upload", {"file": (io.BytesIO(data), "kpi.csv")}, token_from=page,
                         content_type="multipart/form-data")


def test_a_file_with_old_mac_line_ends_is_imported_row_by_row(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("quality_lead")
    answer = upload(client, improvement, b"date,value\r2026-01-05,30\r2026-01-06,31\r")
    assert answer.status_code == 303 and count(Measurement) == 2


def test_a_file_with_a_cell_too_long_for_csv_is_refused_clearly(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("quality_lead")
    answer = upload(client, improvement, b"date,value,denominator,note\n2026-01-05,30,," + b"x" * 140_000 + b"\n")
    assert answer.status_code == 400 and "not CSV the import can read" in answer.text
    assert count(Measurement) == 0


def test_a_nul_in_an_uploaded_note_is_refused_not_stored(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("quality_lead")
    answer = upload(client, improvement, b"date,value,denominator,note\n2026-01-05,30,,a\x00b\n")
    assert answer.status_code == 400 and "Line 2: The note contains a NUL character." in answer.text
    assert count(Measurement) == 0


def push(client, make_user, improvement, body: bytes):
    token = tokens.issue_token(make_user("kpi", "quality_lead"))
    db.session.commit()
    return client.post(f"/api/v1/metrics/{improvement.metric_id}/measurements", data=body,
                       content_type="application/json", headers={"Authorization": f"Bearer {token}"})


def test_a_pushed_integer_beyond_any_float_is_refused(client, make_user, make_improvement):
    answer = push(client, make_user, make_improvement(), b'{"date": "2026-01-05", "value": 1' + b"0" * 400 + b"}")
    assert answer.status_code == 400 and answer.json["error"]["problems"] == [
        "Measurement 1: The value must be a finite number."]
    assert count(Measurement) == 0


def test_a_pushed_note_with_a_nul_is_refused(client, make_user, make_improvement):
    answer = push(client, make_user, make_improvement(), b'{"date": "2026-01-05", "value": 3, "note": "a\\u0000b"}')
    assert answer.status_code == 400 and answer.json["error"]["problems"] == [
        "Measurement 1: The note contains a NUL character."]
    assert count(Measurement) == 0


def test_a_push_nested_deeper_than_the_json_parser_goes_is_a_json_400(client, make_user, make_improvement):
    answer = push(client, make_user, make_improvement(), b"[" * 100_000)
    assert answer.status_code == 400 and answer.json["error"]["reason"].startswith("Send JSON")


@pytest.mark.parametrize("first, again", [("Σ-rate", "Σ-rate"), ("Ärger", "ärger"), ("Callbacks", "CALLBACKS")])
def test_a_metric_named_as_one_in_the_catalogue_is_refused_whatever_its_letters(client, login_as, first, again):
    login_as("quality_lead")
    url = "/improvements/metrics"
    metric = {"unit": "", "direction": "higher", "chart": "xmr", "scale": "1", "description": ""}
    assert client.submit(url, {"name": first, **metric}, token_from=url).status_code == 303
    answer = client.submit(url, {"name": again, **metric}, token_from=url)
    assert answer.status_code == 400 and "The catalogue has a metric named" in answer.text
    assert count(Metric, Metric.name.in_([first, again])) == 1


def edit_form(improvement, **fields) -> dict:
    return {"title": improvement.title, "problem": improvement.problem, "source": improvement.source,
            "dimension": improvement.dimension, "touchpoint": "", "severity": "medium",
            "owner_id": str(improvement.owner_id), "metric_id": str(improvement.metric_id), "target": "",
            "change_date": "", "what_changed": "", "follows_id": "0", **fields}


def test_a_change_date_on_the_last_day_of_the_calendar_still_shows_everywhere(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("quality_lead")
    url = f"/improvements/{improvement.id}/edit"
    answer = client.submit(url, edit_form(improvement, change_date="9999-12-31"), token_from=url)
    assert answer.status_code == 303 and shown_everywhere(client, improvement.id)


def test_a_measurement_beyond_ten_to_the_fifteen_is_refused(client, login_as, make_improvement):
    improvement = make_improvement(started_on=TODAY - timedelta(days=30), change_date=TODAY - timedelta(days=5))
    login_as("quality_lead")
    page = f"/improvements/{improvement.id}"
    rows = "\n".join(f"{(TODAY - timedelta(days=d)).isoformat()},1e308" for d in (20, 19, 3, 2))
    answer = client.submit(f"{page}/measurements", {"kind": "paste", "rows": rows}, token_from=page)
    assert answer.status_code == 400 and "Line 1: The value 1e+308 is out of range: at most 10^15" in answer.text
    assert count(Measurement) == 0 and shown_everywhere(client, improvement.id)


def test_a_target_beyond_ten_to_the_fifteen_is_refused(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("quality_lead")
    url = f"/improvements/{improvement.id}/edit"
    answer = client.submit(url, edit_form(improvement, target="-1e300"), token_from=url)
    assert answer.status_code == 400 and "The target is out of range: at most 10^15 either way." in answer.text
    assert fresh(Improvement, improvement.id).target is None


@pytest.mark.parametrize("scale", ["1e-300", "1e300"])
def test_a_metric_scale_beyond_a_million_either_way_is_refused(client, login_as, scale):
    login_as("quality_lead")
    url = "/improvements/metrics"
    answer = client.submit(url, {"name": "Odd scale", "unit": "", "direction": "higher", "chart": "p",
                                 "proportion": "y", "scale": scale, "description": ""}, token_from=url)
    assert answer.status_code == 400 and "The scale is between 0.000001 and 1,000,000" in answer.text
    assert count(Metric, Metric.name == "Odd scale") == 0


def test_measurements_too_close_together_to_label_still_chart(client, login_as, make_improvement):
    improvement = make_improvement()
    login_as("quality_lead")
    page = f"/improvements/{improvement.id}"
    rows = "\n".join(f"{(TODAY - timedelta(days=d)).isoformat()},3e-323" for d in (3, 2))
    answer = client.submit(f"{page}/measurements", {"kind": "paste", "rows": rows}, token_from=page)
    assert answer.status_code == 303 and count(Measurement) == 2 and shown_everywhere(client, improvement.id)


# ---- recalculating a metric's limits, opening an improvement from knowledge demand -------------------------

@FUZZ
@given(hostile=fuzzing(from_date=DATES, reason=st.one_of(TEXT, st.sampled_from(["", " ", "x" * 2001, "x" * 2000]))),
       metric_id=st.sampled_from(["hours", "0", "999999", "-1"]))
def test_a_rebase_never_fails_and_is_kept_only_with_a_reason(app, client, login_as, make_improvement, make_article,
                                                             hostile, metric_id):
    from improvement import metrics
    from improvement.models import Rebase
    reg = register(app, login_as, make_improvement, make_article)
    if not db.session.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.metric_id == reg.hours.metric_id)):
        metrics.add_readings(reg.hours.metric, [metrics.Reading(TODAY - timedelta(weeks=i), 10 + i % 3)
                                                for i in range(10)], reg.lead, "test")
        db.session.commit()
    ident = str(reg.hours.metric_id) if metric_id == "hours" else metric_id
    prefix = f"metric{ident}-"
    sent = {prefix + name: value for name, value in
            form({"from_date": (TODAY - timedelta(weeks=8)).isoformat(), "reason": "The rota lasted"}, hostile).items()}
    before = count(Rebase)
    answer = client.post(f"/improvements/metrics/{ident}/rebase",
                         data={prefix + "csrf_token": client.csrf(TOKEN_PAGE), **sent})
    assert answered_cleanly(answer)
    assert count(Rebase) == before + (1 if answer.status_code == 303 else 0)
    if answer.status_code == 303:
        made = db.session.scalars(select(Rebase).order_by(Rebase.id.desc())).first()
        assert made.reason.strip() and made.from_date <= TODAY
        assert client.get("/improvements/metrics/overview").status_code == 200
        assert strict_json(client.get("/api/v1/metrics/overview"))


@FUZZ
@given(language=SHORT)
def test_opening_an_improvement_from_knowledge_demand_never_fails(app, client, login_as, make_improvement,
                                                                  make_article, language):
    register(app, login_as, make_improvement, make_article)
    before = count(Improvement)
    answer = client.submit("/improvements/knowledge-demand/improvement", {"language": language},
                           token_from=TOKEN_PAGE)
    assert answered_cleanly(answer) and count(Improvement) == before   # no search logged: nothing to open
