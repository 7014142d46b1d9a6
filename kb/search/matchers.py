"""Phrases matched by set arithmetic on positions: the same pages as Whoosh's Phrase, at a fraction of the cost.

Every Chinese query of three or more characters is a phrase of its bigrams (kb.search.text), so phrases are
the commonest query there is. Whoosh checks a phrase with its general span machinery (SpanNear2: the
character offsets of every posting decoded into Span objects, sorted and compared pairwise); a phrase only
needs its words at consecutive positions: the positions p of the first word for which the i-th word is at
p + i, a few set look-ups per page. Whoosh's span matcher also forgets to check the phrase after a
skip to a better-scoring block; this one checks it after every move.
"""
from whoosh import matching
from whoosh import query as q
from whoosh.matching import mcore
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.util import make_binary_tree


class AdjacentMatcher(SpanWrappingMatcher):
    """The pages where the words' matchers (`ms`, one per word of the phrase) sit at consecutive positions;
    `positions(value)` decodes a posting's positions (the field format's decoder)."""

    def __init__(self, ms: list, positions):
        self.ms = ms
        self.positions = positions
        super().__init__(make_binary_tree(matching.IntersectionMatcher, ms))

    def copy(self):
        return self.__class__([m.copy() for m in self.ms], self.positions)

    def replace(self, minquality=0):
        return self if self.is_active() else mcore.NullMatcher()

    def skip_to_quality(self, minquality):
        skipped = self.child.skip_to_quality(minquality / self.boost)
        self._find_next()
        return skipped

    def _get_spans(self):
        positions = self.positions
        starts = set(positions(self.ms[0].value()))
        for offset, word in enumerate(self.ms[1:], 1):
            starts = {position - offset for position in positions(word.value()) if position - offset in starts}
            if not starts:
                return []
        return [Span(start, start + len(self.ms) - 1) for start in sorted(starts)]


class Adjacent(q.Phrase):
    """Whoosh's Phrase (slop 1): the words one after another, matched by AdjacentMatcher."""

    def __init__(self, fieldname: str, words: list[str], boost: float = 1.0):
        super().__init__(fieldname, words, slop=1, boost=boost)

    def matcher(self, searcher, context=None):
        field = searcher.schema[self.fieldname] if self.fieldname in searcher.schema else None
        if field is None or not field.format or not field.format.supports("positions"):
            return mcore.NullMatcher()
        reader = searcher.reader()
        words = [field.to_bytes(word) for word in self.words]
        if any((self.fieldname, word) not in reader for word in words):
            return mcore.NullMatcher()
        found = AdjacentMatcher([q.Term(self.fieldname, word).matcher(searcher, context) for word in words],
                                field.format.decoder("positions"))
        return matching.WrappingMatcher(found, boost=self.boost) if self.boost != 1.0 else found

