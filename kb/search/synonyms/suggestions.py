"""What the search log suggests to editors: synonym candidates, and searches that found nothing then but find
articles now.

A synonym candidate A -> B: someone searched A on the search page and opened nothing (it found nothing, or
nothing they wanted), and within ten minutes their next search that led to an opened article was B, a
different query. Each such click counts once per A. Pairs a kept entry covers already are left out, and so
are pairs no entry could express (A and B the same words to a search, or a line that would not parse).
"""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from accounts.auth import PERMISSIONS
from core.db import db, utcnow
from core.errors import Invalid
from kb import search
from kb.search import synonyms
from kb.search.models import SearchLog

WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Search:
    """One logged search, as far as the rule needs it."""
    user_id: int
    query: str
    clicked: bool
    at: datetime


@dataclass
class Candidate:
    a: str
    b: str
    count: int
    last_seen: datetime

    @property
    def line(self) -> str:
        return f"{self.a} -> {self.b}"


def same_query(text: str) -> str:
    """A query as the rule compares it: letter case and spaces do not count."""
    return "".join(text.split()).casefold()


def rewrites(searches: Iterable[Search]) -> Iterator[tuple[Search, Search]]:
    """(A, B) for each search A that opened nothing and the same person's next search within WINDOW that
    opened an article, when B is a different query. `searches` are ordered by person, then time."""
    ordered = list(searches)
    for i, first in enumerate(ordered):
        if first.clicked:
            continue
        for later in ordered[i + 1:]:
            if later.user_id != first.user_id or later.at - first.at > WINDOW:
                break
            if later.clicked:
                if same_query(later.query) != same_query(first.query):
                    yield first, later
                break


def logged_searches(since: datetime) -> list[Search]:
    """Searches people ran on the search page (not the API or the suggestions) since `since`."""
    rows = db.session.execute(
        select(SearchLog.user_id, SearchLog.query, SearchLog.clicked_article_id.is_not(None), SearchLog.at)
        .where(SearchLog.source == "page", SearchLog.user_id.is_not(None), SearchLog.at >= since)
        .order_by(SearchLog.user_id, SearchLog.at, SearchLog.id))
    return [Search(user_id, query, bool(clicked), at) for user_id, query, clicked, at in rows]


def candidates(days: int = 30, limit: int = 20) -> list[Candidate]:
    """Synonym candidates of the last `days` days, the most frequent first."""
    pairs: dict[tuple[str, str], Candidate] = {}
    counted: set[tuple[str, Search]] = set()
    for a, b in rewrites(logged_searches(utcnow() - timedelta(days=days))):
        if (same_query(a.query), b) in counted:
            continue  # A searched twice before the same click is one rewrite
        counted.add((same_query(a.query), b))
        pair = pairs.setdefault((same_query(a.query), same_query(b.query)), Candidate(a.query, b.query, 0, b.at))
        pair.count += 1
        if b.at >= pair.last_seen:
            pair.a, pair.b, pair.last_seen = a.query, b.query, b.at  # as it was typed the last time
    finds = _what_terms_find([synonyms.Entry(tuple(row.term_list), row.one_way) for row in synonyms.all_entries()])
    wanted = [pair for pair in pairs.values() if _needs_entry(pair, finds)]
    return sorted(wanted, key=lambda pair: (-pair.count, -pair.last_seen.timestamp(), pair.a))[:limit]


def _what_terms_find(kept: list[synonyms.Entry]) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    """For each term a kept entry applies to (by its signature), the signatures of the terms it also finds."""
    finds: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for entry in kept:
        for source in entry.terms[:1] if entry.one_way else entry.terms:
            finds.setdefault(synonyms.signature(source), set()).update(synonyms.signature(t) for t in entry.terms)
    return finds


def _needs_entry(pair: Candidate, finds: dict) -> bool:
    try:
        entry = synonyms.parse_line(pair.line)
    except Invalid:
        return False
    if entry is None:
        return False
    found = finds.get(synonyms.signature(entry.terms[0]), set())
    return not all(synonyms.signature(term) in found for term in entry.terms[1:])


class _StaffMember:
    """Any logged-in member of staff, as a search sees them (published articles for staff and the public)."""
    is_authenticated = True

    def can(self, permission: str) -> bool:
        return "staff" in PERMISSIONS[permission]


def found_now(queries: Iterable[str]) -> dict[str, int]:
    """How many articles each query finds now for a member of staff (0: still nothing)."""
    staff = _StaffMember()
    return {query: search.search(query, staff, page_size=1).total for query in queries}
