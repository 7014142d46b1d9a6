"""The e-mail for one notification or for one person's daily digest: plain text and HTML, in the recipient's
language, with a link to the page that deals with it and one to the preference page. A message's Message-ID
comes from the notifications it carries, so a message sent again after a refusal keeps its id."""
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from notify.kinds import KINDS, text_of
from notify.models import Notification


def site_link(endpoint: str, **values) -> str:
    """An absolute address on the site (SITE_URL), without a request: mail is sent by a command."""
    base = current_app.config["SITE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def target_of(notification: Notification, external: bool = False) -> str:
    kind = KINDS.get(notification.kind)
    if kind is None:
        return site_link("notify.inbox_page") if external else ""
    try:
        values = kind.link_args(notification.params or {})
    except KeyError:
        values, endpoint = {}, "notify.inbox_page"
    else:
        endpoint = kind.endpoint
    if external:
        return site_link(endpoint, **values)
    from flask import url_for
    return url_for(endpoint, **values)


def message_id(notifications: list[Notification]) -> str:
    ids = [n.id for n in notifications]
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    domain = sender.rpartition("@")[2] or "servicebook.invalid"
    label = f"n{ids[0]}" if len(ids) == 1 else f"d{min(ids)}-{max(ids)}-{len(ids)}"
    return f"<servicebook.{label}.u{notifications[0].user_id}@{domain}>"


def _render(name: str, page: dict) -> str:
    """A template alone: no request, so none of the site's context processors (header, forms)."""
    return current_app.jinja_env.get_template(name).render(page)


def compose(notifications: list[Notification], digest: bool) -> EmailMessage:
    """One message to the notifications' person: a single one, or a digest grouped by kind."""
    person = notifications[0].user
    locale = person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        groups: dict[str, list[dict]] = {}
        for n in notifications:
            groups.setdefault(n.kind, []).append({"text": text_of(n.kind, n.params or {}),
                                                  "link": target_of(n, external=True)})
        sections = [{"title": str(KINDS[k].label) if k in KINDS else k, "items": items}
                    for k, items in groups.items()]
        if digest:
            subject = _("Servicebook: your daily summary (%(n)s)", n=len(notifications))
        else:
            first = sections[0]["items"][0]["text"]
            first = " ".join(first.split())  # one line, whatever a title holds
            subject = "Servicebook: " + (first if len(first) <= 150 else first[:149] + "…")
        page = {"person": person.name, "sections": sections, "digest": digest,
                "preferences": site_link("notify.preferences"), "lang": locale}
        text = _render("notify/mail.txt", page)
        html = _render("notify/mail.html", page)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = person.email
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(notifications)
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{page['preferences']}>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = "zh-Hans" if locale == "zh" else locale  # after the parts: set_content drops it
    return message
