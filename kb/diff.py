"""Line diff between two texts, as rows a template can show side by side."""
import difflib
from dataclasses import dataclass


@dataclass
class DiffRow:
    kind: str  # "same", "removed", "added"
    old_line: int | None
    new_line: int | None
    text: str


def line_diff(old: str, new: str) -> list[DiffRow]:
    a, b = (old or "").splitlines(), (new or "").splitlines()
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [DiffRow("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)]
            continue
        rows += [DiffRow("removed", i + 1, None, a[i]) for i in range(i1, i2)]
        rows += [DiffRow("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return rows


def changed(rows: list[DiffRow]) -> bool:
    return any(row.kind != "same" for row in rows)
