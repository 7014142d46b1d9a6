"""Articles analysed ahead, in worker processes, while one writer builds the index (a rebuild on every core).

Whoosh's writer analyses each text field itself (`Field.index`: the tokens, then each term's positions and
character offsets encoded), which was half of a rebuild's time on the 1x corpus. A rebuild hands that to forked
workers: each returns, for every text field of a document, exactly what `Field.index` would have yielded, and the
one writer only adds the postings. So the index is still one segment, the same terms and postings as a writer
analysing alone makes (a test compares them), and a second core does half the work. (A segment per process,
merged afterwards, cost more in the merge than the second core saved: see `kb.search.index.rebuild`.)
"""
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

from whoosh.fields import TEXT
from whoosh.formats import Format, Frequency

from core import workers

CHUNK = 20  # documents per task: few round trips, still spread over the workers
IN_FLIGHT = 8  # tasks handed out ahead: the workers never wait, and memory stays bounded on any corpus


class Analysed(tuple):
    """What `Field.index(value)` yields for one value, (term bytes, frequency, weight, encoded positions) each,
    worked out in another process."""


class Text(TEXT):
    """A TEXT field that also takes its postings worked out ahead (an `Analysed` value)."""

    def index(self, value, **kwargs):
        if isinstance(value, Analysed):
            return iter(value)
        return super().index(value, **kwargs)


class Weights(Format):
    """Each posting's weight (its frequency times the field's boost) and nothing else: no positions, no value."""
    posting_size = 0

    def __init__(self, field_boost: float = 1.0, **options):
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value, analyzer, **kwargs):  # Frequency's, without its value (the frequency)
        return ((word, freq, weight, b"") for word, freq, weight, _value
                in Frequency.word_values(self, value, analyzer, **kwargs))


class Terms(Text):
    """The terms of the text field `of`, with their weights and without positions: the postings a search reads
    to match and score (kb.search.arrays), a fraction of the size of the positional field's, which a search
    reads only to check a phrase and to mark the words of the pages it shows. Made from the `of` field's
    analysis (`for_schema`), so the text is analysed once; given the text itself, it analyses it again."""

    def __init__(self, of: str, analyzer):
        super().__init__(analyzer=analyzer, phrase=False)
        self.of = of
        self.format = Weights()
        self.scorable = False  # scored with the `of` field's statistics


def analysed(field, value):
    """What `field.index(value)` yields, kept (an `Analysed`)."""
    return value if isinstance(value, Analysed) else Analysed(field.index(value))


def for_schema(doc: dict, schema) -> dict:
    """`doc` ready for a writer of `schema`: each Terms field made from its text field's analysis (analysed
    here when not yet, the stored text kept as `_stored_<field>`), fields the schema lacks (an index made
    before they were added) left out."""
    for name in [name for name in doc if not name.startswith("_") and name not in schema]:
        del doc[name]
    for name, field in schema.items():
        if isinstance(field, Terms) and field.of in doc:
            source = schema[field.of]
            if source.stored and not isinstance(doc[field.of], Analysed):
                doc["_stored_" + field.of] = doc[field.of]
            doc[field.of] = analysed(source, doc[field.of])
            doc[name] = Analysed((term, freq, weight, b"") for term, freq, weight, _value in doc[field.of])
    return doc


def analyse(documents: list[dict]) -> list[dict]:
    """A worker's task: each document with its text fields analysed (the stored text kept as `_stored_<field>`,
    which Whoosh stores instead of the value it indexes), its Terms fields made from them (`for_schema`)."""
    schema = _worker_schema[0]
    text_fields = [(name, field) for name, field in schema.items()
                   if isinstance(field, Text) and not isinstance(field, Terms)]
    for doc in documents:
        for name, field in text_fields:
            if name not in doc:
                continue
            if field.stored:
                doc["_stored_" + name] = doc[name]
            doc[name] = Analysed(field.index(doc[name]))
        for_schema(doc, schema)
    return documents


_worker_schema = []  # in a worker: the index's schema, given when it starts


def documents_analysed(documents: Iterable[dict], schema, processes: int | None = None) -> Iterator[dict]:
    """`documents`, in order, with their text fields analysed ahead for `schema` by `processes` forked workers
    (default: one per core). With one core, or no 'fork', they come as they are and the writer analyses them.
    A worker that dies (out of memory, killed) loses nothing: its documents, and those after them, come
    unanalysed."""
    with workers.pool(processes, _worker_schema.append, (schema,)) as pool:
        if pool is None:
            yield from documents
            return
        ahead: deque[tuple[list[dict], Future | None]] = deque()
        for chunk in _chunks(documents):
            ahead.append((chunk, _submit(pool, chunk)))
            if len(ahead) >= IN_FLIGHT:
                yield from _done(*ahead.popleft())
        while ahead:
            yield from _done(*ahead.popleft())


def _chunks(documents: Iterable[dict]) -> Iterator[list[dict]]:
    documents = iter(documents)
    while chunk := list(islice(documents, CHUNK)):
        yield chunk


def _submit(pool: ProcessPoolExecutor, chunk: list[dict]) -> Future | None:
    try:
        return pool.submit(analyse, chunk)
    except BrokenProcessPool:
        return None


def _done(chunk: list[dict], future: Future | None) -> list[dict]:
    if future is None:
        return chunk
    try:
        return future.result()
    except BrokenProcessPool:
        return chunk  # the writer analyses them itself
