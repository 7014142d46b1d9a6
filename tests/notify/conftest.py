import pytest

from accounts import people
from core.db import db


@pytest.fixture
def mail_app(app, mailbox):
    """The app mailing to the test's SMTP server; sending happens when the test calls it."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mailbox.port, NOTIFY_SEND_AFTER_COMMIT=False,
                      MAIL_DEFAULT_SENDER="Servicebook <servicebook@example.com>", SITE_URL="http://sb.example")
    return app


@pytest.fixture
def person(make_user):
    """A user with an address at example.com and a language (None: the site's default)."""
    def make(name: str, *roles: str, locale: str | None = None):
        user = make_user(name, *roles)
        people.set_email(user, f"{name}@example.com", None)
        user.locale = locale
        db.session.commit()
        return user
    return make
