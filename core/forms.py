"""Small pieces every form uses."""
from collections.abc import Iterable

from flask import abort
from flask_babel import gettext as _
from wtforms import SelectChoice, ValidationError

from accounts import people


def options(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """[(value, label), ...] as the option objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def valid_or_400(form) -> None:
    """A one-button form (a state change, a move, a confirmation) arrives whole or not at all."""
    if not form.validate_on_submit():
        abort(400, description=_("The request was incomplete; reload the page and try again."))


def password_rules(username_of, current_of=lambda form: None):
    """Validator: the password rules of `people.check_new_password`, reported with the other form errors."""
    def validate(form, field):
        if field.data:
            try:
                people.check_new_password(field.data, username_of(form) or "", current_of(form))
            except people.Refused as problem:
                raise ValidationError(problem.message) from None
    return validate
