"""A result's snippet: about two lines (SNIPPET_CHARS columns: a Chinese character is two) from the
passage that matches best, in whole words and whole highlights, starting at a sentence where one starts
close by, so one hit does not fill a phone screen during a call. For a knowledge article, a passage in its
Resolution section wins over an equal one elsewhere: that is what staff need. Question words ("how",
"怎么") are not highlighted: they say nothing about the answer."""
import bisect
import html
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import NamedTuple

from kb.search.question_words import is_question_word
from kb.search.text import HAS_CJK

SNIPPET_CHARS = 160
LEAD = 30  # columns shown before the first matched word, when there is room
MAX_MATCHES = 400  # matched words looked at for the passage (a long manual page has thousands)
CHAR_LIMIT = 2**15  # matched words past this character are not looked at (as Whoosh's highlighter)
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


class Mark(NamedTuple):
    """A matched word of a page: the index term, and where it stands in the page's text."""
    text: str
    startchar: int
    endchar: int


def marks(chars: dict[str, list]) -> list[Mark]:
    """The matched words of one page from each term's stored (position, start, end) offsets, in the order of
    the text, one per starting character (the longest: a jieba word over its bigrams), as far as CHAR_LIMIT."""
    longest: dict[int, Mark] = {}
    for term, offsets in chars.items():
        for _position, start, end in offsets:
            if end > CHAR_LIMIT:
                break
            held = longest.get(start)
            if held is None or end - start > held.endchar - held.startchar:
                longest[start] = Mark(term, start, end)
    return [longest[start] for start in sorted(longest)]


def passage(text: str, found: list[Mark], columns: int = SNIPPET_CHARS,
            lead: int = LEAD) -> tuple[int, int, list[Mark]] | None:
    """(start, end, the marks inside) of the best passage of `text` for its matched words `found` (in text
    order), or None when there are none; question words count only where nothing else matched."""
    found = found[:MAX_MATCHES]
    found = [m for m in found if not is_question_word(m.text)] or found
    if not found:
        return None
    return _passage(text, found, [m.startchar for m in found], found[_best_start(text, found, columns)], columns, lead)


def highlighted(text: str, found: list[Mark], columns: int = SNIPPET_CHARS, lead: int = LEAD) -> str:
    """HTML: the best passage of `text` (escaped) with its matched words in <mark>, or '' when none is inside."""
    chosen = passage(text, found, columns, lead)
    if chosen is None:
        return ""
    start, end, inside = chosen
    out, at = [], start
    for mark in inside:
        if mark.startchar < at:
            continue
        out.append(html.escape(text[at:mark.startchar], quote=False))
        out.append(f"<mark>{html.escape(text[mark.startchar:mark.endchar], quote=False)}</mark>")
        at = mark.endchar
    if at == start:
        return ""
    out.append(html.escape(text[at:end], quote=False))
    return "".join(out)


def _best_start(text: str, found: list[Mark], columns: int) -> int:
    """The matched word the best passage starts at: the most different matched words in the characters
    after it, then the most matches; in a knowledge article's Resolution section, half as much again."""
    span = resolution_span(text)
    reach = columns * 2 // 3  # characters, between all-Chinese (half) and all-English (all)
    counts: Counter = Counter()
    best, best_score, j = 0, -1.0, 0
    for i, anchor in enumerate(found):
        while j < len(found) and found[j].endchar <= anchor.startchar + reach:
            counts[found[j].text] += 1
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


def _passage(text: str, found: list[Mark], starts: list[int], anchor: Mark, columns: int, lead: int):
    """(start, end, the marks inside): at most `columns` columns around `anchor`, in whole words, never
    through a matched word."""
    start = _start_before(text, anchor.startchar, lead)
    end = _end_within(text, start, columns)
    if end == len(text):  # room left at the end: show more before
        start = min(start, _start_within(text, end, columns))
    for mark in _near(found, starts, end):
        if mark.startchar < end < mark.endchar:
            end = mark.startchar
    for mark in _near(found, starts, start):
        if mark.startchar < start < mark.endchar:
            start = mark.endchar
    while _inside_word(text, start) and start < anchor.startchar:
        start += 1
    while _inside_word(text, end) and end > anchor.endchar:
        end -= 1
    inside = found[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]
    return start, end, [m for m in inside if m.endchar <= end]


def _near(found: list[Mark], starts: list[int], at: int) -> list[Mark]:
    """The matched words that could reach over character `at` (a word is at most a few dozen long)."""
    return found[max(0, bisect.bisect_left(starts, at) - 4):bisect.bisect_left(starts, at)]


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
