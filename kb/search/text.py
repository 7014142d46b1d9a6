"""How text becomes search terms, for Chinese and English alike (used when indexing and querying).

English words are lower-cased and Porter-stemmed, so "connections" finds "connecting". A run of
Chinese characters becomes every overlapping pair of characters (bigrams), whose positions follow
the characters, plus the longer words jieba finds in it. Bigrams make recall exact: a page whose
text contains a Chinese word always holds that word's bigrams in a row, so the phrase of them finds
it whatever jieba made of the sentence around it ("进程" inside "子进程"). jieba's words of three or
more characters rank whole-word matches higher. Positions of Chinese terms are their character
offsets (moved past any English word count), so phrases work in both scripts.

Traditional characters are searched as Simplified ones, in the index and in queries alike (OpenCC's
t2s, phrase by phrase, so 帳戶 is 账户 and 退貨 is 退货): the conversion keeps the text's length, so
the stored offsets, and the highlights, stay on the characters as the author wrote them.
"""
import logging
import re
import threading
import unicodedata
from functools import lru_cache

from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem

# CJK unified ideographs (with extension A), compatibility ideographs, and the iteration mark
CJK = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUNS = re.compile(rf"(?P<cjk>[{CJK}]+)|(?P<word>[^\W{CJK}_]+(?:['’][^\W{CJK}_]+)*)", re.UNICODE)
HAS_CJK = re.compile(f"[{CJK}]")
CJK_POSITION_BASE = 1 << 24  # Chinese term positions start here: never adjacent to an English word's

def _once(load):
    """`load()`'s result, made once per process however many threads ask for it at the same moment."""
    lock, held = threading.Lock(), []

    def get():
        if not held:
            with lock:
                if not held:
                    held.append(load())
        return held[0]
    return get


def _load_jieba():
    import jieba as loaded
    loaded.setLogLevel(logging.WARNING)
    loaded.initialize()
    return loaded


def _load_opencc():
    import opencc
    return opencc.OpenCC("t2s")


jieba = _once(_load_jieba)  # jieba, with its dictionary loaded once per process (about half a second)
_converter = _once(_load_opencc)  # OpenCC's Traditional-to-Simplified converter


@lru_cache(maxsize=50_000)
def english_term(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):  # the program's -> program
        word = word[:-2]
    return stem(word) if word.isascii() and word.isalpha() else word


def cjk_words(run: str) -> list[str]:
    """jieba's segmentation of a run of Chinese characters (precise mode)."""
    return [w for w in jieba().cut(run, HMM=True) if w.strip()]


def bigrams(run: str) -> list[str]:
    return [run] if len(run) < 2 else [run[i:i + 2] for i in range(len(run) - 1)]


def cjk_terms(run: str, start: int):
    """(term, startchar, endchar) for a Chinese run at `start`: its bigrams, then jieba's long words."""
    for offset, gram in enumerate(bigrams(run)):
        yield gram, start + offset, start + offset + len(gram)
    if len(run) > 2:
        for word, begin, end in jieba().tokenize(run, mode="search"):
            if end - begin > 2:
                yield word, start + begin, start + end


class _TermTokenizer(Tokenizer):
    """A Whoosh tokenizer made from `terms(value, start_pos)`: (text, startchar, endchar, position)."""

    def __eq__(self, other):
        return type(other) is type(self)

    def terms(self, value: str, start_pos: int):
        raise NotImplementedError

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text, begin, end, position in self.terms(value, start_pos):
            token.text, token.boost, token.stopped = text, 1.0, False
            if keeporiginal:
                token.original = value[begin:end]
            if positions:
                token.pos = position
            if chars:
                token.startchar, token.endchar = start_char + begin, start_char + end
            yield token


class MixedTokenizer(_TermTokenizer):
    """Text that mixes Chinese and English (see the module's docstring)."""

    def terms(self, value: str, start_pos: int):
        word_position = start_pos
        for match in RUNS.finditer(normalise(value)):
            if match.lastgroup == "word":
                yield english_term(match.group()), match.start(), match.end(), word_position
                word_position += 1
            else:
                for term, begin, end in cjk_terms(match.group(), match.start()):
                    yield term, begin, end, CJK_POSITION_BASE + begin


class WordTokenizer(_TermTokenizer):
    """Unstemmed lower-case English words: the vocabulary "did you mean" chooses from."""

    def terms(self, value: str, start_pos: int):
        for position, match in enumerate(re.finditer(r"[A-Za-z]{3,30}", value), start_pos):
            yield match.group().lower(), match.start(), match.end(), position


def normalise(text: str) -> str:
    """Full-width letters and digits to their usual form (ｐｒｉｎｔ -> print) and Traditional characters
    to Simplified ones; the same length, so the same offsets."""
    if any("\uff01" <= c <= "\uff5e" for c in text):
        text = text.translate(_FULL_WIDTH)
    return CJK_RUNS.sub(lambda run: simplified(run.group()), text) if HAS_CJK.search(text) else text


_FULL_WIDTH = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFF01, 0xFF5F)}
CJK_RUNS = re.compile(f"[{CJK}]+")
# Simplified characters with a common variant that OpenCC leaves apart (帳戶 -> 帐户, articles say 账户)
VARIANTS = str.maketrans({"帐": "账"})
@lru_cache(maxsize=100_000)
def simplified(run: str) -> str:
    """A run of Chinese characters in Simplified characters, of the same length (character by character
    where a phrase conversion would change the length)."""
    converted = _converter().convert(run)
    if len(converted) != len(run):
        converted = "".join(c2 if len(c2 := _converter().convert(c)) == 1 else c for c in run)
    return converted.translate(VARIANTS)
