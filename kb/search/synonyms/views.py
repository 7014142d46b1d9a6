"""The synonym page: editors keep the synonyms a search applies (the rules are in kb.search.synonyms): the list,
add, edit, delete, import and export, and accepting a candidate from the search report. Thin, like kb.views."""
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from accounts.auth import require
from core.errors import Invalid, on_refusal
from core.forms import show_refusal, valid_or_400
from kb.search import synonyms
from kb.search.models import Synonym

bp = Blueprint("synonyms", __name__)

MAX_LINE_CHARS = 2000
MAX_IMPORT_BYTES = 256 * 1024


class LineForm(FlaskForm):
    line = StringField(_l("Entry"), validators=[
        DataRequired(_l("Type an entry, like 顾客 = 客户 or 手机 -> iPhone.")), Length(max=MAX_LINE_CHARS)])


class EditForm(LineForm):
    version = IntegerField(validators=[InputRequired()])  # the entry's version the page showed


class VersionForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])


class ImportForm(FlaskForm):
    text = TextAreaField(_l("Lines to import"), validators=[Length(
        max=MAX_IMPORT_BYTES, message=_l("Paste at most %(n)s KB at a time.", n=MAX_IMPORT_BYTES // 1024))])
    file = FileField(_l("Or a .txt file (UTF-8)"), validators=[FileAllowed(["txt"], _l("Choose a .txt file."))])


class AcceptForm(FlaskForm):
    """A candidate from the search report: A -> B."""
    a = StringField(validators=[DataRequired(), Length(max=200)])
    b = StringField(validators=[DataRequired(), Length(max=200)])


def readable(row: Synonym) -> str:
    """An entry as the page shows it: '顾客 = 客户', '手机 → iPhone, Android phone'."""
    terms = row.term_list
    return f"{terms[0]} → {', '.join(terms[1:])}" if row.one_way else " = ".join(terms)


def _entry(line: str) -> synonyms.Entry:
    """The one entry a form's line holds; a blank or comment line is refused."""
    entry = synonyms.parse_line(line)
    if entry is None:
        raise Invalid(_("Type an entry, like 顾客 = 客户 or 手机 -> iPhone; a line starting with # is a comment."))
    return entry


def _import_text(form: ImportForm) -> str:
    """The pasted lines or the uploaded file's text (one of them)."""
    pasted, upload = (form.text.data or "").strip(), form.file.data
    if pasted and upload:
        raise Invalid(_("Paste the lines or choose a file, not both."))
    if upload:
        data = upload.stream.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            raise Invalid(_("The file is larger than %(n)s KB.", n=MAX_IMPORT_BYTES // 1024))
        try:
            pasted = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid(_("The file is not UTF-8 text; save it as UTF-8 and try again.")) from None
        if "\x00" in pasted:  # core.web refuses one in a form, not in a file; PostgreSQL cannot store it
            raise Invalid(_("The file has a NUL character; it is not a text file."))
    if not pasted.strip():
        raise Invalid(_("Paste some lines or choose a .txt file."))
    return pasted


def _page(status: int = 200, problems: list[str] | None = None, **forms):
    """The synonym page; a form that was refused comes back in `forms` as it was sent."""
    forms = {"line_form": LineForm(formdata=None), "import_form": ImportForm(formdata=None)} | forms
    return render_template("kb/search/synonyms.html", entries=synonyms.all_entries(), readable=readable,
                           version_form=VersionForm(formdata=None), problems=problems or [], **forms), status


def _form_again(name: str, form: FlaskForm):
    """What a refusal shows: the page again with `form` as sent and the reasons above it."""
    def page(refusal):
        show_refusal(form, refusal)
        return _page(refusal.status, **{name: form})
    return page


def _to_list():
    return redirect(url_for("synonyms.synonym_list"), 303)


@bp.get("/kb/synonyms")
@require("manage_synonyms")
def synonym_list():
    return _page()


@bp.post("/kb/synonyms")
@require("manage_synonyms")
def add():
    form = LineForm()
    if not form.validate_on_submit():
        return _page(400, line_form=form)
    added = _add_line(form)
    flash(_("Added: %(entry)s. The next search uses it.", entry=readable(added)), "success")
    return _to_list()


def _add_line(form: LineForm) -> Synonym:
    """The entry of the form's line, added; a refusal shows the page again with the form and the reasons."""
    on_refusal(_form_again("line_form", form))
    return synonyms.add(_entry(form.line.data), current_user)


@bp.route("/kb/synonyms/<int:synonym_id>/edit", methods=["GET", "POST"])
@require("manage_synonyms")
def edit(synonym_id: int):
    row = synonyms.find(synonym_id)
    if request.method == "GET":
        return _edit_page(row, EditForm(formdata=None, line=synonyms.Entry(tuple(row.term_list), row.one_way).line,
                                        version=row.version))
    form = EditForm()
    if not form.validate_on_submit():
        return _edit_page(row, form)
    on_refusal(lambda refusal: _edit_page(row, form, refusal))
    changed = synonyms.update(row, _entry(form.line.data), form.version.data, current_user)
    flash(_("Saved: %(entry)s.", entry=readable(row)) if changed else _("Nothing changed."), "success")
    return _to_list()


def _edit_page(row: Synonym, form: EditForm, refusal=None):
    """The edit form; after a refusal it holds what was typed, and the version of the entry as saved now (shown
    beside it), so that saving again is a choice made after seeing it."""
    if refusal:
        show_refusal(form, refusal)
        form.version.data = row.version
    status = refusal.status if refusal else (400 if form.errors else 200)
    return render_template("kb/search/synonym_edit.html", row=row, form=form, readable=readable), status


@bp.post("/kb/synonyms/<int:synonym_id>/delete")
@require("manage_synonyms")
def delete(synonym_id: int):
    row = synonyms.find(synonym_id)
    form = VersionForm()
    valid_or_400(form)
    on_refusal(lambda refusal: _page(refusal.status, refusal.problems))
    shown = readable(row)
    synonyms.delete(row, form.version.data, current_user)
    flash(_("Deleted: %(entry)s.", entry=shown), "success")
    return _to_list()


@bp.post("/kb/synonyms/import")
@require("manage_synonyms")
def import_entries():
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(400, import_form=form)
    on_refusal(_form_again("import_form", form))
    text = _import_text(form)
    added = synonyms.import_text(text, current_user)
    skipped = len(synonyms.parse_text(text)) - len(added)
    flash(ngettext("%(num)d entry added; %(skipped)d kept already were left as they are.",
                   "%(num)d entries added; %(skipped)d kept already were left as they are.",
                   len(added), skipped=skipped), "success")
    return _to_list()


@bp.get("/kb/synonyms/export")
@require("manage_synonyms")
def export():
    return Response(synonyms.export_text(), mimetype="text/plain",
                    headers={"Content-Disposition": 'attachment; filename="synonyms.txt"'})


@bp.post("/kb/synonyms/accept")
@require("manage_synonyms")
def accept():
    """A candidate from the search report becomes the one-way entry A -> B; a refusal shows the synonym page
    with the line in the add form, to change it there."""
    form = AcceptForm()
    valid_or_400(form)
    added = _add_line(LineForm(formdata=None, line=f"{form.a.data} -> {form.b.data}"))
    flash(_("Added: %(entry)s. A search for %(a)s now finds %(b)s too.", entry=readable(added),
            a=form.a.data, b=form.b.data), "success")
    return redirect(url_for("search.report"), 303)
