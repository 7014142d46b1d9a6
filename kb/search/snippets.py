"""A result's snippet: about two lines (SNIPPET_CHARS columns: a Chinese character is two) from the
passage that matches best, in whole words and whole highlights, starting at a sentence where one starts
close by, so one hit does not fill a phone screen during a call. For a knowledge article, a passage in its
Resolution section wins over an equal one elsewhere: that is what staff need. Question words ("how",
"怎么") are not highlighted: they say nothing about the answer."""
import bisect
import re
import unicodedata
from collections import Counter
from functools import lru_cache

from whoosh import highlight

from kb.search.question_words import is_question_word
from kb.search.text import HAS_CJK

SNIPPET_CHARS = 160
LEAD = 30  # columns shown before the first matched word, when there is room
MAX_MATCHES = 400  # matched words looked at for the passage (a long manual page has thousands)
SENTENCE_END = re.compile(r"[.!?。！？;；:：]\s*|\n")
RESOLUTION = re.compile(r"(?m)^(?:Resolution|Solution|解决方法|解决办法|处理方法|解决方案)\s*$")
NEXT_SECTION = re.compile(r"(?m)^(?:Cause|Causes|Issue|Environment|原因|问题|环境)\s*$")
WORD = re.compile(r"[^\W_]", re.UNICODE)


@lru_cache(maxsize=8192)
def _width(character: str) -> int:
    """Columns a character takes: two for Chinese characters and full-width punctuation."""
    return 1 if character < "\u1100" else 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1


def _end_within(text: str, start: int, columns: int) -> int:
    """The furthest end such that text[start:end] takes at most `columns` columns."""
    if text[start:start + columns].isascii():
        return min(len(text), start + columns)
    end, used = start, 0
    while end < len(text):
        used += _width(text[end])
        if used > columns:
            break
        end += 1
    return end


def _start_within(text: str, end: int, columns: int) -> int:
    """The earliest start such that text[start:end] takes at most `columns` columns."""
    start, used = end, 0
    while start > 0 and used + _width(text[start - 1]) <= columns:
        start -= 1
        used += _width(text[start])
    return start


def _start_before(text: str, anchor: int, columns: int) -> int:
    """Where to start so that about `columns` columns come before `anchor`: a sentence's start if one is
    that close, else that many columns back."""
    start, used = anchor, 0
    while start > 0 and used < columns:
        start -= 1
        used += _width(text[start])
    sentence = None
    for found in SENTENCE_END.finditer(text, start, anchor):
        sentence = found.end()
    return sentence if sentence is not None else start


def _inside_word(text: str, at: int) -> bool:
    """Whether a cut at `at` would split a word (Chinese may be cut between any two characters)."""
    if at <= 0 or at >= len(text):
        return False
    before, after = text[at - 1], text[at]
    return bool(WORD.match(before) and WORD.match(after) and not HAS_CJK.match(before) and not HAS_CJK.match(after))


class BestPassage(highlight.PinpointFragmenter):
    """The window of at most `maxchars` columns around the best matched words (with the stored character
    offsets), trimmed to whole words and never through a matched word."""

    def __init__(self, maxchars: int = SNIPPET_CHARS, lead: int = LEAD):
        super().__init__(maxchars=maxchars, surround=lead)
        self.lead = lead

    def fragment_matches(self, text, tokens):
        tokens = sorted(tokens, key=lambda t: t.startchar)[:MAX_MATCHES]
        telling = [t for t in tokens if not is_question_word(t.text)]
        tokens = telling or tokens
        if tokens:
            yield self._passage(text, tokens, [t.startchar for t in tokens], tokens[self._best_start(text, tokens)])

    def _best_start(self, text: str, tokens: list) -> int:
        """The matched word the best passage starts at: the most different matched words in the characters
        after it, then the most matches; in a knowledge article's Resolution section, half as much again."""
        span = resolution_span(text)
        reach = self.maxchars * 2 // 3  # characters, between all-Chinese (half) and all-English (all)
        counts: Counter = Counter()
        best, best_score, j = 0, -1.0, 0
        for i, anchor in enumerate(tokens):
            while j < len(tokens) and tokens[j].endchar <= anchor.startchar + reach:
                counts[tokens[j].text] += 1
                j += 1
            score = len(counts) * 10 + (j - i)
            if span and span[0] <= anchor.startchar < span[1]:
                score *= 1.5
            if score > best_score:
                best, best_score = i, score
            counts[anchor.text] -= 1
            if counts[anchor.text] <= 0:
                del counts[anchor.text]
        return best

    def _passage(self, text: str, tokens: list, starts: list[int], anchor) -> highlight.Fragment:
        start = _start_before(text, anchor.startchar, self.lead)
        end = _end_within(text, start, self.maxchars)
        if end == len(text):  # room left at the end: show more before
            start = min(start, _start_within(text, end, self.maxchars))
        for token in _near(tokens, starts, end):  # never through a matched word
            if token.startchar < end < token.endchar:
                end = token.startchar
        for token in _near(tokens, starts, start):
            if token.startchar < start < token.endchar:
                start = token.endchar
        while _inside_word(text, start) and start < anchor.startchar:
            start += 1
        while _inside_word(text, end) and end > anchor.endchar:
            end -= 1
        inside = tokens[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]
        return highlight.Fragment(text, [t for t in inside if t.endchar <= end], start, end)


def _near(tokens: list, starts: list[int], at: int) -> list:
    """The matched words that could reach over character `at` (a word is at most a few dozen long)."""
    return tokens[max(0, bisect.bisect_left(starts, at) - 4):bisect.bisect_left(starts, at)]


@lru_cache(maxsize=512)
def resolution_span(text: str) -> tuple[int, int] | None:
    """Where a knowledge article's Resolution section stands in its plain text, if it has one."""
    found = RESOLUTION.search(text)
    if not found:
        return None
    after = NEXT_SECTION.search(text, found.end())
    return found.end(), after.start() if after else len(text)


def opening(text: str, columns: int = SNIPPET_CHARS) -> str:
    """The start of a text as a snippet where no word matched: at most `columns` columns, in whole words."""
    end = _end_within(text, 0, columns)
    if end == len(text):
        return text
    while _inside_word(text, end) and end > 0:
        end -= 1
    return text[:end].rstrip() + " …"
