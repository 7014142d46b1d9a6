"""Forms of learning paths and acknowledgements; the rules live in kb.onboarding.paths and .reading."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from accounts.auth import ROLES
from accounts.labels import ROLE_LABELS
from core.forms import options
from onboarding.paths import PathDetails


class PathForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("The title is empty.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    role = SelectField(_l("For the role"), choices=options((r, ROLE_LABELS[r]) for r in ROLES), default="staff")
    expected_minutes = IntegerField(_l("Expected time (minutes)"), default=60, validators=[
        InputRequired(_l("Give the expected time in minutes.")),
        NumberRange(min=1, max=100_000, message=_l("The expected time is a number of minutes greater than 0."))])
    base_version = HiddenField()

    def details(self) -> PathDetails:
        return PathDetails(title=self.title.data.strip(), role=self.role.data,
                           expected_minutes=self.expected_minutes.data,
                           description=(self.description.data or "").replace("\r\n", "\n").strip())


class VersionForm(FlaskForm):
    """The path's version the page showed: for one-button changes of its articles."""
    base_version = IntegerField(validators=[InputRequired()])


class AddItemForm(VersionForm):
    reference = StringField(_l("Article (number, link or address)"),
                            validators=[DataRequired(_l("Give the article's number, link or address.")),
                                        Length(max=500)])


class MoveForm(VersionForm):
    direction = HiddenField(validators=[DataRequired()])


class AssignForm(FlaskForm):
    usernames = TextAreaField(_l("People (user names, separated by commas or spaces)"),
                              validators=[Length(max=20_000)])
    role = SelectField(_l("Or everyone with the role"),
                       choices=options([("", "—")] + [(r, ROLE_LABELS[r]) for r in ROLES]), validators=[Optional()])
    due_on = DateField(_l("Due date"), validators=[InputRequired(_l("Give the due date as 2026-03-31."))])


class ArchiveForm(VersionForm):
    archived = HiddenField(validators=[AnyOf(("yes", "no"))])


class ButtonForm(FlaskForm):
    """Nothing but the CSRF token: for one-button actions."""


class AcknowledgeForm(FlaskForm):
    revision_number = IntegerField(validators=[InputRequired()])
