"""Forms of the improvement register; the rules live in the service modules, the choices come from the database."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, FloatField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from core.forms import options
from improvement import labels
from improvement.causes_and_actions import ActionDetails, CauseDetails, parse_whys
from improvement.models import (
    ACTION_KINDS,
    ACTION_STATUSES,
    CAUSE_CATEGORIES,
    CHARTS,
    DECISIONS,
    DIMENSIONS,
    DIRECTIONS,
    SEVERITIES,
    SOURCES,
)
from improvement.service import ImprovementDetails

NONE = 0  # the "—" choice of an optional select


def _choices(codes, names) -> list:
    return options((code, names[code]) for code in codes)


def _optional_id(value: int) -> int | None:
    return value or None


class ImprovementForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("The title is empty.")), Length(max=200)])
    problem = TextAreaField(_l("Problem statement"), validators=[Length(max=5000)])
    source = SelectField(_l("Source"), choices=_choices(SOURCES, labels.SOURCE_LABELS))
    dimension = SelectField(_l("SERVQUAL dimension"), choices=_choices(DIMENSIONS, labels.DIMENSION_LABELS))
    touchpoint = StringField(_l("Touchpoint or service process"), validators=[Length(max=200)])
    severity = SelectField(_l("Severity"), choices=_choices(SEVERITIES, labels.SEVERITY_LABELS), default="medium")
    owner_id = SelectField(_l("Owner"), coerce=int)
    metric_id = SelectField(_l("Primary metric"), coerce=int)
    target = FloatField(_l("Target (in the metric's unit)"), validators=[Optional()])
    change_date = DateField(_l("Change date (when the change went live)"), validators=[Optional()])
    what_changed = TextAreaField(_l("What changed"), validators=[Length(max=5000)])
    follows_id = SelectField(_l("Follows the earlier improvement"), coerce=int)
    started_on = DateField(_l("Started on (for a cycle already under way)"), validators=[Optional()])
    base_version = HiddenField()  # the version the form was opened at: a save over a newer one is refused

    def __init__(self, *args, owners=(), metrics=(), earlier=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = options((u.id, u.name) for u in owners)
        self.metric_id.choices = options([(NONE, "—")] + [(m.id, f"{m.name} ({m.unit})") for m in metrics])
        self.follows_id.choices = options([(NONE, "—")] + [(i.id, f"#{i.id} {i.title}") for i in earlier])

    def opened_at_version(self) -> int | None:
        value = self.base_version.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None

    def details(self) -> ImprovementDetails:
        return ImprovementDetails(
            title=self.title.data.strip(), source=self.source.data, dimension=self.dimension.data,
            owner_id=self.owner_id.data, problem=(self.problem.data or "").replace("\r\n", "\n").strip(),
            touchpoint=(self.touchpoint.data or "").strip(), severity=self.severity.data,
            metric_id=_optional_id(self.metric_id.data), target=self.target.data,
            change_date=self.change_date.data, what_changed=(self.what_changed.data or "").replace("\r\n", "\n"),
            follows_id=_optional_id(self.follows_id.data))


class CauseForm(FlaskForm):
    statement = StringField(_l("Root cause"), validators=[DataRequired(_l("Say what the cause is.")),
                                                          Length(max=300)])
    category = SelectField(_l("Category"), choices=_choices(CAUSE_CATEGORIES, labels.CAUSE_LABELS))
    whys = TextAreaField(_l("Why? Why? Why? (one answer per line, in order)"), validators=[Length(max=3500)])
    evidence = TextAreaField(_l("Evidence"), validators=[Length(max=5000)])
    verified = BooleanField(_l("Verified"))

    def details(self) -> CauseDetails:
        return CauseDetails(self.statement.data.strip(), self.category.data, parse_whys(self.whys.data),
                            self.evidence.data or "", bool(self.verified.data))


class ActionForm(FlaskForm):
    description = StringField(_l("Action"), validators=[DataRequired(_l("Say what will be done.")),
                                                        Length(max=300)])
    kind = SelectField(_l("Kind"), choices=_choices(ACTION_KINDS, labels.KIND_LABELS), default="corrective")
    owner_id = SelectField(_l("Owner"), coerce=int)
    due_on = DateField(_l("Due date"), validators=[InputRequired(_l("Give the due date as 2026-03-31."))])
    cause_id = SelectField(_l("Addresses the cause"), coerce=int)

    def __init__(self, *args, owners=(), causes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = options((u.id, u.name) for u in owners)
        self.cause_id.choices = options([(NONE, "—")] + [(c.id, c.statement) for c in causes])

    def details(self) -> ActionDetails:
        return ActionDetails(self.description.data.strip(), self.kind.data, self.owner_id.data, self.due_on.data,
                             _optional_id(self.cause_id.data))


class ActionStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=_choices(ACTION_STATUSES, labels.STATUS_LABELS))
    done_on = DateField(_l("Done on"), validators=[Optional()])
    drop_reason = StringField(_l("Reason for dropping"), validators=[Length(max=300)])


class MeasurementForm(FlaskForm):
    """Text fields on purpose: the service checks them and says exactly what is wrong."""
    taken_on = StringField(_l("Date"), validators=[Length(max=40)])
    value = StringField(_l("Value"), validators=[Length(max=40)])
    denominator = StringField(_l("Out of (denominator, for proportions)"), validators=[Length(max=40)])
    note = StringField(_l("Note"), validators=[Length(max=200)])


class PasteForm(FlaskForm):
    rows = TextAreaField(_l("Paste rows: date,value[,denominator][,note]"),
                         validators=[DataRequired(_l("Paste at least one row.")), Length(max=200_000)])


class UploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file.")),
                                                 FileAllowed(["csv", "txt"], _l("Upload a .csv file."))])


class PhaseForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Why go back?"), validators=[Length(max=300)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[DataRequired(_l("Give the reason for cancelling.")),
                                                                    Length(max=2000)])


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=_choices(DECISIONS, labels.DECISION_LABELS))
    note = TextAreaField(_l("Why"), validators=[Length(max=2000)])


class LinkArticleForm(FlaskForm):
    article = StringField(_l("Article (its link, number or slug)"),
                          validators=[DataRequired(_l("Name the article to link.")), Length(max=500)])


class ButtonForm(FlaskForm):
    """A one-button action: just the CSRF token."""


class MetricForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    unit = StringField(_l("Unit"), validators=[Length(max=40)])
    direction = SelectField(_l("Direction"), choices=_choices(DIRECTIONS, labels.DIRECTION_LABELS))
    chart = SelectField(_l("Chart"), choices=_choices(CHARTS, labels.CHART_LABELS))
    proportion = BooleanField(_l("Counted out of a total (a proportion with a denominator)"))
    scale = FloatField(_l("Shown as the fraction times (100 for %, 1000 for per 1,000)"), default=100.0,
                       validators=[Optional()])
    description = StringField(_l("Description"), validators=[Length(max=300)])


class RebaseForm(FlaskForm):
    from_date = DateField(_l("Recalculate the limits from"),
                          validators=[InputRequired(_l("Give the date the limits are recalculated from, like 2026-03-31."))])
    reason = TextAreaField(_l("Reason (what changed, and that it lasted)"),
                           validators=[DataRequired(_l("Give the reason for recalculating the limits.")),
                                       Length(max=2000)])
