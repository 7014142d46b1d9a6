"""Forms of the knowledge base; the choices come from the database, the rules from kb.service."""
import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core.forms import options
from kb import service
from kb.labels import AUDIENCE_LABELS, LANGUAGE_LABELS, TYPE_LABELS
from kb.models import ARTICLE_TYPES, AUDIENCES, LANGUAGES

KCS_TEMPLATE = "## Issue\n\n\n## Environment\n\n\n## Resolution\n\n\n## Cause\n\n"


def kcs_template(issue: str = "") -> str:
    """A new knowledge article's body; `issue` (what a customer asked) pre-fills its Issue section."""
    return KCS_TEMPLATE.replace("## Issue\n\n", f"## Issue\n\n{issue}\n", 1) if issue else KCS_TEMPLATE


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("The title is empty.")), Length(max=200)])
    type = SelectField(_l("Type"), choices=options((t, TYPE_LABELS[t]) for t in ARTICLE_TYPES))
    summary = StringField(_l("Summary"), validators=[Length(max=300)])
    body = TextAreaField(_l("Body (Markdown)"), validators=[DataRequired(_l("The body is empty."))])
    category_id = SelectField(_l("Category"), coerce=int,
                              validators=[InputRequired(_l("Choose a category from the list."))])
    tags = StringField(_l("Tags (comma-separated)"))
    audience = SelectField(_l("Audience"), choices=options((a, AUDIENCE_LABELS[a]) for a in AUDIENCES))
    language = SelectField(_l("Language"), choices=options((code, LANGUAGE_LABELS[code]) for code in LANGUAGES))
    owner_id = SelectField(_l("Owner"), coerce=int)
    review_by = DateField(_l("Review by"), validators=[Optional()])
    note = StringField(_l("Change note"), validators=[Length(max=200)])
    major = BooleanField(_l("Major change: people who confirmed they read this article are asked to read it again"))
    base_version = HiddenField()
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))

    def __init__(self, *args, categories=(), owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = options((c.id, c.path) for c in categories)
        self.owner_id.choices = options((u.id, u.name) for u in owners)

    def validate_body(self, field):
        limit = current_app.config["MAX_BODY_CHARS"]
        if len(field.data or "") > limit:
            raise ValidationError(_l("The body has %(n)s characters; the limit is %(limit)s.",
                                     n=f"{len(field.data):,}", limit=f"{limit:,}"))

    def validate_tags(self, field):
        for problem in service.tag_problems(service.parse_tags(field.data)):
            raise ValidationError(problem)

    def body_text(self) -> str:
        """The body as it is saved (and so as the preview renders it)."""
        return (self.body.data or "").replace("\r\n", "\n").lstrip("\n")

    def content(self) -> service.ArticleContent:
        return service.ArticleContent(
            title=self.title.data.strip(), body=self.body_text(),
            type=self.type.data, category_id=self.category_id.data, owner_id=self.owner_id.data,
            summary=(self.summary.data or "").strip(), tags=service.parse_tags(self.tags.data),
            audience=self.audience.data, language=self.language.data, review_by=self.review_by.data)

    def version(self) -> int | None:
        return int(self.base_version.data) if re.fullmatch(r"[0-9]{1,9}", self.base_version.data or "") else None


class StateForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    base_version = IntegerField(validators=[InputRequired()])


class VersionForm(FlaskForm):
    """Just the version the page showed: for one-button actions (restore, confirm review)."""
    base_version = IntegerField(validators=[InputRequired()])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    parent_id = SelectField(_l("Parent"), coerce=int)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = options([(0, "—")] + [(c.id, c.path) for c in categories])

    def validate_name(self, field):
        if "/" in field.data:
            raise ValidationError(_l("A category name cannot contain '/'."))
