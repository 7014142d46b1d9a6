"""Measurements from CSV text (a file, an upload or a paste): `date,value[,denominator][,note]`.

A first line starting with `date` is a header and names the columns (in any order); without one the
columns are taken in that order. Every bad row is reported with its line number, and a file with any
bad row gives nothing.
"""
import csv
import io
from datetime import date

from flask_babel import lazy_gettext as _

from core.errors import Invalid, refuse_if
from improvement.metrics import Reading, read, with_line
from improvement.models import Metric

COLUMNS = ("date", "value", "denominator", "note")
REQUIRED = ("date", "value")
MAX_ROWS = 5000
MAX_BYTES = 1024 * 1024


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise Invalid(_("The file is larger than %(n)s KB.", n=MAX_BYTES // 1024))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(_("The file is not UTF-8 text; save it as CSV (UTF-8) and try again.")) from None


def parse(text: str, metric: Metric, today: date) -> list[Reading]:
    """Every reading in `text`, or Invalid listing every bad line."""
    try:  # newline="": rows may end in \n, \r\n or a lone \r (old Mac exports), as the csv module expects
        rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
                if any(cell.strip() for cell in row)]
    except csv.Error as error:  # a cell longer than the csv module takes, a NUL...
        raise Invalid(_("The file is not CSV the import can read (%(reason)s).", reason=str(error))) from None
    if not rows:
        raise Invalid(_("The file has no measurements."))
    columns = list(COLUMNS)
    first_line, first = rows[0]
    if first and first[0].strip().lower() == "date":
        columns = [cell.strip().lower() for cell in first]
        rows = rows[1:]
        _check_header(columns)
    if len(rows) > MAX_ROWS:
        raise Invalid(_("The file has %(n)s rows; at most %(limit)s at a time.", n=len(rows), limit=MAX_ROWS))
    readings, problems = [], []
    for line, row in rows:
        if len(row) > len(columns):
            problems.append(with_line(line, _("%(n)s columns, more than the %(expected)s expected (%(names)s).",
                                              n=len(row), expected=len(columns), names=", ".join(columns))))
            continue
        cells = dict(zip(columns, (cell.strip() for cell in row)))
        reading, found = read(metric, cells.get("date"), cells.get("value"), cells.get("denominator"),
                              cells.get("note", ""), today=today, line=line)
        problems.extend(with_line(line, p) for p in found)
        if reading:
            readings.append(reading)
    refuse_if(problems)
    if not readings:
        raise Invalid(_("The file has no measurements."))
    return readings


def _check_header(columns: list[str]) -> None:
    problems = [_("The header has no %(name)s column.", name=repr(name)) for name in REQUIRED if name not in columns]
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        problems.append(_("Unknown column %(names)s in the header; the columns are %(known)s.",
                          names=", ".join(repr(c) for c in unknown), known=", ".join(COLUMNS)))
    if len(set(columns)) != len(columns):
        problems.append(_("The header names a column twice."))
    refuse_if(problems)
