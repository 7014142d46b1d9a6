"""One minute of 20 concurrent users on gunicorn with 2 workers: edits of the same 5 articles and measurements.

    .venv/bin/python bench/concurrency.py                    # 60 s; exit code 1 on any failure
    .venv/bin/python bench/concurrency.py --duration 10 --keep /tmp/sb-conc   # shorter, and keep the folder

Makes a fresh SQLite database and search index in a scratch folder (bench/search.py's make_app), with
5 published articles, 10 editors, 10 quality leads and one improvement on the metric "First response
time"; starts `gunicorn --workers 2` on it with bench/http.py's helpers; logs every client in through the
real login form (its CSRF token, its own session cookie). Then 20 Python threads run for `--duration`
seconds: each editor opens the edit page of one of the 5 articles, changes the body (a line carrying a
unique marker) and the note (the marker), and saves with the form's own base_version and CSRF token; a
302/303 is an acknowledged edit, a 409 must be the conflict page saying so. Half the quality leads POST
one measurement at a time to `/api/v1/metrics/<id>/measurements` with an API token, the other half load
the improvement page and submit its measurement form; each has a date and a value no one else uses.
Afterwards, on the database through the app (create_app + app_context): every acknowledged edit's marker
is in a revision of that article and no refused edit's marker is in any; the revisions carrying markers
are exactly the acknowledged edits; the metric holds exactly the acknowledged measurements (count,
dates, values, notes; nothing lost, nothing doubled); `search_index.check()` and `flask search check`
find no drift; no answer was a 500 or unexpected, no request failed on the socket; the gunicorn log has
no traceback or worker timeout. Prints the counts and PASS/FAIL lines.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project, not bench/ (whose http.py would shadow the standard library's `http`)

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import timedelta  # noqa: E402
from html.parser import HTMLParser  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from bench import corpus  # noqa: E402
from bench import http as bench_http  # noqa: E402
from bench import search as bench_search  # noqa: E402
from core import clock  # noqa: E402

ARTICLES = 5
METRIC = "First response time"
MARK_LINE = "Last concurrent edit: "
CONFLICT_TEXTS = ("Someone else saved this article first",  # kb/conflict.html: the stale base_version
                  "Someone saved at the same moment",        # kb/edit.html: a slug/tag collision
                  "Someone else saved first")                # error.html: the commit lost the race


# --- the site -------------------------------------------------------------------------------------

def build(folder: Path, editors: int, leads: int) -> dict:
    """A fresh database: users, 5 published articles, one improvement on a metric; API tokens; indexed."""
    from sqlalchemy import select

    from accounts import auth, tokens
    from core.db import db
    from improvement import metrics
    from improvement import service as improvement_service
    from improvement.models import Metric
    from kb import categories
    from kb import service as kb_service
    from kb.search import index as search_index

    app, url = bench_search.make_app(folder)
    with app.app_context():
        admin = auth.create_user("admin", ["admin"], bench_search.PASSWORD)
        names = {"editor": [f"editor{n:02d}" for n in range(1, editors + 1)],
                 "quality_lead": [f"lead{n:02d}" for n in range(1, leads + 1)]}
        for role, users in names.items():
            for name in users:
                auth.create_user(name, [role], bench_search.PASSWORD)
        category = categories.create_category("Concurrency", None, admin)
        articles = []
        for n in range(1, ARTICLES + 1):
            content = kb_service.ArticleContent(
                title=f"Concurrency article {n}", type="procedure", category_id=category.id, owner_id=admin.id,
                summary=f"Edited by many editors at once ({n}).", tags=["concurrency"],
                body=f"# Procedure {n}\n\n1. Greet the customer.\n2. Check the account.\n\n{MARK_LINE}none\n")
            articles.append(kb_service.create_article(content, admin, state="published"))
        metrics.ensure_standard_metrics()
        metric = db.session.scalar(select(Metric).where(Metric.name == METRIC))
        lead = auth.find_user(names["quality_lead"][0])
        improvement = improvement_service.create_improvement(improvement_service.ImprovementDetails(
            title="E-mail first replies are slow", source="kpi_breach", dimension="responsiveness",
            owner_id=lead.id, metric_id=metric.id, problem="Measured under concurrent load."), lead)
        bearer = {name: tokens.issue_token(auth.find_user(name), "bench/concurrency.py")
                  for name in names["quality_lead"]}
        db.session.commit()
        search_index.rebuild()
        site = {"url": url, "articles": [a.id for a in articles], "metric": metric.id,
                "improvement": improvement.id, "users": names, "tokens": bearer}
        db.session.remove()
    return site


class FormFields(HTMLParser):
    """The fields a browser would send from the first <form class="editor">: inputs, textareas, selects."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self.in_form = self.done = False
        self.textarea = self.select = None
        self.first_option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.done:
            return
        if tag == "form" and "editor" in (a.get("class") or "").split():
            self.in_form = True
        elif not self.in_form:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "checkbox", "radio"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "input" and a.get("name") and a.get("type") in ("checkbox", "radio") and "checked" in a:
            self.fields[a["name"]] = a.get("value") or "y"
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.fields[self.textarea] = ""
        elif tag == "select":
            self.select, self.first_option = a.get("name"), None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value") or ""
            if "selected" in a:
                self.fields[self.select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select:
            self.fields.setdefault(self.select, self.first_option or "")
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data


def form_fields(page: str) -> dict:
    parser = FormFields()
    parser.feed(page)
    fields = parser.fields
    if "body" in fields and fields["body"].startswith(("\r\n", "\n")):  # a browser drops the textarea's first newline
        fields["body"] = fields["body"].split("\n", 1)[1]
    return fields


# --- the clients ----------------------------------------------------------------------------------

class Client:
    """One browser: its own session cookie; a new connection per request (gunicorn's sync workers close them)."""

    def __init__(self, port: int, name: str, cookie: str):
        self.port, self.name, self.cookie = port, name, cookie

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        headers = {"Cookie": self.cookie, **(headers or {})}
        status, answer_headers, page = bench_http.fetch(self.port, method, path, body, headers)
        for key, value in answer_headers:
            if key.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return status, answer_headers, page


class Record:
    """Everything the clients were told, shared between the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = collections.Counter()      # (what, status) -> count
        self.acked_edits: list[tuple[int, str]] = []
        self.refused_edits: list[tuple[int, str, str]] = []
        self.untold_refusals: list[tuple[int, int, str]] = []
        self.busy_edits: list[tuple[int, str]] = []
        self.acked_measurements: dict[str, tuple[float, str]] = {}
        self.refused_measurements: list[tuple[str, int, str]] = []
        self.unexpected: list[tuple[str, int, str]] = []
        self.socket_errors: list[tuple[str, str]] = []
        self.day = 0

    def count(self, what: str, status: int) -> None:
        with self.lock:
            self.statuses[(what, status)] += 1

    def next_day(self) -> int:
        with self.lock:
            self.day += 1
            return self.day


def snippet(page: str) -> str:
    text = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", text)[:200]


def editor(client: Client, site: dict, record: Record, stop_at: float, seed: int) -> None:
    rng = random.Random(seed)
    sequence = 0
    while time.monotonic() < stop_at:
        article = rng.choice(site["articles"])
        path = f"/kb/articles/{article}/edit"
        try:
            status, _, page = client.request("GET", path)
            record.count("edit page", status)
            if status != 200:
                with record.lock:
                    record.unexpected.append((f"GET {path}", status, snippet(page)))
                continue
            fields = form_fields(page)
            if "csrf_token" not in fields or "base_version" not in fields:
                with record.lock:
                    record.unexpected.append((f"GET {path}: no csrf_token/base_version", status, snippet(page)))
                continue
            sequence += 1
            marker = f"m-{client.name}-{sequence}-{uuid.uuid4().hex[:10]}"
            kept = [line for line in fields["body"].replace("\r\n", "\n").split("\n") if not line.startswith(MARK_LINE)]
            fields["body"] = "\n".join(kept).rstrip("\n") + f"\n\n{MARK_LINE}{marker}\n"
            fields["note"] = marker
            fields.pop("preview", None)
            fields["save"] = "Save"
            time.sleep(rng.uniform(0, 0.05))  # typing
            status, _, page = client.request("POST", path, urlencode(fields),
                                             {"Content-Type": "application/x-www-form-urlencoded"})
        except OSError as error:
            with record.lock:
                record.socket_errors.append((f"edit {path}", repr(error)))
            continue
        record.count("save edit", status)
        with record.lock:
            if status in (302, 303):
                record.acked_edits.append((article, marker))
            elif status == 409:
                told = next((t for t in CONFLICT_TEXTS if t in page), None)
                if told:
                    record.refused_edits.append((article, marker, told))
                else:
                    record.untold_refusals.append((article, status, snippet(page)))
            elif status == 503:
                record.busy_edits.append((article, marker))
            else:
                record.unexpected.append((f"POST {path}", status, snippet(page)))


def lead(client: Client, site: dict, record: Record, stop_at: float, token: str | None, number: int) -> None:
    """A quality lead: with a token through the API, without one through the improvement page's form."""
    today = clock.today()
    metric, improvement = site["metric"], site["improvement"]
    while time.monotonic() < stop_at:
        n = record.next_day()
        day = (today - timedelta(days=n)).isoformat()
        value = n + number / 100
        note = f"q-{client.name}-{n}-{uuid.uuid4().hex[:8]}"
        try:
            if token:
                what = "measurement API"
                body = json.dumps({"date": day, "value": value, "note": note})
                status, _, page = bench_http.fetch(client.port, "POST", f"/api/v1/metrics/{metric}/measurements", body,
                                                   {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                accepted = status == 201 and json.loads(page).get("created") == 1
            else:
                what = "measurement form"
                status, _, page = client.request("GET", f"/improvements/{improvement}")
                record.count("improvement page", status)
                csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
                if status != 200 or not csrf:
                    with record.lock:
                        record.unexpected.append((f"GET /improvements/{improvement}", status, snippet(page)))
                    continue
                form = {"csrf_token": csrf.group(1), "taken_on": day, "value": repr(value), "denominator": "",
                        "note": note}
                status, _, page = client.request("POST", f"/improvements/{improvement}/measurements", urlencode(form),
                                                 {"Content-Type": "application/x-www-form-urlencoded"})
                accepted = status in (302, 303)
        except OSError as error:
            with record.lock:
                record.socket_errors.append((f"measurement {day}", repr(error)))
            continue
        record.count(what, status)
        with record.lock:
            if accepted:
                record.acked_measurements[day] = (value, note)
            elif status in (400, 409, 503):
                record.refused_measurements.append((day, status, snippet(page)))
            else:
                record.unexpected.append((f"{what} {day}", status, snippet(page)))


# --- the verdict ----------------------------------------------------------------------------------

def verify(folder: Path, site: dict, record: Record) -> tuple[list[tuple[bool, str]], dict]:
    from sqlalchemy import select

    from core.db import db
    from improvement.models import Measurement
    from kb.models import Article, Revision
    from kb.search import index as search_index

    checks = []
    app, _url = bench_search.make_app(folder)
    with app.app_context():
        revisions = list(db.session.scalars(select(Revision).where(Revision.article_id.in_(site["articles"]))))
        bodies = collections.defaultdict(list)
        for revision in revisions:
            bodies[revision.article_id].append(revision.body)
        by_marker = {}
        for revision in revisions:
            for marker in re.findall(rf"^{MARK_LINE}(m-\S+)$", revision.body, re.M):
                by_marker.setdefault(marker, []).append((revision.article_id, revision.number, revision.note))
        missing = [(a, m) for a, m in record.acked_edits if not any((a == art and n == m) for art, _, n in by_marker.get(m, []))]
        checks.append((not missing, f"every acknowledged edit is in its article's revisions "
                                    f"({len(record.acked_edits) - len(missing)}/{len(record.acked_edits)})"
                       + (f"; missing: {missing[:5]}" if missing else "")))
        doubled = [m for m, found in by_marker.items() if len(found) > 1]
        told = {m for _, m, _ in record.refused_edits} | {m for _, m in record.busy_edits}
        leaked = sorted(set(by_marker) & told)
        checks.append((not leaked, f"no refused edit's marker is in any revision (refused {len(told)})"
                       + (f"; saved anyway: {leaked[:5]}" if leaked else "")))
        unacked = sorted(set(by_marker) - {m for _, m in record.acked_edits})
        checks.append((not unacked and not doubled,
                       f"the revisions carrying markers are exactly the acknowledged edits, once each "
                       f"({len(by_marker)} marked revisions)"
                       + (f"; never acknowledged: {unacked[:5]}" if unacked else "")
                       + (f"; in two revisions: {doubled[:5]}" if doubled else "")))
        numbering = {}
        for article_id in site["articles"]:
            numbers = sorted(r.number for r in revisions if r.article_id == article_id)
            article = db.session.get(Article, article_id)
            numbering[article_id] = (numbers == list(range(1, len(numbers) + 1)), len(numbers), article.version)
        bad = {a: v for a, v in numbering.items() if not v[0]}
        checks.append((not bad, "each article's revisions are numbered 1..n without gaps "
                                f"({', '.join(str(v[1]) for v in numbering.values())} revisions)"))
        checks.append((not record.untold_refusals,
                       f"every refused edit was told so (409 with a conflict message: {len(record.refused_edits)}; "
                       f"without one: {len(record.untold_refusals)})"
                       + (f": {record.untold_refusals[:3]}" if record.untold_refusals else "")))

        stored = list(db.session.scalars(select(Measurement).where(Measurement.metric_id == site["metric"])))
        dates = collections.Counter(m.taken_on.isoformat() for m in stored)
        stored_by_day = {m.taken_on.isoformat(): (m.value, m.note) for m in stored}
        acked = record.acked_measurements
        lost = sorted(d for d in acked if d not in stored_by_day)
        wrong = sorted(d for d in acked if d in stored_by_day and
                       (abs(stored_by_day[d][0] - acked[d][0]) > 1e-9 or stored_by_day[d][1] != acked[d][1]))
        extra = sorted(d for d in stored_by_day if d not in acked)
        twice = sorted(d for d, c in dates.items() if c > 1)
        checks.append((len(stored) == len(acked) and not (lost or wrong or extra or twice),
                       f"measurements: {len(stored)} stored, {len(acked)} acknowledged; lost {len(lost)}, "
                       f"doubled {len(twice)}, unacknowledged {len(extra)}, changed {len(wrong)}"
                       + (f" (lost {lost[:5]}, extra {extra[:5]}, changed {wrong[:5]})" if lost or extra or wrong else "")))

        drift = search_index.check()
        checks.append((not drift.any, f"search_index.check(): missing {drift.missing}, stale {drift.stale}, "
                                      f"extra {drift.extra}, pending {drift.pending}"))
        db.session.remove()
    env = {k: v for k, v in os.environ.items() if k not in ("SEARCH_INDEX_PATH", "SECRET_KEY")}
    env.update(DATABASE_URL=site["url"], SERVICEBOOK_INSTANCE=str(folder / "instance"))
    cli = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "search", "check"], cwd=ROOT,
                         env=env, capture_output=True, text=True)
    checks.append((cli.returncode == 0, f"`flask search check` exit {cli.returncode}: "
                                        f"{(cli.stdout + cli.stderr).strip().splitlines()[-1:]}"))

    five_hundreds = {k: v for k, v in record.statuses.items() if k[1] >= 500 and k[1] != 503}
    checks.append((not five_hundreds, f"no 500 ever: {five_hundreds or 'none'}"))
    checks.append((not record.unexpected, f"no unexpected answer ({len(record.unexpected)})"
                   + (f": {record.unexpected[:3]}" if record.unexpected else "")))
    checks.append((not record.socket_errors, f"no request failed on the socket ({len(record.socket_errors)})"
                   + (f": {record.socket_errors[:3]}" if record.socket_errors else "")))
    log = (folder / "gunicorn.log").read_text(errors="replace")
    problems = {p: log.count(p) for p in ("Traceback", "WORKER TIMEOUT", "database unavailable", "commit failed",
                                          "search index update failed", "database is locked")}
    checks.append((not (problems["Traceback"] or problems["WORKER TIMEOUT"]),
                   f"gunicorn log: {', '.join(f'{k} x{v}' for k, v in problems.items())}"))
    return checks, {"revisions": {a: v[1] for a, v in numbering.items()}, "measurements_stored": len(stored),
                    "log_problems": problems}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of concurrent use (default 60)")
    parser.add_argument("--editors", type=int, default=10, help="editor clients (default 10)")
    parser.add_argument("--leads", type=int, default=10, help="quality-lead clients (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--keep", metavar="DIR", help="make the site in DIR (empty or new) and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sb-conc-") as scratch:
        folder = Path(args.keep or scratch).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.iterdir()):
            print(f"{folder} is not empty", file=sys.stderr)
            return 2
        site = build(folder, args.editors, args.leads)
        port = bench_http.free_port()
        server = bench_http.start_gunicorn(folder, site["url"], port, args.workers, folder / "gunicorn.log")
        record = Record()
        try:
            clients = [(Client(port, name, bench_http.log_in(port, name, bench_search.PASSWORD)), role)
                       for role, names in site["users"].items() for name in names]
            stop_at = time.monotonic() + args.duration
            threads = []
            for n, (client, role) in enumerate(clients):
                if role == "editor":
                    target, extra = editor, (n,)
                else:
                    token = site["tokens"][client.name] if n % 2 == 0 else None
                    target, extra = lead, (token, n)
                threads.append(threading.Thread(target=target, args=(client, site, record, stop_at, *extra),
                                                name=client.name))
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            bench_http.stop(server)
        checks, facts = verify(folder, site, record)
    api_leads = sum(1 for n in range(len(site["users"]["editor"]), len(clients)) if n % 2 == 0)
    print(f"concurrency: {len(site['users']['editor'])} editors on {ARTICLES} articles, "
          f"{len(site['users']['quality_lead'])} quality leads ({api_leads} through the API, "
          f"{len(site['users']['quality_lead']) - api_leads} through the page form); gunicorn {args.workers} sync "
          f"workers; {elapsed:.1f} s")
    print(f"edits: {len(record.acked_edits)} acknowledged, {len(record.refused_edits)} refused with the conflict page "
          f"({dict(collections.Counter(t for _, _, t in record.refused_edits))}), {len(record.busy_edits)} answered "
          f"503 busy; revisions per article now {list(facts['revisions'].values())}")
    print(f"measurements: {len(record.acked_measurements)} acknowledged, {len(record.refused_measurements)} refused, "
          f"{facts['measurements_stored']} stored" + (f"; refusals: {record.refused_measurements[:3]}"
                                                      if record.refused_measurements else ""))
    print("answers: " + ", ".join(f"{what} {status}: {count}" for (what, status), count
                                  in sorted(record.statuses.items())))
    for ok, line in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {line}")
    print(f"machine: {corpus.machine()}")
    failed = sum(1 for ok, _ in checks if not ok)
    print("RESULT: " + ("PASS" if not failed else f"FAIL ({failed} of {len(checks)} checks)"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
