"""Log in, log out, change one's own password, choose a language."""
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from accounts import auth, people
from accounts.forms import password_rules
from core.db import db
from core.errors import on_refusal
from core.forms import options, show_refusal

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))
    next = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), render_kw={"autocomplete": "current-password"},
                                     validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"}, validators=[
        DataRequired(), Length(max=200),
        password_rules(lambda form: current_user.username, lambda form: form.current_password.data)])
    repeat = PasswordField(_l("New password again"), render_kw={"autocomplete": "new-password"}, validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))])


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"))
    next = HiddenField()


def safe_next(target: str | None) -> str:
    """Only a path on this site; never an absolute URL to somewhere else."""
    if (target and target.startswith("/") and not target.startswith("//")
            and not urlsplit(target).netloc and target.isprintable() and "\\" not in target):
        return target
    return url_for("kb.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 400 if form.errors else 200
    username = form.username.data.strip()
    wait = auth.login_blocked_for(username, request.remote_addr)
    if wait:
        form.username.errors.append(_("Too many failed attempts. Try again in %(n)s minutes.", n=wait))
        return render_template("accounts/login.html", form=form), 429
    user = auth.find_user(username)
    if not auth.password_matches(user, form.password.data):
        auth.record_login_failure(username, request.remote_addr)
        form.password.errors.append(_("The user name or the password is wrong."))
        return render_template("accounts/login.html", form=form), 401
    auth.forget_login_failures(username)
    session.clear()
    login_user(user, remember=form.remember.data)
    return redirect(safe_next(form.next.data))


@bp.post("/logout")
def logout():
    form = FlaskForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash(_("You are logged out."), "info")
    return redirect(url_for("kb.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """A wrong current password counts as a failed login, so this form cannot be used to guess it."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return _password_page(form, 400 if form.errors else 200)
    wait = auth.login_blocked_for(current_user.username, request.remote_addr)
    if wait:
        form.current_password.errors.append(_("Too many failed attempts. Try again in %(n)s minutes.", n=wait))
        return _password_page(form, 429)
    if not auth.password_matches(current_user, form.current_password.data):
        auth.record_login_failure(current_user.username, request.remote_addr)
        form.current_password.errors.append(_("The current password is wrong."))
        return _password_page(form, 400)
    on_refusal(lambda refusal: _password_page(form, 400, refusal))
    people.change_own_password(current_user, form.current_password.data, form.new_password.data)
    auth.forget_login_failures(current_user.username)
    keep_remembered = bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")))
    login_user(current_user._get_current_object(), remember=keep_remembered)  # this browser stays in
    flash(_("Your password is changed; you were logged out everywhere else."), "success")
    return redirect(url_for("kb.home"))


def _password_page(form: PasswordForm, status: int, refusal=None):
    if refusal:
        show_refusal(form, refusal)
    return render_template("accounts/password.html", form=form, min_length=people.MIN_PASSWORD_LENGTH), status


@bp.post("/language")
def choose_language():
    form = LanguageForm()
    form.language.choices = options(current_app.config["LANGUAGES"].items())
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            current_user.locale = form.language.data
            db.session.flush()
    return redirect(safe_next(form.next.data or request.referrer and urlsplit(request.referrer).path))


def pick_locale() -> str:
    """The user's choice, then this browser session's, then the browser's languages."""
    languages = list(current_app.config["LANGUAGES"])
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = getattr(current_user, "locale", None) or session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def language_choice() -> dict:
    """Every page's language switcher, posted to choose_language (which checks it with LanguageForm). Plain
    values for base.html, not a LanguageForm: building and rendering a WTForms form on every page cost about
    1.3 ms (a quarter of a search page's own time), and it never reads the request's own form, so an error page
    for a POST, a 413 included, renders without reading the refused body again."""
    locale = str(get_locale())
    return {"languages": current_app.config["LANGUAGES"], "language_next": request.full_path.rstrip("?"),
            "locale": locale}
