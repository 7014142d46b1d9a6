"""Nested lists as authors type them today (2 or 3 spaces, as on GitHub) for Python-Markdown (4 spaces).

An item is a child of the item above when it starts at or beyond that item's text, as CommonMark
says; each level is then re-indented to four spaces, and the text under an item moves with it.
"""
import re
from dataclasses import dataclass

ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])( +)(\S.*)$")
FENCE = re.compile(r"^ *(```|~~~)")


@dataclass
class _Item:
    text_column: int  # where the item's text starts in the author's source
    new_indent: int   # where its marker goes in the output


def normalise_list_indents(text: str) -> str:
    out: list[str] = []
    open_items: list[_Item] = []
    fence, shift, previous_blank = None, 0, True
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
            while open_items and indent < open_items[-1].text_column:
                open_items.pop()
            depth = len(open_items) if (not open_items or indent >= open_items[-1].text_column) else 0
            new_indent = 4 * depth
            open_items.append(_Item(indent + len(item[2]) + len(item[3]), new_indent))
            out.append(" " * new_indent + item[2] + item[3] + item[4])
        elif indent == 0 and previous_blank:
            open_items = []
            out.append(line)
        else:
            shift = _continuation_shift(open_items, indent)
            out.append(_shifted(line, shift, indent))
        fence_open = FENCE.match(line)
        if fence_open:
            fence = fence_open[1]
        previous_blank = False
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
