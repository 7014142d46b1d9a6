"""Property-based: whatever an author types (every HTML tag name, attributes, entities, unclosed tags,
comments, Markdown, Chinese), every word of the prose shows in the rendered page and in the search text,
in order, and no element outside the allow-list appears, nor an event handler or a script link."""
import html
import os
import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.markdown import TAGS, render
from kb.search.index import plain_text

# every element of HTML (the living standard, its obsolete ones, and SVG/MathML roots)
ELEMENTS = """a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink
blockquote body br button canvas caption center cite code col colgroup data datalist dd del details dfn dialog
dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header
hgroup hr html i iframe image img input ins isindex kbd keygen label legend li link listing main map mark marquee
math menu menuitem meta meter nav nobr noembed noframes noscript object ol optgroup option output p param picture
plaintext pre progress q rb rp rt rtc ruby s samp script search section select slot small source spacer span
strike strong style sub summary sup svg table tbody td template textarea tfoot th thead time title tr track tt u
ul var video wbr xmp""".split()
ATTRIBUTES = ["", ' class="x"', " onclick=alert(1)", ' href="javascript:alert(1)"', " title='a>b'",
              ' src="x" onerror="alert(1)"', " id=top", "/"]

tag_name = st.sampled_from(ELEMENTS).flatmap(lambda name: st.sampled_from([name, name.upper()]))
tag = st.one_of(
    st.builds(lambda name, attributes: f"<{name}{attributes}>", tag_name, st.sampled_from(ATTRIBUTES)),
    st.builds(lambda name: f"</{name}>", tag_name),
    st.builds(lambda name: f"<{name}", tag_name),  # never closed
)
word = st.one_of(st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True),
                 st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), min_size=1, max_size=4))
entity = st.sampled_from(["&amp;", "&lt;", "&gt;", "&quot;", "&#60;", "&#x3C;script&#x3E;", "&copy;", "&nbsp;",
                          "&foo;", "&", "&lt;b&gt;"])
markdown = st.sampled_from(["*", "**", "`", "#", "##", "- ", "> ", "|", "<!-- note -->", "<!--", "-->", "<", ">",
                            "</", "<!DOCTYPE html>", "```", "~~~"])
separator = st.sampled_from([" ", " ", " ", "\n", "\n\n", "\n    ", "\n  ", ""])
source = st.lists(st.tuples(st.one_of(word, word, tag, tag, entity, markdown), separator), max_size=40).map(
    lambda parts: "".join(token + sep for token, sep in parts))

HAN = "\u3400-\u4dbf\u4e00-\u9fff"
WORD = re.compile(rf"[{HAN}]|(?:(?![{HAN}])[^\W_])+")
ALLOWED_TAG = re.compile(rf"""</?(?:{'|'.join(TAGS)})(?![^\s/>])(?:"[^"]*"|'[^']*'|[^'"<>])*>""", re.I)
COMMENT = re.compile(r"<!--.*?-->", re.S)

PROPERTY = settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 300)), deadline=None,
                    derandomize="HYPOTHESIS_EXAMPLES" not in os.environ, suppress_health_check=[HealthCheck.too_slow])


def prose_words(text: str) -> list[str]:
    """The words an author typed as prose: not inside a tag the sanitiser allows, nor inside a comment."""
    return WORD.findall(html.unescape(ALLOWED_TAG.sub(" ", COMMENT.sub("", text))))


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.problems, self.open = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag not in TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or "javascript:" in (value or "").lower():
                self.problems.append(f"<{tag} {name}={value}>")
        if tag not in {"br", "hr", "img"}:
            self.open.append(tag)
        self.text.append(" ")

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}> out of place")
        self.text.append(" ")

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.problems.append("a comment")


def in_order(wanted: list[str], seen: list[str]) -> bool:
    remaining = iter(seen)
    return all(any(w == s for s in remaining) for w in wanted)


def in_order_within(wanted: list[str], text: str) -> bool:
    """Each word found after the one before (inside a longer word too: "x<b>y</b>" reads "xy")."""
    at = 0
    for w in wanted:
        at = text.find(w, at)
        if at < 0:
            return False
        at += len(w)
    return True


def read(markup: str) -> Page:
    page = Page()
    page.feed(markup)
    page.close()
    return page


@PROPERTY
@given(text=source)
def test_every_word_of_the_prose_shows_in_order_and_nothing_else_becomes_markup(text):
    page = read(render(text))
    assert page.problems == [] and page.open == []
    shown = WORD.findall("".join(page.text))
    assert in_order(prose_words(text), shown), (prose_words(text), shown)


@PROPERTY
@given(text=st.text(max_size=300) | st.text(alphabet="<>/!-=\"' abpscrit\n&#;`*", max_size=200))
def test_any_text_at_all_renders_to_whole_markup_of_allowed_elements_only(text):
    page = read(render(text))
    assert page.problems == [] and page.open == []


@PROPERTY
@given(text=source)
def test_the_search_text_holds_every_word_of_the_prose_in_order(text):
    indexed = plain_text(render(text))
    assert in_order_within(prose_words(text), indexed), (prose_words(text), indexed)


def test_the_checks_themselves_see_a_lost_word_and_live_markup():
    assert not in_order(["restart", "router"], ["restart", "the"])
    assert in_order(["a", "c"], ["a", "b", "c"]) and not in_order(["c", "a"], ["a", "b", "c"])
    assert in_order_within(["x", "y"], "xy z") and not in_order_within(["y", "x"], "xy z")
    assert read("<p>x</p><script>y</script>").problems == ["<script>"]
    assert read('<a href="JavaScript:x">y</a>').problems
    assert prose_words("the <b>bold</b> and <script> 中文 &amp;") == ["the", "bold", "and", "script", "中", "文"]
