"""Queries evaluated a term at a time, over arrays: the same pages and the same BM25F scores as Whoosh's
matchers, without walking a tree of matchers page by page.

Whoosh answers a query with a tree of matchers that moves one page at a time: at 10x the reference corpus a
common three-word question visits thousands of pages, each costing a dozen Python calls per node of a tree
of some forty nodes (each word in four fields), and block-max skipping does not help, since every word is a
union of fields. Here each term's postings are read whole, block by block (the block's page numbers,
weights and raw values, as Whoosh stores them; for the body, from its Terms twin without positions, a
fraction of the bytes), scored with one vectorised BM25F, and the query's nodes are
combined as arrays over the segment's pages: an Or adds, an And keeps the pages every part has and adds,
an AndMaybe adds the optional part where the required one matched, an AndNot removes, a boost multiplies,
and a phrase (kb.search.matchers.Adjacent) checks its words' positions only on the pages that have them all.
These are Whoosh's own rules (UnionMatcher, IntersectionMatcher, AndMaybeMatcher, AndNotMatcher,
WrappingMatcher, a compound of one part ignoring its boost, a prefix being the union of the terms it
expands to), so the scores are Whoosh's up to the order in which a page's parts are added.

A query holding a node it does not know raises Unsupported; kb.search.run then walks Whoosh's matchers.
The blocks are read through W3LeafMatcher's own fields (Whoosh 3's codec, pinned in constraints.txt); the
tests hold every kind of node against Whoosh's matchers, so a Whoosh that stored them otherwise fails there.
"""
from bisect import bisect_left
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as q
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F

from kb.search.analysed import Terms
from kb.search.index import field_lengths
from kb.search.matchers import Adjacent, adjacent_starts, positions_decoder


class Unsupported(Exception):
    """The query has a node this evaluator does not know."""


@dataclass
class Postings:
    """One term's postings in one segment: its pages (ascending), weights and raw values (bytes, or None for a
    format without values), and its BM25F scores (before any boost)."""
    docs: np.ndarray
    weights: np.ndarray
    values: list
    scores: np.ndarray | None = None


def _leaf(reader, fieldname: str, tbytes: bytes):
    """The term's postings matcher in a segment, deleted pages included (the callers leave them out), or None."""
    if (fieldname, tbytes) not in reader:
        return None
    matcher = reader.postings(fieldname, tbytes)
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def read_postings(reader, fieldname: str, tbytes: bytes) -> Postings | None:
    """Every posting of a term in a segment (deleted pages included: the caller removes them), or None."""
    matcher = _leaf(reader, fieldname, tbytes)
    if matcher is None:
        return None
    if not isinstance(matcher, W3LeafMatcher):  # a term on one page, inlined in the term index
        docs, weights, values = [], [], []
        while matcher.is_active():
            docs.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        return Postings(np.array(docs, dtype=np.int64), np.array(weights, dtype=np.float64), values)
    deltas: list[int] = []
    weights: list[float] = []
    values: list = []
    fixed = matcher._fixedsize
    last = 0
    while True:  # Whoosh 3's blocks: (ids as deltas from 0, weights or one weight or None, values)
        matcher._read_data()
        ids, block_weights, block_values = matcher._data
        count = matcher._blocklength
        start = len(deltas)
        deltas.extend(ids)
        deltas[start] -= last
        last = matcher._maxid
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        if fixed is None or fixed < 0:
            values.extend(block_values)
        elif fixed == 0:
            values.extend([None] * count)
        else:
            values.extend(block_values[i:i + fixed] for i in range(0, len(block_values), fixed))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return Postings(np.cumsum(np.array(deltas, dtype=np.int64)), np.array(weights, dtype=np.float64), values)


def values_at(reader, fieldname: str, tbytes: bytes, docnums: list[int]) -> dict[int, bytes]:
    """{docnum: the raw value of the term's posting} on those of a segment's `docnums` (ascending) that have
    it, decoding only the blocks that hold them (a block is skipped by its last page number, unread)."""
    matcher = _leaf(reader, fieldname, tbytes)
    found: dict[int, bytes] = {}
    if matcher is None:
        return found
    if not isinstance(matcher, W3LeafMatcher):
        for docnum in docnums:
            if not matcher.is_active():
                break
            matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                found[docnum] = matcher.value()
        return found
    for docnum in docnums:
        while matcher._maxid < docnum:
            if matcher._lastblock:
                return found
            matcher._goto(matcher._nextoffset)
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._values is None:
            matcher._read_values()
        i = bisect_left(matcher._ids, docnum)
        if i < len(matcher._ids) and matcher._ids[i] == docnum:
            found[docnum] = matcher._values[i]
    return found


@dataclass
class Segment:
    """One segment of the index while a query is evaluated on it: `top` is the whole index's searcher (the
    statistics BM25F reads), `read` the postings read so far ({(field, term bytes): Postings or None})."""
    top: object
    reader: object
    size: int
    read: dict = field(default_factory=dict)
    weighed_read: dict = field(default_factory=dict)
    twins: dict = field(init=False)  # {text field: its Terms field}

    def __post_init__(self):
        self.twins = {f.of: name for name, f in self.top.schema.items() if isinstance(f, Terms)}

    def postings(self, fieldname: str, tbytes: bytes) -> Postings | None:
        """The term's postings in `fieldname`, with their values (a phrase's positions, a snippet's offsets)."""
        key = (fieldname, tbytes)
        if key not in self.read:
            self.read[key] = read_postings(self.reader, fieldname, tbytes)
        return self.read[key]

    def weighed(self, fieldname: str, tbytes: bytes) -> Postings | None:
        """The term's postings in `fieldname` for matching and scoring: from the field's Terms twin when it has
        one (the same pages and weights without the positions, a fraction of the bytes to read), else the
        field's own."""
        twin = self.twins.get(fieldname)
        key = (fieldname, tbytes)
        if twin is None or key in self.read:
            return self.postings(fieldname, tbytes)
        if (twin, tbytes) not in self.weighed_read:
            found = read_postings(self.reader, twin, tbytes)
            if found is None and key in self.reader:  # documents written without the twin: the field's own
                found = self.postings(fieldname, tbytes)
            self.weighed_read[(twin, tbytes)] = found
        return self.weighed_read[(twin, tbytes)]

    def scores(self, fieldname: str, tbytes: bytes, postings: Postings) -> np.ndarray:
        """BM25F of each posting, as Whoosh's BM25FScorer computes it (the same operations in the same order)."""
        if postings.scores is None:
            weighting = self.top.weighting
            field_obj = self.top.schema[fieldname]
            if not isinstance(weighting, BM25F) or not field_obj.scorable:
                if field_obj.scorable:
                    raise Unsupported(f"weighting {type(weighting).__name__}")
                postings.scores = postings.weights  # Whoosh's WeightScorer
            else:
                idf = self.top.idf(fieldname, tbytes)
                avgfl = self.top.avg_field_length(fieldname) or 1
                b = weighting._field_B.get(fieldname, weighting.B)
                k1 = weighting.K1
                tf = postings.weights
                fl = field_lengths(self.reader, fieldname)[postings.docs]
                postings.scores = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
        return postings.scores


Dense = tuple  # (mask: bool array, score: float array or None); score is 0 wherever mask is False


def evaluate(query, segment: Segment, scored: bool = True) -> Dense | None:
    """The pages of `segment` that `query` matches and their scores (None: no page matches)."""
    if isinstance(query, q.Term):
        return _term(segment, query.fieldname, query.text, query.boost, scored)
    if isinstance(query, Adjacent):
        return _adjacent(segment, query, scored)
    if isinstance(query, q.Prefix):
        return _prefix(segment, query, scored)
    if isinstance(query, q.AndNot):
        kept = evaluate(query.a, segment, scored)
        if kept is None:
            return None
        dropped = evaluate(query.b, segment, False)
        if dropped is None:
            return kept
        mask = kept[0] & ~dropped[0]
        return mask, (kept[1] * mask if scored else None)
    if isinstance(query, q.AndMaybe):
        kept = evaluate(query.a, segment, scored)
        if kept is None or not scored:
            return kept
        maybe = evaluate(query.b, segment, True)
        return kept if maybe is None else (kept[0], kept[1] + maybe[1] * kept[0])
    if type(query) in (q.And, q.Or) and not getattr(query, "scale", None):
        subs = query.subqueries
        if not subs:
            return None
        if len(subs) == 1:  # Whoosh's compound of one part is that part: its own boost is not applied
            return evaluate(subs[0], segment, scored)
        parts = []
        for sub in subs:
            part = evaluate(sub, segment, scored)
            if part is None and isinstance(query, q.And):
                return None
            if part is not None:
                parts.append(part)
        if not parts:
            return None
        return _combine(parts, isinstance(query, q.And), query.boost, scored)
    if isinstance(query, q.NullQuery.__class__):
        return None
    raise Unsupported(type(query).__name__)


def _combine(parts: list, every: bool, boost: float, scored: bool) -> Dense:
    mask = parts[0][0].copy()
    for part in parts[1:]:
        if every:
            mask &= part[0]
        else:
            mask |= part[0]
    if not scored:
        return mask, None
    score = parts[0][1].copy()
    for part in parts[1:]:
        score += part[1]
    if every:
        score *= mask
    if boost != 1.0:
        score *= boost
    return mask, score


def _placed(segment: Segment, docs: np.ndarray, scores, boost: float, scored: bool) -> Dense:
    """The Dense of `docs` (a segment's pages), scored by `scores()` (called only when `scored`) times `boost`."""
    mask = np.zeros(segment.size, dtype=bool)
    mask[docs] = True
    if not scored:
        return mask, None
    score = np.zeros(segment.size, dtype=np.float64)
    score[docs] = scores()
    if boost != 1.0:
        score *= boost
    return mask, score


def _term(segment: Segment, fieldname: str, text, boost: float, scored: bool) -> Dense | None:
    schema = segment.top.schema
    if fieldname not in schema:
        return None
    try:
        tbytes = schema[fieldname].to_bytes(text)
    except ValueError:
        return None
    postings = segment.weighed(fieldname, tbytes)
    if postings is None:
        return None
    return _placed(segment, postings.docs, lambda: segment.scores(fieldname, tbytes, postings), boost, scored)


def _prefix(segment: Segment, query, scored: bool) -> Dense | None:
    if not query.text:
        raise Unsupported("an empty prefix")
    words = [word for word in query._btexts(segment.reader) if word]
    if not words:
        return None
    if len(words) == 1:
        return _term(segment, query.fieldname, words[0], 1.0, scored)
    return evaluate(q.Or([q.Term(query.fieldname, word) for word in words], boost=query.boost), segment, scored)


def _tree_sum(arrays: list):
    """The sum in the order of Whoosh's make_binary_tree (a phrase's words: a + (b + c))."""
    if len(arrays) == 1:
        return arrays[0]
    half = len(arrays) // 2
    return _tree_sum(arrays[:half]) + _tree_sum(arrays[half:])


def _adjacent(segment: Segment, query: Adjacent, scored: bool) -> Dense | None:
    """The pages with the phrase's words at consecutive positions (AdjacentMatcher's rule), scored as the
    sum of its words' scores."""
    schema = segment.top.schema
    field_obj = schema[query.fieldname] if query.fieldname in schema else None
    if field_obj is None or not field_obj.format or not field_obj.format.supports("positions"):
        return None
    words = [field_obj.to_bytes(word) for word in query.words]
    postings = [segment.postings(query.fieldname, word) for word in words]
    if any(p is None for p in postings):
        return None
    candidates = postings[0].docs
    for p in postings[1:]:
        candidates = np.intersect1d(candidates, p.docs, assume_unique=True)
    if not candidates.size:
        return None
    where = [np.searchsorted(p.docs, candidates) for p in postings]
    decode = positions_decoder(field_obj.format)
    values = [p.values for p in postings]
    rows = list(zip(*(w.tolist() for w in where)))
    keep = np.fromiter((bool(adjacent_starts([v[i] for v, i in zip(values, row)], decode)) for row in rows),
                       dtype=bool, count=len(rows))
    if not keep.any():
        return None
    return _placed(segment, candidates[keep],
                   lambda: _tree_sum([segment.scores(query.fieldname, word, p)[w[keep]]
                                      for word, p, w in zip(words, postings, where)]), query.boost, scored)
