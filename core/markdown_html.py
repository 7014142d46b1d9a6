"""HTML typed into Markdown, shown the way GitHub's tag filter shows it: what authors type is what readers see.

An allowed tag that opens and closes in the same place (`<kbd>Ctrl</kbd>`, a `<table>` block) stays markup,
as do `<br>`, an `<hr>` on a line of its own and an `<img>` with a `src`. Every other tag, a tag the sanitiser would drop (`<script>`, `<title>`,
`<textarea>`...) or an allowed one left open or closed out of place ("the <p> element"), is shown as the
text the author typed, so no browser or sanitiser ever swallows the words after it or reads the page's
own markup as text. Comments (`<!-- -->`) stay hidden; an unclosed one is text.

Python-Markdown keeps raw HTML aside while it renders (its `htmlStash`); this extension filters each kept
piece, then pairs the allowed tags across the whole rendered page, where Markdown's own elements are known.
"""
import html
import re
from dataclasses import dataclass

from markdown.extensions import Extension
from markdown.htmlparser import HTMLExtractor
from markdown.postprocessors import RawHtmlPostprocessor
from markdown.preprocessors import HtmlBlockPreprocessor

VOID = {"br", "hr", "img", "wbr", "area", "base", "col", "embed", "input", "link", "meta", "param", "source",
        "track"}
# a tag as CommonMark (and so GitHub) reads one; anything else with a '<' is text
ATTRIBUTE = re.compile(r"""([a-zA-Z_:][a-zA-Z0-9_.:-]*)(?:\s*=\s*([^\s"'=<>`]+|'[^']*'|"[^"]*"))?""")
COMMENT_OR_TAG = re.compile(rf"""(?P<comment><!--(?:>|->|.*?--!?>))
                              |<(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:\s+{ATTRIBUTE.pattern})*)\s*/?>
                              |</(?P<end>[A-Za-z][A-Za-z0-9-]*)\s*>""", re.S | re.X)
MOST_OPEN = 40  # an end tag pairs with a start tag at most this many open tags down (else it is text)
MARK = "\x0e%d\x0f"  # where a kept tag stands in the rendered page until it is paired (no author types these)
MARK_OR_TAG = re.compile("(\x0e\\d+\x0f|<[^>]*>)")  # Markdown's own tags: its attribute values escape '>'


@dataclass
class _Typed:
    """A tag as the author typed it, allowed by the sanitiser; markup if it pairs up, else text."""
    typed: str
    name: str
    end: bool
    markup: str


def shown(typed: str) -> str:
    return typed.replace("<", "&lt;").replace(">", "&gt;")


def _markup(name: str, end: bool, attributes: str) -> str:
    """The tag rewritten plainly (lowercase, quoted, escaped), so that every parser reads it the same way."""
    if end:
        return f"</{name}>"
    parts = [name]
    for attr, value in ATTRIBUTE.findall(attributes):
        value = html.unescape(value[1:-1] if value[:1] in ("'", '"') else value)
        parts.append(f'{attr.lower()}="{html.escape(value)}"')
    return f"<{' '.join(parts)}>"


class TypedHtml(RawHtmlPostprocessor):
    """Puts the raw HTML back filtered (`stash_to_string`), then pairs the allowed tags (`run`)."""

    def __init__(self, md, allowed: set[str]):
        super().__init__(md)
        self.allowed = allowed
        self.typed: list[_Typed] = []
        self.shown_as_text: list[str] = []  # the tags shown as text, as typed, in order, once each

    def stash_to_string(self, text) -> str:
        text, out, at = str(text).rstrip("\n"), [], 0
        for found in COMMENT_OR_TAG.finditer(text):
            out.append(shown(text[at:found.start()]))
            at = found.end()
            if not found["comment"]:  # a comment is left out, as the sanitiser would
                out.append(self._tag(found))
        out.append(shown(text[at:]))
        return "".join(out)

    def _tag(self, found: re.Match) -> str:
        name, end = (found["name"] or found["end"]).lower(), bool(found["end"])
        if name not in self.allowed:
            return self._as_text(found[0])
        self.typed.append(_Typed(found[0], name, end, _markup(name, end, found["attrs"])))
        return MARK % (len(self.typed) - 1)

    def _as_text(self, typed: str) -> str:
        if typed not in self.shown_as_text:
            self.shown_as_text.append(typed)
        return shown(typed)

    def isblocklevel(self, text: str) -> bool:
        mark = re.match("\x0e(\\d+)\x0f", text)
        return not text.strip() or bool(mark and self.md.is_block_level(self.typed[int(mark[1])].name))

    def run(self, text: str) -> str:
        return self._paired(super().run(text))

    def _paired(self, text: str) -> str:
        """Each kept tag is markup if it closes inside the element it opened in; otherwise it is text."""
        parts = MARK_OR_TAG.split(text)
        open_: list[tuple[str, int | None]] = []  # (name, where in `parts` if typed by the author)

        def as_text(at: int) -> None:
            parts[at] = self._as_text(self.typed[int(parts[at][1:-1])].typed)

        for at in range(1, len(parts), 2):
            part = parts[at]
            if part.startswith("\x0e"):
                tag = self.typed[int(part[1:-1])]
                if tag.name in VOID:
                    markup = not tag.end and self._void_is_markup(tag, parts, at)
                    parts[at] = tag.markup if markup else self._as_text(tag.typed)
                elif not tag.end:
                    open_.append((tag.name, at))
                else:
                    self._close(tag.name, at, open_, as_text)
            elif not part.startswith("</"):
                name = re.match(r"<([a-zA-Z0-9]*)", part)[1].lower()
                if name not in VOID and not part.endswith("/>"):
                    open_.append((name, None))
            else:  # Markdown's own end tag: what the author opened inside its element and left open is text
                while open_:
                    name, where = open_.pop()
                    if where is None:
                        break
                    as_text(where)
        for _name, where in open_:
            if where is not None:
                as_text(where)
        for at in range(1, len(parts), 2):
            if parts[at].startswith("\x0e"):
                parts[at] = self.typed[int(parts[at][1:-1])].markup
        return "".join(parts)

    @staticmethod
    def _void_is_markup(tag: _Typed, parts: list[str], at: int) -> bool:
        """`<br>` always; `<img>` with a source; `<hr>` on a line of its own ("the <hr> element" is text)."""
        if tag.name == "img":
            return ' src="' in tag.markup
        if tag.name == "hr":
            return not parts[at - 1].strip() and not (parts[at + 1] if at + 1 < len(parts) else "").strip()
        return True

    @staticmethod
    def _close(name: str, at: int, open_: list, as_text) -> None:
        """An end tag the author typed pairs with the nearest start tag of its name that the author typed
        inside the same element of Markdown's; the start tags left open between them become text."""
        for depth in range(len(open_) - 1, max(-1, len(open_) - 1 - MOST_OPEN), -1):
            opened, where = open_[depth]
            if where is None:
                break
            if opened == name:
                for _name, inner in open_[depth + 1:]:
                    as_text(inner)
                del open_[depth:]
                return
        as_text(at)


class _BlocksThatClose(HTMLExtractor):
    """Python-Markdown's raw HTML blocks, except that a block tag never closed ("<p> is the paragraph
    element" at the start of a line) does not turn the rest of the article into raw HTML: the tag is kept
    alone (and shown as text, as it pairs with nothing), and what follows it is Markdown again. And an
    entity on the line after a comment stays where it was typed (Python-Markdown moved it to the end)."""

    def handle_empty_tag(self, data: str, is_block: bool):
        if self.intail and not self.inraw:  # on the line after a block's end: in its place, not after the next block
            self.cleandoc.append(self.md.htmlStash.store(data) if is_block else data)
        else:
            super().handle_empty_tag(data, is_block)

    def close(self):
        super().close()
        if self.inraw:
            stash = self.md.htmlStash
            stash.html_counter -= 1
            block = stash.rawHtmlBlocks.pop()
            tag = COMMENT_OR_TAG.match(block)
            cut = tag.end() if tag else 1
            self.cleandoc[-1] = stash.store(block[:cut]) + block[cut:]


class _HtmlBlocks(HtmlBlockPreprocessor):
    def run(self, lines: list[str]) -> list[str]:
        parser = _BlocksThatClose(self.md)
        parser.feed("\n".join(lines))
        parser.close()
        return "".join(parser.cleandoc).split("\n")


class HtmlAsTyped(Extension):
    """Raw HTML: allowed tags that pair up are markup, anything else is shown as typed (see the module)."""

    def __init__(self, allowed: set[str]):
        super().__init__()
        self.allowed = allowed

    def extendMarkdown(self, md):
        # only tags that may stay markup start a raw HTML block; '<script>' at the start of a line is text
        md.block_level_elements = [tag for tag in md.block_level_elements if tag in self.allowed]
        md.preprocessors.register(_HtmlBlocks(md), "html_block", 20)
        md.postprocessors.register(TypedHtml(md, self.allowed), "raw_html", 30)
