"""Pages: my notifications (open one, mark read, mark all read), what I get by e-mail, and for admins the
messages that could not be delivered. Every change is a POST with a CSRF token."""
from flask import Blueprint, abort, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length

from accounts import people
from accounts.auth import require
from core.db import db
from core.errors import on_refusal
from core.forms import options, show_refusal, valid_or_400
from notify import inbox, sender
from notify.kinds import KINDS, text_of
from notify.mail import target_of
from notify.models import Notification

bp = Blueprint("notify", __name__, url_prefix="/notifications")

DELIVERY_LABELS = {"now": _l("E-mail at once"), "digest": _l("In the daily summary"), "off": _l("No e-mail")}


def header_count() -> dict:
    """The unread count the header shows to a logged-in person."""
    if has_request_context() and current_user.is_authenticated:
        return {"unread_notifications": inbox.unread_count(current_user)}
    return {"unread_notifications": 0}


@bp.get("")
@require("read")
def inbox_page():
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    rows, older = inbox.latest(current_user, page)
    shown = [{"n": n, "text": text_of(n.kind, n.params or {})} for n in rows]
    undelivered = sender.failed_count() if current_user.can("manage_users") else 0
    return render_template("notify/inbox.html", rows=shown, page=page, older=older, form=FlaskForm(),
                           undelivered=undelivered)


def _read(notification_id: int) -> Notification:
    valid_or_400(FlaskForm())
    found = inbox.mine(current_user, notification_id)
    inbox.mark_read(found)
    return found


@bp.post("/<int:notification_id>/open")
@require("read")
def open_one(notification_id: int):
    """Mark it read and go to the page that deals with it."""
    return redirect(target_of(_read(notification_id)) or url_for("notify.inbox_page"), 303)


@bp.post("/<int:notification_id>/read")
@require("read")
def mark_read(notification_id: int):
    _read(notification_id)
    return redirect(url_for("notify.inbox_page"), 303)


@bp.post("/read")
@require("read")
def mark_all_read():
    valid_or_400(FlaskForm())
    count = inbox.mark_all_read(current_user)
    flash(_("Notifications marked read: %(n)s.", n=count), "success")
    return redirect(url_for("notify.inbox_page"), 303)


def _preference_form(chosen: dict[str, str], email: str | None):
    class PreferenceForm(FlaskForm):
        pass
    choices = options(DELIVERY_LABELS.items())
    for name, kind in KINDS.items():
        setattr(PreferenceForm, name, SelectField(kind.label, choices=choices, default=chosen[name]))
    PreferenceForm.email = StringField(_l("E-mail address"), default=email or "",
                                       render_kw={"type": "email", "autocomplete": "email"},
                                       validators=[Length(max=people.MAX_EMAIL)])
    return PreferenceForm()


@bp.route("/settings", methods=["GET", "POST"])
@require("read")
def preferences():
    form = _preference_form(inbox.preferences(current_user), current_user.email)
    if form.validate_on_submit():
        on_refusal(lambda refusal: _preference_page(form, refusal))
        people.set_email(current_user, form.email.data, current_user)
        inbox.save_preferences(current_user, {name: form[name].data for name in KINDS})
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notify.preferences"), 303)
    return _preference_page(form)


def _preference_page(form, refusal=None):
    if refusal:
        show_refusal(form, refusal)
    return render_template("notify/preferences.html", form=form, kinds=KINDS), 400 if form.errors else 200


@bp.get("/undelivered")
@require("manage_users")
def undelivered():
    rows = [{"n": n, "text": text_of(n.kind, n.params or {})} for n in sender.failed()]
    return render_template("notify/undelivered.html", rows=rows, form=FlaskForm())


@bp.post("/<int:notification_id>/send-again")
@require("manage_users")
def send_again(notification_id: int):
    found = db.session.get(Notification, notification_id) or abort(404)
    valid_or_400(FlaskForm())
    sender.send_again(found)
    flash(_("The message will be sent again at the next run."), "success")
    return redirect(url_for("notify.undelivered"), 303)
