"""HTTP load on the search page and the JSON search API beside a hello-world route in the same gunicorn.

    apt-get install -y wrk                   # the load generator (Debian/Ubuntu package `wrk`)
    .venv/bin/python bench/http.py           # builds the 1x corpus database first (about a minute)
    .venv/bin/python bench/http.py --duration 20 --connections 16,64 --mix common --json
    .venv/bin/python bench/search.py --keep /tmp/sb1x && .venv/bin/python bench/http.py --reuse /tmp/sb1x

Makes a database and index like bench/search.py, or reuses a folder made with `bench/search.py --keep`;
starts `.venv/bin/gunicorn --workers 2 bench.hello_site:app` on it (the site as `wsgi:app` serves it,
plus a bare Flask hello-world at /hello/ in the same workers; DATABASE_URL, SERVICEBOOK_INSTANCE,
SERVICEBOOK_ENV=development), logs in through the login form as a staff user (session cookie) and
issues that user an API token, then, for each number of connections (16 and 64), warms up and drives
each target for `--duration` seconds with wrk (keep-alive connections, 2 threads, a Lua script cycling
through the queries and counting every status code):

  hello GET /hello/                    (a Flask hello-world: what the server and the machine can do)
  page  GET /search?q=...              (the HTML results page, with the session cookie)
  api   GET /api/v1/search?q=...       (JSON, Authorization: Bearer <token>)

The queries are the 50 common words of bench/corpus.py (each matches 80 to 500 pages at 1x) or the 200
of search-queries.json (`--mix`). There is no result cache: every figure is cold. Prints requests/s and
its ratio to hello-world at the same number of connections (the noise of a shared machine cancels out
of the ratio), p50/p99 latency, errors (socket errors and any status but 200), the CPU used by wrk, by
each worker and by everything else on the machine, and each worker's memory (PSS).
Target: the search page at 300 requests/s or more at 1x on a 2-core machine (5 % of hello-world).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # before anything imports the standard library's `http`, which this file would shadow

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from urllib.parse import quote, urlencode  # noqa: E402

from bench import corpus  # noqa: E402

STAFF = "bench_staff"

WRK_SCRIPT = r"""
-- wrk script: cycle through the paths in args[1] (one a line), count every status code per thread
local threads = {}
local count = 0

function setup(thread)
  thread:set("offset", count * 37)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  n = offset % #paths
  statuses = {}
end

function request()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local codes = {}
  for _, thread in ipairs(threads) do
    for code, seen in pairs(thread:get("statuses")) do codes[code] = (codes[code] or 0) + seen end
  end
  local parts = {}
  for code, seen in pairs(codes) do parts[#parts + 1] = string.format('"%d":%d', code, seen) end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%.1f,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status,
    e.timeout, table.concat(parts, ",")))
end
"""


# --- the site under test --------------------------------------------------------------------------

def prepare(folder: Path, reuse: bool) -> dict:
    """The 1x database and index in `folder` (built, or reused), and an API token for the staff user."""
    from accounts import tokens
    from accounts.auth import find_user
    from bench import search as bench_search
    from core.db import db

    if reuse:
        built = bench_search.reopen(folder)
    else:
        built = bench_search.build(folder, copies=1)
    app = built.pop("app")
    with app.app_context():
        bench_search.create_users(STAFF)
        token = tokens.issue_token(find_user(STAFF), "bench/http.py")
        db.session.commit()
        db.session.remove()
    return {"url": built["url"], "documents": built["documents"], "token": token,
            "password": bench_search.PASSWORD}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(folder: Path, url: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("SEARCH_INDEX_PATH", "SECRET_KEY")}
    env.update(DATABASE_URL=url, SERVICEBOOK_INSTANCE=str(folder / "instance"), SERVICEBOOK_ENV="development")
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "bench.hello_site:app"]  # the site, and /hello beside it
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {server.returncode}); see {log}")
        try:
            status, _, _ = fetch(port, "GET", "/login")
            if status == 200 and len(workers_of(server.pid)) == workers:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer within 90 s; see {log}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def fetch(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def session_cookie(headers) -> str:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    raise SystemExit("the login answer set no session cookie")


def log_in(port: int, username: str, password: str) -> str:
    """Log in through the form (with its CSRF token) as a browser would; returns 'session=...'."""
    status, headers, page = fetch(port, "GET", "/login")
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or not csrf:
        raise SystemExit(f"the login page answered {status} without a CSRF token")
    form = urlencode({"csrf_token": csrf.group(1), "username": username, "password": password, "next": ""})
    status, headers, page = fetch(port, "POST", "/login", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": session_cookie(headers)})
    if status != 302:
        raise SystemExit(f"logging in as {username} answered {status}, not a redirect")
    return session_cookie(headers)


def check_answers(port: int, cookie: str, token: str, word: str) -> None:
    """Both targets really search as the staff user (not a login page, not an error) before any load."""
    status, _, page = fetch(port, "GET", f"/search?q={quote(word)}", headers={"Cookie": cookie})
    if status != 200 or "<mark" not in page or 'name="password"' in page:
        raise SystemExit(f"/search?q={word} answered {status} without highlighted results")
    status, _, body = fetch(port, "GET", f"/api/v1/search?q={quote(word)}", headers={"Authorization": f"Bearer {token}"})
    if status != 200 or not json.loads(body).get("total"):
        raise SystemExit(f"/api/v1/search?q={word} answered {status}: {body[:200]}")


# --- measuring ------------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def workers_of(master: int) -> list[int]:
    from tests.support.cluster import children  # the gunicorn master's workers, from /proc
    return children(master)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICKS, sum(values[:8]) / TICKS


def pss_mb(pid: int) -> float:
    """Proportional set size: the worker's own memory plus its share of what it shares with the others."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_wrk(port: int, paths_file: Path, script: Path, header: str, seconds: int, connections: int,
            threads: int) -> dict:
    """One wrk run; its RESULT line, and the CPU seconds wrk itself used (from wait4's rusage)."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
               "-H", header, "-s", str(script), f"http://127.0.0.1:{port}", "--", str(paths_file)]
    client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = client.stdout.read()
    _, status, usage = os.wait4(client.pid, 0)
    client.returncode = os.waitstatus_to_exitcode(status)
    line = next((l for l in output.splitlines() if l.startswith("RESULT ")), None)
    if client.returncode or line is None:
        raise SystemExit(f"wrk failed (exit {client.returncode}):\n{output}")
    result = json.loads(line[len("RESULT "):])
    result["client_cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result


def measure(port: int, master: int, paths_file: Path, script: Path, header: str, seconds: int,
            connections: int, threads: int) -> dict:
    workers = workers_of(master)
    before = {pid: cpu_seconds(pid) for pid in workers}
    busy0, total0 = machine_busy_seconds()
    started = time.monotonic()
    result = run_wrk(port, paths_file, script, header, seconds, connections, threads)
    wall = time.monotonic() - started
    busy1, total1 = machine_busy_seconds()
    worker_seconds = {pid: cpu_seconds(pid) - before[pid] for pid in workers}
    worker_cpu = {pid: seconds / wall * 100 for pid, seconds in worker_seconds.items()}
    duration = result["duration_us"] / 1e6
    ok = result["statuses"].get("200", 0)
    socket_errors = sum(v for k, v in result["errors"].items() if k != "status")
    cores = os.cpu_count() or 1
    machine_pct = (busy1 - busy0) / (total1 - total0) * 100 * cores if total1 > total0 else 0.0
    client_pct = result["client_cpu_seconds"] / wall * 100
    return {
        "requests": result["requests"], "seconds": round(duration, 2),
        "requests_per_s": round(result["requests"] / duration, 1), "ok_per_s": round(ok / duration, 1),
        "p50_ms": result["p50_us"] / 1000, "p90_ms": result["p90_us"] / 1000, "p99_ms": result["p99_us"] / 1000,
        "max_ms": result["max_us"] / 1000, "mean_ms": round(result["mean_us"] / 1000, 2),
        "errors": socket_errors + (result["requests"] - ok), "statuses": result["statuses"],
        "socket_errors": result["errors"], "kb_per_response": round(result["bytes"] / max(1, result["requests"]) / 1024, 1),
        "client_cpu_pct": round(client_pct, 1),
        "worker_cpu_pct": [round(v, 1) for v in worker_cpu.values()],
        "worker_cpu_ms_per_request": round(sum(worker_seconds.values()) * 1000 / max(1, result["requests"]), 2),
        "machine_cpu_pct": round(machine_pct, 1),  # out of cores * 100
        "other_cpu_pct": round(max(0.0, machine_pct - client_pct - sum(worker_cpu.values())), 1),
        "worker_rss_mb": [round(rss_mb(pid), 1) for pid in workers],
        "worker_pss_mb": [round(pss_mb(pid), 1) for pid in workers],
    }


def search_log_rows(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute("SELECT count(*) FROM search_log").fetchone()[0]


def table(figures: dict) -> str:
    mb = 1024 * 1024
    text = figures["text"]
    langs = ", ".join(f"{k} {v['pages']:,} pages / {v['bytes'] / mb:.1f} MB" for k, v in text.items())
    lines = [f"corpus x{figures['copies']}: {figures['documents']:,} documents, "
             f"{sum(v['bytes'] for v in text.values()) / mb:.1f} MB of text ({langs}); "
             f"gunicorn {figures['workers']} sync workers, wrk {figures['threads']} threads, {figures['duration']} s "
             f"per target after {figures['warmup']} s warm-up; the load generator shares the {os.cpu_count()} cores; "
             f"queries: the {figures['mix']} mix ({figures['queries']} queries); no result cache (cold)",
             f"{'target':<7}{'conns':>6}{'req/s':>9}{'of hello':>9}{'CPU ms/req':>11}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'errors':>7}"
             f"{'kB/resp':>8}{'wrk CPU':>8}{'workers CPU':>13}{'other':>7}{'worker PSS MB':>15}"]
    for run in figures["runs"]:
        hello = figures["runs_by_key"].get(f"hello/{run['connections']}")
        ratio = f"{run['requests_per_s'] / hello['requests_per_s'] * 100:.1f}%" if hello else "-"
        lines.append(f"{run['target']:<7}{run['connections']:>6}{run['requests_per_s']:>9.1f}{ratio:>9}"
                     f"{run['worker_cpu_ms_per_request']:>11.2f}"
                     f"{run['p50_ms']:>8.1f}{run['p99_ms']:>8.1f}{run['max_ms']:>8.1f}{run['errors']:>7}"
                     f"{run['kb_per_response']:>8.1f}{run['client_cpu_pct']:>7.0f}%"
                     f"{' + '.join(f'{c:.0f}%' for c in run['worker_cpu_pct']):>13}{run['other_cpu_pct']:>6.0f}%"
                     f"{' / '.join(f'{m:.0f}' for m in run['worker_pss_mb']):>15}")
    for run in figures["runs"]:
        if run["target"] == "page" and figures["copies"] == 1:
            rps = run["requests_per_s"]
            lines.append(f"target: search page >= 300 req/s at 1x ({run['connections']} connections): "
                         f"{'met' if rps >= 300 else f'MISSED by {300 - rps:.0f} req/s'} ({rps:.0f} req/s)")
    lines.append(f"search_log rows written during the runs: {figures['logged']:,} (one per search request, in batches)")
    lines.append("CPU ms/req: the workers' CPU time per request (what a request costs, whatever else runs)")
    lines.append(f"worker PSS before load: {' / '.join(f'{m:.0f}' for m in figures['pss_idle_mb'])} MB (RSS "
                 f"{' / '.join(f'{m:.0f}' for m in figures['rss_idle_mb'])}); CPU %: of one core (wrk, each worker); "
                 f"'other' = the rest of the machine")
    lines.append(f"machine: {corpus.machine()}; load average at start {figures['load_start']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per target (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of uncounted load per target first (default 5)")
    parser.add_argument("--connections", default="16,64", help="wrk connections, one run each (default 16,64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--targets", default="hello,page,api",
                        help="hello (a bare Flask route in the same workers), page, api (default: all three)")
    parser.add_argument("--mix", choices=("common", "reference", "both"), default="common",
                        help="the queries: 50 common words (default), the 200 reference queries, or both")
    parser.add_argument("--keep", metavar="DIR", help="build the database in DIR and keep it")
    parser.add_argument("--reuse", metavar="DIR", help="use a folder made by bench/search.py --keep or --keep here")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of the table")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed; install it with `apt-get install -y wrk` (Debian/Ubuntu) and run again.",
              file=sys.stderr)
        return 2
    if not corpus.available():
        print(f"The reference corpus is not in {corpus.CORPUS}; set SERVICEBOOK_CORPUS.", file=sys.stderr)
        return 2
    load_start = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with tempfile.TemporaryDirectory(prefix="sb-http-") as scratch:
        folder = Path(args.reuse or args.keep or scratch).resolve()
        if args.keep and not args.reuse:
            folder.mkdir(parents=True, exist_ok=True)
            if any(folder.iterdir()):
                print(f"{folder} is not empty (use --reuse to run on a kept folder)", file=sys.stderr)
                return 2
        site = prepare(folder, reuse=bool(args.reuse))
        queries = [q["q"] for q in corpus.queries(args.mix)]
        files = {"hello": folder / "paths-hello.txt", "page": folder / "paths-page.txt", "api": folder / "paths-api.txt"}
        files["hello"].write_text("/hello/\n")
        files["page"].write_text("".join(f"/search?q={quote(q)}\n" for q in queries))
        files["api"].write_text("".join(f"/api/v1/search?q={quote(q)}\n" for q in queries))
        script = folder / "cycle.lua"
        script.write_text(WRK_SCRIPT)
        port = free_port()
        server = start_gunicorn(folder, site["url"], port, args.workers, folder / "gunicorn.log")
        try:
            rss_idle = [rss_mb(pid) for pid in workers_of(server.pid)]
            pss_idle = [pss_mb(pid) for pid in workers_of(server.pid)]
            cookie = log_in(port, STAFF, site["password"])
            check_answers(port, cookie, site["token"], queries[0])
            headers = {"hello": "X-Bench: hello", "page": f"Cookie: {cookie}",
                       "api": f"Authorization: Bearer {site['token']}"}
            logged_before = search_log_rows(site["url"])
            runs = []
            for connections in [int(c) for c in args.connections.split(",") if c.strip()]:
                for name in [t.strip() for t in args.targets.split(",") if t.strip()]:
                    if args.warmup:
                        run_wrk(port, files[name], script, headers[name], args.warmup, connections, args.threads)
                    run = measure(port, server.pid, files[name], script, headers[name], args.duration,
                                  connections, args.threads)
                    runs.append({"target": name, "connections": connections, **run})
            time.sleep(3)  # the workers write their search log batches
            logged = search_log_rows(site["url"]) - logged_before
        finally:
            stop(server)
    from bench.search import corpus_text
    copies = max(1, round(site["documents"] / len(corpus.pages())))
    figures = {"copies": copies, "documents": site["documents"], "text": corpus_text(copies),
               "workers": args.workers, "threads": args.threads, "mix": args.mix, "queries": len(queries),
               "duration": args.duration, "warmup": args.warmup,
               "runs": runs, "runs_by_key": {f"{r['target']}/{r['connections']}": r for r in runs},
               "logged": logged, "rss_idle_mb": [round(m, 1) for m in rss_idle],
               "pss_idle_mb": [round(m, 1) for m in pss_idle],
               "machine": corpus.machine(), "load_start": load_start}
    print(json.dumps(figures) if args.json else table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
