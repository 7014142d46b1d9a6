"""Small pieces every form uses."""
from collections.abc import Iterable

from flask import abort
from flask_babel import gettext as _
from wtforms import SelectChoice


def options(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """[(value, label), ...] as the option objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def valid_or_400(form) -> None:
    """A one-button form (a state change, a move, a confirmation) arrives whole or not at all."""
    if not form.validate_on_submit():
        abort(400, description=_("The request was incomplete; reload the page and try again."))


def form_problem(form) -> str:
    """What is wrong with a hidden-field form (a button), in one sentence."""
    if "csrf_token" in form.errors:
        return _("The request was incomplete; reload the page and try again.")
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def show_refusal(form, refusal) -> None:
    """A domain refusal (core.errors) beside the field it is about, or above the form."""
    field = form._fields.get(refusal.field) if refusal.field else None
    if field is not None:
        field.errors = [*field.errors, *refusal.problems]
    else:
        form.form_errors.extend(refusal.problems)
