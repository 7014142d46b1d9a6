"""Phrases matched by set arithmetic on positions: the same pages as Whoosh's Phrase, at a fraction of the cost.

Every Chinese query of three or more characters is a phrase of its bigrams (kb.search.text), so phrases are
the commonest query there is. Whoosh checks a phrase with its general span machinery (SpanNear2: the
character offsets of every posting decoded into Span objects, sorted and compared pairwise); a phrase only
needs its words at consecutive positions: the positions p of the first word for which the i-th word is at
p + i, a few set look-ups per page. Whoosh's span matcher also forgets to check the phrase after a
skip to a better-scoring block; this one checks it after every move.
"""
from itertools import accumulate, repeat
from operator import itemgetter, sub
from pickle import loads

from whoosh import formats, matching
from whoosh import query as q
from whoosh.matching import mcore
from whoosh.query.spans import Span, SpanWrappingMatcher
from whoosh.util import make_binary_tree


def _pickled(value: bytes):
    return loads(value[4:] if value.endswith(b".") else value[4:] + b".")  # after the count, Whoosh's pickle


def positions_decoder(format_):
    """A function from a posting's value to its positions: Whoosh's Characters and Positions values (a count,
    then the pickled deltas) read with C loops only; any other format by its own decoder."""
    if isinstance(format_, formats.Characters):
        first = itemgetter(0)
        return lambda value: accumulate(map(first, _pickled(value)))
    if type(format_) is formats.Positions:
        return lambda value: accumulate(_pickled(value))
    return format_.decoder("positions")


def adjacent_starts(values: list, positions) -> set[int]:
    """The positions where a phrase starts, from its words' values on one page: the positions p of the first
    word for which the i-th word is at p + i (`positions`: a positions_decoder)."""
    starts = set(positions(values[0]))
    for offset in range(1, len(values)):
        if not starts:
            break
        starts.intersection_update(map(sub, positions(values[offset]), repeat(offset)))
    return starts


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
        starts = adjacent_starts([word.value() for word in self.ms], self.positions)
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
                                positions_decoder(field.format))
        return matching.WrappingMatcher(found, boost=self.boost) if self.boost != 1.0 else found

