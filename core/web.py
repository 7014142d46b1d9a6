"""What every page and answer shares: URL numbers that fit a column, security headers, no NUL characters,
CSRF protection, translations, and error pages (or JSON under /api/)."""
from flask import Flask, abort, g, render_template, request
from flask_babel import Babel, get_locale, get_translations
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from core import api

csrf = CSRFProtect()
babel = Babel()

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
                                "script-src 'self'; object-src 'none'; base-uri 'self'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class RowId(IntegerConverter):
    """`<int:...>` in our URLs: a number an INTEGER column can hold; a larger one does not match (404)
    instead of overflowing in the database driver (500)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


def translations():
    """The request's translations, looked up once per request and locale: Flask-Babel looks them up again
    for every string (about 25 µs each), and a page shows dozens of strings."""
    locale = get_locale()
    held = g.get("babel_translations_held")
    if held is None or held[0] is not locale:
        held = g.babel_translations_held = (locale, get_translations())
    return held[1]


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = RowId
    if app.config.get("TRUSTED_PROXIES"):  # nginx in front: the client's address and scheme from its headers
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    csrf.init_app(app)
    babel.init_app(app)  # accounts sets the locale selector (the user's choice, then the browser's)
    app.jinja_env.install_gettext_callables(  # as Flask-Babel's, with the translations looked up once
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)

    @app.before_request
    def refuse_nul_characters():
        """No form or link of ours sends a NUL, and PostgreSQL can neither store nor compare one."""
        if any("\x00" in value for values in (request.args, request.form) for _, value in values.items(multi=True)):
            abort(400, description=_("The request contains a NUL character; nothing was saved."))

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return render_template("error.html", code=400, reason="csrf", description=error.description), 400

    app.register_error_handler(HTTPException, http_error)


def http_error(error: HTTPException):
    """Every HTTP error the site answers: JSON under /api/, else the error page."""
    if request.path.startswith("/api/"):  # a URL no API route matched (a negative id, a typo): still JSON
        return api.http_error(error)
    own_words = error.description if error.description != type(error).description else None
    return render_template("error.html", code=error.code, reason=error.name, description=own_words), error.code
