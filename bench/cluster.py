"""The search page through nginx with one host and with two, and how fresh host B's search stays meanwhile.

    apt-get install -y wrk nginx              # Debian's load generator and load balancer
    .venv/bin/python bench/cluster.py         # about 5 minutes: a PostgreSQL, the 1x corpus, two hosts
    .venv/bin/python bench/cluster.py --duration 20 --connections 32 --edits 40 --json

Starts a throw-away PostgreSQL (tests/support/pgserver.py), imports the reference corpus (../shared/corpus, read
at run time) as `flask kb import` does, then host-a and host-b as tests/support/cluster.py starts them (gunicorn,
2 sync workers each, their own instance folder and search index) serving `bench.hello_site:app` (the site, plus a
bare Flask hello-world at /hello/ in the same workers). Two nginx in front: one with host-a alone, one
round-robin over both. Through each, with wrk (bench/http.py's script and helpers, a staff session cookie):

  hello GET /hello/            what nginx, gunicorn and the machine can do
  page  GET /search?q=...      the search page, the 50 common words and the 200 reference queries in turn

and, under the same page load, `--edits` edits saved on host-a through its edit form, each followed by polling
the search API on the last host (host-b with two hosts, host-a with one) until the edit's new word is found:
the freshness lag. Prints the corpus size, the machine, requests/s, p50/p99, the ratio to hello-world through
the same nginx, the errors (any status but 200), and the lag's p50/p95/max. On this machine the hosts share its
cores, so two hosts cannot be faster than one here: the point is correctness and freshness, with requests/s as
measured. Exit code 1 if any request failed or an edit was not found.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project, not bench/ (whose http.py would shadow the standard library's `http`)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from urllib.parse import quote  # noqa: E402

from bench import corpus  # noqa: E402
from bench import http as bench_http  # noqa: E402
from bench import search as bench_search  # noqa: E402
from tests.support import cluster as harness  # noqa: E402
from tests.support.pgserver import running_postgres  # noqa: E402

STAFF, EDITOR = "bench_staff", "bench_editor"


def prepare(url: str, folder: Path) -> dict:
    """Migrate, create the users, import the corpus once (as host-a, into its instance folder); the article the
    edits change (the shortest page, so the form posts little)."""
    from sqlalchemy import func, select

    from accounts import auth
    from core import migrate
    from core.db import db
    from kb.models import Article
    from wsgi import create_app

    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "host-a"), "HOST_ID": "host-a",
                      "SEARCH_INDEX_PATH": str(folder / "host-a" / "search"), "SECRET_KEY": "bench",
                      "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        bench_search.create_users(STAFF)
        auth.create_user(EDITOR, ["editor"], bench_search.PASSWORD)
        db.session.commit()
        imported = corpus.import_corpus(corpus.pages())
        documents = db.session.query(Article).count()
        article = db.session.scalar(select(Article.id).order_by(func.length(Article.body), Article.id).limit(1))
        db.session.remove()
    db.engine.dispose()
    return {"documents": documents, "article": article, "import_seconds": round(imported["seconds"], 1)}


def wrk(port: int, paths: Path, script: Path, header: str, seconds: int, connections: int, threads: int) -> dict:
    """One wrk run through nginx (bench/http.py's script): requests/s, latency, and every status seen."""
    result = bench_http.run_wrk(port, paths, script, header, seconds, connections, threads)
    duration = result["duration_us"] / 1e6
    ok = result["statuses"].get("200", 0)
    socket_errors = sum(v for k, v in result["errors"].items() if k != "status")
    return {"requests": result["requests"], "requests_per_s": round(result["requests"] / duration, 1),
            "p50_ms": result["p50_us"] / 1000, "p99_ms": result["p99_us"] / 1000, "max_ms": result["max_us"] / 1000,
            "errors": socket_errors + result["requests"] - ok, "statuses": result["statuses"],
            "socket_errors": {k: v for k, v in result["errors"].items() if k != "status" and v}}


def freshness(editor: harness.Browser, reader: harness.Browser, article: int, edits: int) -> dict:
    """`edits` edits on host-a, each followed by polling `reader`'s host until its search finds the new word."""
    lags, missed = [], 0
    for _ in range(edits):
        word = harness.unique_word()
        saved = editor.edit(article, word)
        if saved.status != 302:
            raise SystemExit(f"an edit on host-a answered {saved.status}: {saved.text[:300]}")
        acknowledged = time.monotonic()
        while not reader.finds(word, article):
            if time.monotonic() - acknowledged > 30:
                missed += 1
                break
            time.sleep(0.02)
        else:
            lags.append(time.monotonic() - acknowledged)
    spread = bench_search.spread([lag * 1000 for lag in lags])
    return {"edits": edits, "found": len(lags), "missed": missed,
            "lag_ms": {k: spread[k] for k in ("p50", "p95", "max")}}


def measure(url: str, cluster, hosts: list, article: int, files: dict, script: Path, headers: dict, args) -> dict:
    """Through the nginx at `url`: hello, then the search page; then the page load again with the edits."""
    port = int(url.rsplit(":", 1)[1])
    runs = {}
    for target in ("hello", "page"):
        if args.warmup:
            wrk(port, files[target], script, headers[target], args.warmup, args.connections, args.threads)
        runs[target] = wrk(port, files[target], script, headers[target], args.duration, args.connections, args.threads)
    editor = harness.Browser(cluster.hosts["host-a"].url).log_in(EDITOR, bench_search.PASSWORD)
    reader = harness.Browser(hosts[-1].url).log_in(STAFF, bench_search.PASSWORD)
    loaded: dict = {}
    seconds = max(args.duration, args.edits // 2 + 5)
    load = threading.Thread(target=lambda: loaded.update(wrk(port, files["page"], script, headers["page"], seconds,
                                                              args.connections, args.threads)))
    load.start()
    time.sleep(1)
    fresh = freshness(editor, reader, article, args.edits)
    load.join()
    return {**runs, "page_during_edits": loaded, "freshness": fresh, "searched_on": hosts[-1].name}


def table(figures: dict) -> str:
    lines = [f"corpus: {figures['documents']:,} articles (the reference corpus once, {figures['import_seconds']} s "
             f"to import into PostgreSQL); machine: {figures['machine']}",
             f"each host: gunicorn 2 sync workers; nginx 1 worker; wrk {figures['threads']} threads, "
             f"{figures['connections']} connections, {figures['duration']} s per target after {figures['warmup']} s "
             "warm-up; everything shares the machine's cores",
             f"{'hosts':<7}{'target':<19}{'req/s':>8}{'of hello':>9}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>9}{'errors':>7}"]
    for name, run in figures["runs"].items():
        hello = run["hello"]["requests_per_s"]
        for target in ("hello", "page", "page_during_edits"):
            r = run[target]
            lines.append(f"{name:<7}{target:<19}{r['requests_per_s']:>8.1f}{r['requests_per_s'] / hello * 100:>8.1f}%"
                         f"{r['p50_ms']:>8.1f}{r['p99_ms']:>8.1f}{r['max_ms']:>9.1f}{r['errors']:>7}"
                         + (f"  (statuses {r['statuses']}, socket errors {r['socket_errors']})" if r["errors"] else ""))
        f = run["freshness"]
        lines.append(f"{name:<7}freshness: {f['found']}/{f['edits']} edits on host-a found on {run['searched_on']}; "
                     f"lag p50 {f['lag_ms']['p50']} ms, p95 {f['lag_ms']['p95']} ms, max {f['lag_ms']['max']} ms")
    one, two = figures["runs"].get("one"), figures["runs"].get("two")
    if one and two:
        lines.append(f"two hosts / one host, search page: {two['page']['requests_per_s'] / one['page']['requests_per_s']:.2f}"
                     " (the same 2 cores serve both hosts here)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per target (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of uncounted load first (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--edits", type=int, default=30, help="edits for the freshness lag, per setup (default 30)")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of the table")
    args = parser.parse_args(argv)
    for tool, found in (("wrk", shutil.which("wrk")), ("nginx", shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"))):
        if not found:
            print(f"{tool} is not installed; install it with `apt-get install -y {tool}` and run again.", file=sys.stderr)
            return 2
    if not corpus.available():
        print(f"The reference corpus is not in {corpus.CORPUS}; set SERVICEBOOK_CORPUS.", file=sys.stderr)
        return 2
    queries = [q["q"] for q in corpus.queries("both")]
    with tempfile.TemporaryDirectory(prefix="sb-cluster-") as scratch, running_postgres("servicebook_bench") as url:
        folder = Path(scratch)
        site = prepare(url, folder)
        files = {"hello": folder / "paths-hello.txt", "page": folder / "paths-page.txt"}
        files["hello"].write_text("/hello/\n")
        files["page"].write_text("".join(f"/search?q={quote(q)}\n" for q in queries))
        script = folder / "cycle.lua"
        script.write_text(bench_http.WRK_SCRIPT)
        figures = {**site, "machine": corpus.machine(), "connections": args.connections, "threads": args.threads,
                   "duration": args.duration, "warmup": args.warmup, "queries": len(queries), "runs": {}}
        with harness.running_cluster(url, folder, 2, demo=False, app="bench.hello_site:app") as cluster:
            staff = harness.Browser(cluster.url).log_in(STAFF, bench_search.PASSWORD)
            headers = {"hello": "X-Bench: hello", "page": f"Cookie: {staff.cookie}"}
            a, b = cluster.hosts["host-a"], cluster.hosts["host-b"]
            for name, hosts in (("one", [a]), ("two", [a, b])):
                port = harness.free_port()
                with harness.running_nginx(folder / name, "127.0.0.1", port, [h.port for h in hosts]):
                    figures["runs"][name] = measure(f"http://127.0.0.1:{port}", cluster, hosts, site["article"],
                                                    files, script, headers, args)
    print(json.dumps(figures) if args.json else table(figures))
    failed = [(name, target) for name, run in figures["runs"].items() for target in ("hello", "page", "page_during_edits")
              if run[target]["errors"]] + [(name, "freshness") for name, run in figures["runs"].items()
                                           if run["freshness"]["missed"]]
    if failed:
        print(f"FAILED: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
