"""The growth curve: the reference corpus at 1x, 3x, 10x and 30x, each imported as `flask kb import` does,
searched in process and served over HTTP, one table at the end.

    .venv/bin/python bench/growth.py                       # 1, 3, 10 and 30 copies (the 30x import takes minutes)
    .venv/bin/python bench/growth.py --copies 1,10 --keep /tmp/growth   # keep each size's folder for --reuse

For each size: the import (its database and indexing parts), the index size on disk, the in-process
p50/p95/p99 of both query mixes (bench/search.py: the 200 reference queries and the 50 common words; no
result cache, every figure cold), and bench/http.py on the search page with the common words at 16
connections beside hello-world in the same gunicorn (requests/s, the ratio, each worker's PSS).
The corpus is read from ../shared/corpus at run time and never copied into the project.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the project, not bench/ (bench/http.py would shadow the standard library's http)

from bench import corpus  # noqa: E402
from bench import search as bench_search  # noqa: E402


def measure(copies: int, folder: Path, rounds: int, seconds: int) -> dict:
    built = bench_search.build(folder, copies, rebuild=False)  # searched as the import left it
    app = built.pop("app")
    searched = {mix: bench_search.run_queries(app, rounds, mix)["latency_ms"]["all"] for mix in ("reference", "common")}
    http = subprocess.run([sys.executable, str(ROOT / "bench" / "http.py"), "--reuse", str(folder), "--json",
                           "--targets", "hello,page", "--connections", "16", "--duration", str(seconds),
                           "--warmup", "3"], capture_output=True, text=True, cwd=ROOT)
    if http.returncode:
        raise SystemExit(f"bench/http.py failed:\n{http.stdout}\n{http.stderr}")
    runs = json.loads(http.stdout.strip().splitlines()[-1])["runs_by_key"]
    page, hello = runs["page/16"], runs["hello/16"]
    return {"copies": copies, "documents": built["documents"], "import": built["import"],
            "index_mb": built["index_bytes"] / 2**20, "search_ms": searched,
            "page_rps": page["requests_per_s"], "hello_rps": hello["requests_per_s"],
            "page_cpu_ms": page["worker_cpu_ms_per_request"], "pss_mb": page["worker_pss_mb"]}


def table(rows: list[dict]) -> str:
    lines = [f"{'size':<5}{'articles':>9}{'import s':>9}{'(db + index)':>15}{'index MB':>9}"
             f"{'reference p50/p95/p99 ms':>26}{'common p50/p95/p99 ms':>24}{'page req/s':>11}{'of hello':>9}"
             f"{'CPU ms/req':>11}{'worker PSS MB':>15}"]
    for r in rows:
        imp, ref, com = r["import"], r["search_ms"]["reference"], r["search_ms"]["common"]
        parts = "({:.0f} + {:.0f})".format(imp["database_seconds"], imp["indexing_seconds"])
        reference = "{:.1f} / {:.1f} / {:.1f}".format(ref["p50"], ref["p95"], ref["p99"])
        common = "{:.1f} / {:.1f} / {:.1f}".format(com["p50"], com["p95"], com["p99"])
        lines.append(
            f"{str(r['copies']) + 'x':<5}{r['documents']:>9,}{imp['seconds']:>9.0f}{parts:>15}{r['index_mb']:>9.0f}"
            f"{reference:>26}{common:>24}"
            f"{r['page_rps']:>11.0f}{r['page_rps'] / r['hello_rps'] * 100:>8.1f}%{r['page_cpu_ms']:>11.1f}"
            f"{' / '.join(f'{m:.0f}' for m in r['pss_mb']):>15}")
    lines.append(f"machine: {corpus.machine()}; load average now {' '.join(map(str, os.getloadavg()))}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", default="1,3,10,30", help="the sizes, in copies of the corpus (default 1,3,10,30)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each query mix (default 3)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of HTTP load per target (default 10)")
    parser.add_argument("--keep", metavar="DIR", help="keep each size's database and index in DIR/<n>x")
    args = parser.parse_args(argv)
    if not corpus.available():
        print(f"The reference corpus is not in {corpus.CORPUS}; set SERVICEBOOK_CORPUS.", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="sb-growth-") as scratch:
        for copies in [int(c) for c in args.copies.split(",")]:
            folder = Path(args.keep or scratch) / f"{copies}x"
            folder.mkdir(parents=True, exist_ok=False)
            rows.append(measure(copies, folder, args.rounds, args.duration))
            print(table(rows[-1:]).splitlines()[1], flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SERVICEBOOK_ENV", "development")
    sys.exit(main())
