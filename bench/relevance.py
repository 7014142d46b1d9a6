"""Search relevance on the judged question set in tests/data/relevance: realistic questions staff type
(half Chinese, half English; keywords, colloquial questions, synonyms, acronyms, traditional characters,
typos, questions whose answer exists only in the other language), each with the articles that answer it.

    .venv/bin/python bench/relevance.py [--misses] [--no-synonyms] [--json]

Prints hit@1, hit@3, MRR@10, nDCG@10 and the zero-result rate, overall, per language and per kind of
question; the suite (tests/kb/search/test_relevance.py) asserts floors on the same figures. The articles
are imported through kb.transfer and the synonyms (the list an editor keeps) through kb.search.synonyms,
into a throw-away SQLite database and index; searches run as a staff member through kb.search.search.
"""
import argparse
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # the project, not bench/ (whose http.py would shadow the standard library's `http`)

DATA = ROOT / "tests" / "data" / "relevance"
ARTICLES = DATA / "articles"
SYNONYMS = DATA / "synonyms.txt"
QUESTIONS = DATA / "questions.json"
CUTOFF = 10
READER = "relevance_staff"


def questions() -> list[dict]:
    return json.loads(QUESTIONS.read_text(encoding="utf-8"))


def load_content(with_synonyms: bool = True) -> dict:
    """Inside an app context: the users, the judged articles, the synonyms; the index rebuilt."""
    from flask import current_app

    from accounts import auth
    from core.db import db
    from kb import transfer
    from kb.search import index as search_index

    for name, role in (("editor", "editor"), ("admin", "admin"), (READER, "staff")):
        if auth.find_user(name) is None:
            auth.create_user(name, [role], "relevance bench password")
    db.session.commit()
    report = transfer.import_folder(ARTICLES, auth.find_user("admin"), current_app.config["MAX_BODY_CHARS"])
    db.session.commit()
    groups = 0
    if with_synonyms:
        try:
            from kb.search import synonyms
        except ImportError:  # a release without editors' synonyms
            synonyms = None
        if synonyms is not None:
            groups = len(synonyms.import_text(SYNONYMS.read_text(encoding="utf-8"), auth.find_user("editor")))
            db.session.commit()
    search_index.rebuild()
    return {"articles": len(report.created) + len(report.updated), "synonym_entries": groups}


@dataclass
class Outcome:
    question: dict
    slugs: list[str]  # the first CUTOFF results
    millis: float

    @property
    def rank(self) -> int | None:
        """1-based rank of the first relevant article in the results, or None."""
        relevant = set(self.question["relevant"])
        return next((n for n, slug in enumerate(self.slugs, 1) if slug in relevant), None)

    @property
    def ndcg(self) -> float:
        relevant = set(self.question["relevant"])
        gain = sum(1 / math.log2(n + 1) for n, slug in enumerate(self.slugs[:CUTOFF], 1) if slug in relevant)
        ideal = sum(1 / math.log2(n + 1) for n in range(1, min(len(relevant), CUTOFF) + 1))
        return gain / ideal


@dataclass
class Figures:
    count: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    mrr: float = 0.0
    ndcg: float = 0.0
    zero: float = 0.0
    outcomes: list = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> "Figures":
        n = len(outcomes) or 1
        return cls(count=len(outcomes),
                   hit1=sum(o.rank == 1 for o in outcomes) / n,
                   hit3=sum(o.rank is not None and o.rank <= 3 for o in outcomes) / n,
                   mrr=sum(1 / o.rank for o in outcomes if o.rank) / n,
                   ndcg=sum(o.ndcg for o in outcomes) / n,
                   zero=sum(not o.slugs for o in outcomes) / n, outcomes=outcomes)

    def line(self, name: str) -> str:
        return (f"{name:<22} {self.count:>4}  hit@1 {self.hit1:.3f}  hit@3 {self.hit3:.3f}  MRR@10 {self.mrr:.3f}  "
                f"nDCG@10 {self.ndcg:.3f}  zero {self.zero:.3f}")


def evaluate() -> list[Outcome]:
    """Every judged question through kb.search.search, as a staff member (inside an app context)."""
    from accounts import auth
    from kb import search

    reader = auth.find_user(READER)
    outcomes = []
    for question in questions():
        started = time.perf_counter()
        found = search.search(question["q"], reader, page_size=CUTOFF)
        outcomes.append(Outcome(question, [hit.slug for hit in found.hits], (time.perf_counter() - started) * 1000))
    return outcomes


def breakdown(outcomes: list[Outcome]) -> dict[str, Figures]:
    groups = defaultdict(list)
    for outcome in outcomes:
        groups["all"].append(outcome)
        groups[f"lang={outcome.question['lang']}"].append(outcome)
        groups[f"kind={outcome.question['kind']}"].append(outcome)
        groups[f"{outcome.question['lang']}/{outcome.question['kind']}"].append(outcome)
    return {name: Figures.of(group) for name, group in sorted(groups.items(), key=lambda kv: (kv[0] != "all", kv[0]))}


def measured(with_synonyms: bool = True) -> tuple[dict, dict[str, Figures], list[Outcome]]:
    """Load everything into a throw-away database and index, and evaluate."""
    from core import migrate
    from wsgi import create_app

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/relevance.db"
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": f"{folder}/instance", "SECRET_KEY": "relevance",
                          "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
        with app.app_context():
            loaded = load_content(with_synonyms)
            outcomes = evaluate()
            from core.db import db
            db.session.remove()
        from core.db import db
        db.engine.dispose()
    return loaded, breakdown(outcomes), outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the questions whose answer is not in the top 3")
    parser.add_argument("--no-synonyms", action="store_true", help="measure without the editors' synonym list")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    loaded, figures, outcomes = measured(with_synonyms=not args.no_synonyms)
    if args.json:
        print(json.dumps({name: {k: v for k, v in vars(f).items() if k != "outcomes"} for name, f in figures.items()},
                         indent=1))
        return
    millis = sorted(o.millis for o in outcomes)
    print(f"Judged set: {len(outcomes)} questions over {loaded['articles']} articles "
          f"({loaded['synonym_entries']} synonym entries); search median {millis[len(millis) // 2]:.1f} ms, "
          f"p95 {millis[int(len(millis) * 0.95)]:.1f} ms (in process, includes snippets)")
    for name, figure in figures.items():
        print(figure.line(name))
    if args.misses:
        print("\nNot in the top 3:")
        for outcome in outcomes:
            if outcome.rank is None or outcome.rank > 3:
                print(f"  {outcome.question['id']:<8} {outcome.question['kind']:<12} {outcome.question['q']!r} "
                      f"rank {outcome.rank}; wanted {outcome.question['relevant'][0]}; got {outcome.slugs[:3]}")


if __name__ == "__main__":
    main()
