"""Lists as authors type them today (as on GitHub), for Python-Markdown.

Nested lists typed with 2 or 3 spaces: an item is a child of the item above when it starts at or beyond
that item's text, as CommonMark says; each level is then re-indented to four spaces (Python-Markdown's
rule), and the text under an item moves with it. An item straight after an item's second paragraph
starts a new item (Python-Markdown would run it into the paragraph), and a fenced code block inside an
item is code (Python-Markdown only knows fences at the start of a line).
"""
import html
import re
from dataclasses import dataclass

from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])( +)(\S.*)$")
FENCE = re.compile(r"^ *(```|~~~)")


@dataclass
class _Item:
    text_column: int  # where the item's text starts in the author's source
    new_indent: int   # where its marker goes in the output
    kind: str         # its marker's kind: '-', '*' or '+' for a bullet, '.' or ')' after a number


def _starts_an_item(marker: str, sibling: _Item | None) -> bool:
    """Whether a line starting with `marker` right under a paragraph is a list item rather than more of the
    paragraph (CommonMark): the next item of the list it lines up with, or a bullet, or '1.' starting a list."""
    return (sibling is not None and sibling.kind == marker[-1]) or not marker[0].isdigit() or int(marker[:-1]) == 1


def normalise_list_indents(text: str) -> str:
    out: list[str] = []
    open_items: list[_Item] = []
    fence, shift, previous_blank, after_item = None, 0, True, False
    block_indent = 0  # where the first line of the current block (lines between blank lines) stands in the output
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if fence:
            out.append(_shifted(line, shift, indent))
            if line.lstrip(" ").startswith(fence):
                fence = None
            continue
        if not line.strip():
            out.append(line)
            previous_blank = True
            continue
        item = ITEM.match(line)
        if item:
            sibling = None
            while open_items and indent < open_items[-1].text_column:
                sibling = open_items.pop()
            depth = len(open_items) if (not open_items or indent >= open_items[-1].text_column) else 0
            new_indent = 4 * depth
            if not previous_blank and block_indent > 0 and (
                    new_indent < block_indent if after_item else _starts_an_item(item[2], sibling)):
                # Python-Markdown reads a block that starts indented as all inside the item above and an item
                # inside a paragraph as more of it: the item starts a block of its own, as in CommonMark it
                # ends the paragraph or the nested list above it
                out.append("")
                previous_blank = True
            open_items.append(_Item(indent + len(item[2]) + len(item[3]), new_indent, item[2][-1]))
            out.append(" " * new_indent + item[2] + item[3] + item[4])
        elif indent == 0 and previous_blank:
            open_items = []
            out.append(line)
        else:
            shift = _continuation_shift(open_items, indent)
            out.append(_shifted(line, shift, indent))
        if previous_blank:
            block_indent = len(out[-1]) - len(out[-1].lstrip(" "))
        fence_open = FENCE.match(line)
        if fence_open:
            fence = fence_open[1]
        previous_blank, after_item = False, bool(item)
    return "\n".join(out)


def _continuation_shift(open_items: list[_Item], indent: int) -> int:
    """How far to move a line under a list item: by the move of the deepest item it belongs to."""
    for level in range(len(open_items) - 1, -1, -1):
        if indent >= open_items[level].text_column:
            return 4 * (level + 1) - open_items[level].text_column
    return 0


def _shifted(line: str, shift: int, indent: int) -> str:
    if shift >= 0:
        return " " * shift + line
    return line[min(-shift, indent):]


FENCE_IN_ITEM = re.compile(r"^(?P<indent> +)(?P<fence>`{3,}|~{3,})[ ]*\.?[\w#.+-]*[ ]*$")


class FencesInItems(Preprocessor):
    """A fenced code block indented under a list item (after `normalise_list_indents`) becomes the same
    `<pre><code>` as a fence at the start of a line, kept at the item's indent so it stays in the item."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        in_list, at = False, 0
        while at < len(lines):
            line = lines[at]
            if line.strip() and not line.startswith(" "):
                in_list = bool(ITEM.match(line))
            opening = FENCE_IN_ITEM.match(line) if in_list else None
            end = _closing_fence(lines, at, opening["fence"]) if opening else None
            if end is None:
                out.append(line)
                at += 1
                continue
            indent = opening["indent"]
            code = "".join(_dedented(code_line, len(indent)) + "\n" for code_line in lines[at + 1:end])
            out.append(indent + self.md.htmlStash.store(f"<pre><code>{html.escape(code, quote=False)}</code></pre>"))
            at = end + 1
        return out


def _closing_fence(lines: list[str], opening: int, fence: str) -> int | None:
    closing = re.compile(rf" *{re.escape(fence[0])}{{{len(fence)},}} *")
    return next((at for at in range(opening + 1, len(lines)) if closing.fullmatch(lines[at])), None)


def _dedented(line: str, indent: int) -> str:
    return line[min(indent, len(line) - len(line.lstrip(" "))):]


class ListsAsTyped(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.register(FencesInItems(md), "fences_in_items", 26)
