"""Form pieces about people: the password rules as a WTForms validator."""
from wtforms import ValidationError

from accounts import people
from core.errors import Invalid


def password_rules(username_of, current_of=lambda form: None):
    """Validator: the password rules of `people.check_new_password`, reported with the other form errors."""
    def validate(form, field):
        if field.data:
            try:
                people.check_new_password(field.data, username_of(form) or "", current_of(form))
            except Invalid as problem:
                raise ValidationError(problem.message) from None
    return validate
