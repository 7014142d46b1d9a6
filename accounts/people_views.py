"""People admin, for those who may manage users: the list, a new user, a user's roles, state and password."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from accounts import auth, people
from accounts.auth import require
from accounts.forms import password_rules
from accounts.labels import ROLE_LABELS
from core.db import db
from core.errors import on_refusal
from core.forms import options, show_refusal

bp = Blueprint("people", __name__, url_prefix="/admin/users")

NEW_PASSWORD = {"autocomplete": "new-password"}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _at_least_one(form, field):
    if not field.data:
        raise ValidationError(_l("Choose at least one role."))


class RolesField(SelectMultipleField):
    """The roles as a list of checkboxes."""
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PersonForm(FlaskForm):
    display_name = StringField(_l("Display name"), filters=[_strip], validators=[Length(max=120)])
    email = StringField(_l("E-mail address (for notifications)"), filters=[_strip],
                        render_kw={"autocomplete": "off", "type": "email"}, validators=[Length(max=people.MAX_EMAIL)])
    roles = RolesField(_l("Roles"), validators=[_at_least_one])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = options((role, ROLE_LABELS[role]) for role in auth.ROLES)


class NewPersonForm(PersonForm):
    username = StringField(_l("User name"), filters=[_strip], render_kw={"autocomplete": "off"}, validators=[
        DataRequired(), Length(max=80),
        Regexp(auth.USERNAME.pattern + r"\Z", message=_l("Use 1 to 80 letters, digits, '.', '_' or '-'."))])
    password = PasswordField(_l("Initial password"), render_kw=NEW_PASSWORD, validators=[
        DataRequired(), Length(max=200), password_rules(lambda form: form.username.data)])

    def validate_username(self, field):
        if auth.username_taken(field.data):
            raise ValidationError(_l("A user named %(name)s exists already.", name=field.data))


class EditPersonForm(PersonForm):
    active = BooleanField(_l("Active (may log in)"))
    new_password = PasswordField(_l("New password (leave empty to keep the current one)"),
                                 render_kw=NEW_PASSWORD, validators=[
                                     Optional(), Length(max=200), password_rules(lambda form: form.username)])

    def __init__(self, *args, username: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username


@bp.get("")
@require("manage_users")
def users():
    return render_template("accounts/users.html", users=people.all_users(), role_labels=ROLE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@require("manage_users")
def new_user():
    form = NewPersonForm()
    if form.validate_on_submit():
        on_refusal(lambda refusal: _form_page(form, None, refusal))
        made = people.add_user(current_user, form.username.data, form.display_name.data,
                               form.roles.data, form.password.data, form.email.data)
        flash(_("User %(name)s added.", name=made.username), "success")
        return redirect(url_for("people.users"))
    return _form_page(form, None)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@require("manage_users")
def edit_user(user_id: int):
    person = db.session.get(auth.User, user_id) or abort(404)
    form = EditPersonForm(obj=person, roles=sorted(person.roles, key=auth.ROLES.index), username=person.username)
    if form.validate_on_submit():
        on_refusal(lambda refusal: _form_page(form, person, refusal))
        people.update_user(person, current_user, form.display_name.data, form.roles.data, form.active.data,
                           form.email.data)
        if form.new_password.data:
            people.set_password(person, form.new_password.data, current_user)
        flash(_("User %(name)s saved.", name=person.username), "success")
        return redirect(url_for("people.users"))
    return _form_page(form, person)


def _form_page(form: PersonForm, person: auth.User | None, refusal=None):
    if refusal:
        show_refusal(form, refusal)
    return render_template("accounts/user_form.html", form=form, person=person,
                           min_length=people.MIN_PASSWORD_LENGTH), 400 if form.errors else 200
