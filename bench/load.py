"""Load benchmark of five pages under 16 and 64 connections: gunicorn with 2 sync workers, wrk, the 1x corpus.

    .venv/bin/python bench/search.py --keep /tmp/sb1x      # once: the 1x corpus database and index
    .venv/bin/python bench/load.py --reuse /tmp/sb1x       # about 3 minutes; --json for one JSON line

Copies the folder made by `bench/search.py --keep` (database through SQLite's online backup, the
search index as files) into a scratch folder, so the kept folder is left as it was; adds the role users
and the demo improvement register (`demo.improvements.load()`: five improvements with their weekly
measurements; the demo articles they link to are simply absent); then, with the helpers of bench/http.py,
starts `gunicorn --workers 2`, logs in through the login form as a staff user and as a quality lead,
issues the staff user an API token, checks that every target answers 200 with its real content, and
drives each target with wrk (2 threads) at 16 and at 64 keep-alive connections, `--duration` seconds
each after `--warmup` seconds of uncounted load: the home page `/`, article pages `/kb/articles/<id>`
(cycling 200 published articles; views are counted in the worker and written every 5 s), the search page and the JSON
search API (cycling the 200 corpus queries; each search also writes its search_log row), and the
improvement dashboard (as the quality lead). Prints requests/s, p50/p99, errors (any status but 200, and
socket errors) and each worker's RSS after the run. wrk shares the machine's cores with gunicorn.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project, not bench/ (whose http.py would shadow the standard library's `http`)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import tempfile  # noqa: E402
from urllib.parse import quote  # noqa: E402

from bench import corpus  # noqa: E402
from bench import http as bench_http  # noqa: E402
from bench import search as bench_search  # noqa: E402

LEAD = "quality_lead"
ROLE_USERS = ("staff", "editor", "publisher", "trainer", "quality_lead")
TARGETS = ("home", "article", "search", "api", "dashboard")


def copy_folder(source: Path, target: Path) -> None:
    """The kept database (online backup: consistent even while its WAL is open) and its instance folder."""
    with sqlite3.connect(source / "servicebook.db") as original, sqlite3.connect(target / "servicebook.db") as copy:
        original.backup(copy)
    shutil.copytree(source / "instance", target / "instance")


def add_improvements(folder: Path) -> dict:
    """Role users, the demo improvement register (unless there is one already); ids of 200 published articles."""
    from sqlalchemy import func, select

    from accounts import auth
    from core.db import db
    from demo import improvements
    from improvement.models import Improvement, Measurement
    from kb.models import Article

    app, _url = bench_search.make_app(folder)
    with app.app_context():
        for role in ROLE_USERS:
            if auth.find_user(role) is None:
                auth.create_user(role, [role], bench_search.PASSWORD)
        if not db.session.scalar(select(func.count()).select_from(Improvement)):
            improvements.load()
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(Improvement))
        measured = db.session.scalar(select(func.count()).select_from(Measurement))
        published = list(db.session.scalars(select(Article.id).where(Article.state == "published")
                                            .order_by(Article.id)))
        db.session.remove()
    step = max(1, len(published) // 200)
    return {"improvements": count, "measurements": measured, "articles": published[::step][:200]}


def check_targets(port: int, paths: dict, headers: dict) -> None:
    """Each target answers 200 with its own page (not the login form, not an error) before any load."""
    expected = {"home": "<main", "article": 'class="article', "search": "<mark", "api": '"total"',
                "dashboard": "<main"}
    for name, lines in paths.items():
        key, _, value = headers[name].partition(": ")
        status, _, page = bench_http.fetch(port, "GET", lines[0], headers={key: value})
        if status != 200 or expected[name] not in page or 'name="password"' in page:
            raise SystemExit(f"{name}: GET {lines[0]} answered {status}: {page[:300]!r}")


def table(figures: dict) -> str:
    lines = [f"corpus: {figures['documents']:,} articles (the reference corpus x1, {figures['pages']:,} manual pages) "
             f"+ {figures['improvements']} improvements with {figures['measurements']} measurements; "
             f"gunicorn {figures['workers']} sync workers; wrk {figures['threads']} threads, {figures['duration']} s "
             f"per run after {figures['warmup']} s warm-up; wrk shares the {figures['cores']} cores",
             f"{'target':<34}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'worker RSS MB':>16}"
             f"{'wrk CPU':>9}{'workers CPU':>14}{'other CPU':>11}"]
    for run in figures["runs"]:
        lines.append(f"{run['label']:<34}{run['connections']:>6}{run['requests_per_s']:>9.1f}{run['p50_ms']:>9.1f}"
                     f"{run['p99_ms']:>9.1f}{run['errors']:>8}{' / '.join(f'{m:.0f}' for m in run['worker_rss_mb']):>16}"
                     f"{run['client_cpu_pct']:>8.0f}%{' + '.join(f'{c:.0f}%' for c in run['worker_cpu_pct']):>14}"
                     f"{run['other_cpu_pct']:>10.0f}%")
    lines.append(f"worker RSS before load: {' / '.join(f'{m:.0f}' for m in figures['rss_idle_mb'])} MB; "
                 f"errors = socket errors + answers other than 200; CPU % of one core: wrk, each worker, and "
                 f"'other' = the rest of the machine (other processes) during the run")
    lines.append(f"machine: {figures['machine']}; load average at start {figures['load_start']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", metavar="DIR", default="/tmp/sb1x",
                        help="a folder made by bench/search.py --keep (default /tmp/sb1x); it is copied, not changed")
    parser.add_argument("--duration", type=int, default=10, help="seconds of measured load per run (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of uncounted load before each run (default 3)")
    parser.add_argument("--connections", default="16,64", help="connection counts (default 16,64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"any of {', '.join(TARGETS)}")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of the table")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed; install it with `apt-get install -y wrk` and run again.", file=sys.stderr)
        return 2
    source = Path(args.reuse).resolve()
    if not (source / "servicebook.db").exists():
        print(f"{source} holds no servicebook.db: make it with `bench/search.py --keep {source}`.", file=sys.stderr)
        return 2
    load_start = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    connections = [int(c) for c in args.connections.split(",")]
    names = [t.strip() for t in args.targets.split(",") if t.strip()]
    with tempfile.TemporaryDirectory(prefix="sb-load-") as scratch:
        folder = Path(scratch)
        copy_folder(source, folder)
        site = bench_http.prepare(folder, reuse=True)  # the staff user and its API token
        register = add_improvements(folder)
        queries = [q["q"] for q in corpus.queries()]
        paths = {"home": ["/"], "article": [f"/kb/articles/{i}" for i in register["articles"]],
                 "search": [f"/search?q={quote(q)}" for q in queries],
                 "api": [f"/api/v1/search?q={quote(q)}" for q in queries],
                 "dashboard": ["/improvements/dashboard"]}
        paths = {name: paths[name] for name in names}
        files = {}
        for name, lines in paths.items():
            files[name] = folder / f"paths-{name}.txt"
            files[name].write_text("".join(f"{line}\n" for line in lines))
        script = folder / "cycle.lua"
        script.write_text(bench_http.WRK_SCRIPT)
        port = bench_http.free_port()
        server = bench_http.start_gunicorn(folder, site["url"], port, args.workers, folder / "gunicorn.log")
        try:
            rss_idle = [bench_http.rss_mb(pid) for pid in bench_http.workers_of(server.pid)]
            staff = bench_http.log_in(port, bench_http.STAFF, site["password"])
            lead = bench_http.log_in(port, LEAD, bench_search.PASSWORD)
            headers = {"home": f"Cookie: {staff}", "article": f"Cookie: {staff}", "search": f"Cookie: {staff}",
                       "api": f"Authorization: Bearer {site['token']}", "dashboard": f"Cookie: {lead}"}
            check_targets(port, paths, headers)
            labels = {"home": "home page /", "article": f"article /kb/articles/<id> ({len(paths.get('article', []))})",
                      "search": "search page /search?q= (200 q)", "api": "API /api/v1/search?q= (200 q)",
                      "dashboard": "dashboard (quality lead)"}
            runs = []
            for name in names:
                for count in connections:
                    if args.warmup:
                        bench_http.run_wrk(port, files[name], script, headers[name], args.warmup, count, args.threads)
                    result = bench_http.measure(port, server.pid, files[name], script, headers[name], args.duration,
                                                count, args.threads)
                    runs.append({"target": name, "label": labels[name], "connections": count, **result})
                    print(f"  {labels[name]} x{count}: {result['requests_per_s']} req/s", file=sys.stderr)
        finally:
            bench_http.stop(server)
    figures = {"documents": site["documents"], "pages": len(corpus.pages()), **{k: register[k] for k in
               ("improvements", "measurements")}, "workers": args.workers, "threads": args.threads,
               "duration": args.duration, "warmup": args.warmup, "cores": os.cpu_count(),
               "runs": runs, "rss_idle_mb": [round(m, 1) for m in rss_idle], "machine": corpus.machine(),
               "load_start": load_start}
    print(json.dumps(figures) if args.json else table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
