"""Forms and labels of article feedback: votes, flags, resolving a flag, opening an improvement."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Regexp, ValidationError

from core.forms import options
from kb.feedback.labels import EVIDENCE_KINDS, FLAG_REASON_LABELS
from kb.feedback.models import FLAG_REASONS
from kb.feedback.service import MAX_FLAG_COMMENT, MAX_NOTE, MAX_VOTE_COMMENT


class VoteForm(FlaskForm):
    helpful = HiddenField(validators=[AnyOf(("yes", "no"), message=_l("Answer yes or no."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=MAX_VOTE_COMMENT)])


class FlagForm(FlaskForm):
    reason = SelectField(_l("What is wrong?"), choices=options((r, FLAG_REASON_LABELS[r]) for r in FLAG_REASONS),
                         validate_choice=False)
    comment = TextAreaField(_l("What should change? (optional)"), validators=[Length(max=MAX_FLAG_COMMENT)])

    def validate_reason(self, field):
        if field.data not in FLAG_REASONS:
            raise ValidationError(_l("Choose the reason from the list."))


class ResolveForm(FlaskForm):
    outcome = HiddenField(validators=[AnyOf(("fixed", "dismissed"), message=_l("Unknown outcome."))])
    flag_version = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,9}$")])
    revision = StringField(_l("Fixed in revision"))
    note = TextAreaField(_l("Why is it dismissed?"), validators=[Length(max=MAX_NOTE)])

    def revision_number(self) -> int | None:
        return int(self.revision.data) if re.fullmatch(r"[0-9]{1,9}", self.revision.data or "") else None

    def seen_version(self) -> int | None:
        return int(self.flag_version.data) if re.fullmatch(r"[0-9]{1,9}", self.flag_version.data or "") else None


class EvidenceForm(FlaskForm):
    """'Open an improvement' from a flag (ref: its id), unhelpful votes (ref: the article's id) or a search
    that found nothing (ref: the query)."""
    kind = HiddenField(validators=[AnyOf(EVIDENCE_KINDS, message=_l("Unknown kind of evidence."))])
    ref = HiddenField(validators=[DataRequired(), Length(max=200)])
