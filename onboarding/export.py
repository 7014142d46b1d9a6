"""The progress matrix of a learning path as CSV, safe to open in a spreadsheet."""
import csv
import io

from flask_babel import gettext as _

from onboarding.progress import CONFIRMED, READ_AGAIN, ItemProgress, Matrix

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def item_text(item: ItemProgress) -> str:
    if item.state == CONFIRMED:
        text = _("acknowledged rev %(n)s", n=item.acknowledgement.revision_number)
    elif item.state == READ_AGAIN:
        text = _("read again")
    else:
        text = _("not started")
    if item.has_check:
        text += "; " + (_("check passed") if item.check_passed else _("check not passed"))
    return text


def matrix_csv(matrix: Matrix) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(h) for h in [_("username"), _("name"), _("due date"), _("overdue"), _("complete")]
                     + [a.title for a in matrix.articles]])
    yes, no = _("yes"), _("no")
    for row in matrix.rows:
        person = row.assignment.user
        writer.writerow([cell(v) for v in [person.username, person.name, row.assignment.due_on.isoformat(),
                                           yes if row.overdue else no, yes if row.complete else no]
                         + [item_text(i) for i in row.items]])
    return out.getvalue()
