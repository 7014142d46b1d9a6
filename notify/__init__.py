"""Notifications: who is told of what (events from kb, onboarding and the improvement register, and
reminders from the calendar), the in-site inbox, preferences, and e-mail by SMTP from an outbox, one message
at a time or as a daily digest. Sits above kb, onboarding and improvement, which know nothing of it."""
import os

from flask import Flask


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def settings(environ=os.environ) -> dict:
    """The mail settings from the environment (the instance file and create_app's overrides win)."""
    return {
        "MAIL_SERVER": environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(environ.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": _flag(environ.get("MAIL_USE_TLS", "")),
        "MAIL_USERNAME": environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": environ.get("MAIL_DEFAULT_SENDER") or "Servicebook <servicebook@localhost>",
        "SITE_URL": environ.get("SITE_URL") or "http://127.0.0.1:5000",
        "NOTIFY_DIGEST_HOUR": int(environ.get("NOTIFY_DIGEST_HOUR") or 7),  # UTC
        "NOTIFY_SEND_AFTER_COMMIT": True,
        "NOTIFY_RETRY_SECONDS": 60,
        "NOTIFY_MAX_ATTEMPTS": 8,
        "NOTIFY_CLAIM_SECONDS": 600,
        "NOTIFY_SMTP_TIMEOUT": 10,
    }


def init_app(app: Flask) -> None:
    from notify import cli, events, views
    for name, value in settings().items():
        app.config.setdefault(name, value)
    events.init_app(app)
    app.register_blueprint(views.bp)
    app.context_processor(views.header_count)
    app.cli.add_command(cli.group)
