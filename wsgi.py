"""Servicebook: `create_app()` for tests and commands, `app` for gunicorn and `flask --app wsgi`."""
from flask import Flask, abort, render_template, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from core import config as settings_source
from accounts.auth import login_manager
from core.db import db

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


def create_app(config: dict | None = None) -> Flask:
    """A configured app; `config` overrides the defaults, the environment and the instance file."""
    import demo
    from core import api, cli
    from accounts import views as auth_views, people_views
    from kb import api as kb_api
    from kb import cli as kb_cli
    from kb.search import cli as search_cli, views as search_views
    from kb.search import index as search_index
    from kb.feedback import view_counts
    from kb import views as kb_views
    from kb.feedback import views as feedback_views
    from onboarding import views as onboarding_views
    from onboarding import check_views
    from improvement import api as improvement_api
    from improvement import cli as improvement_cli
    from improvement import views as improvement_views
    from improvement import work_views as improvement_work_views

    app = Flask(__name__, instance_relative_config=False)
    app.config.update(settings_source.load(config))
    app.url_map.converters["int"] = RowId
    _register_pages(app)  # first, so its after_request (security headers) runs last, on every answer
    db.init_app(app)
    search_index.listen(db.session.session_factory)
    view_counts.init_app(app)
    login_manager.init_app(app)
    login_manager.request_loader(api.load_user_from_request)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=auth_views.pick_locale)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(people_views.bp)
    app.register_blueprint(kb_views.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(kb_api.bp)
    app.register_blueprint(feedback_views.bp)
    app.register_blueprint(onboarding_views.bp)
    app.register_blueprint(check_views.bp)
    csrf.exempt(kb_api.bp)  # core.api checks the CSRF header itself for session-authenticated writes
    app.register_blueprint(improvement_views.bp)
    app.register_blueprint(improvement_work_views.bp)
    app.register_blueprint(improvement_api.bp)
    csrf.exempt(improvement_api.bp)  # core.api checks the CSRF header itself for session-authenticated writes
    cli.register(app, demo_loader=demo.load, after_restore=search_index.rebuilt_message)
    app.cli.add_command(kb_cli.group)
    app.cli.add_command(improvement_cli.group)
    app.cli.add_command(search_cli.group)
    return app


def _register_pages(app: Flask) -> None:
    from flask_babel import get_locale
    from flask_babel import gettext as _

    from core import api
    from accounts.views import LanguageForm
    from core.forms import options

    @app.context_processor
    def page_globals():
        # formdata=None: never filled from (or made to parse) the request's own form, so an error
        # page for a POST, a 413 included, renders without reading the refused body again
        form = LanguageForm(formdata=None, next=request.full_path.rstrip("?"))
        form.language.choices = options(app.config["LANGUAGES"].items())
        form.language.data = str(get_locale())
        return {"language_form": form, "locale": str(get_locale())}

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

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/api/"):  # a URL no API route matched (a negative id, a typo): still JSON
            return api.api_error(error.code or 500, error.description or error.name)
        own_words = error.description if error.description != type(error).description else None
        return render_template("error.html", code=error.code, reason=error.name,
                               description=own_words), error.code


def _warm_up(app: Flask) -> None:
    """Load jieba's dictionary and open the search index as the worker starts, not on a user's first search."""
    from kb.search import index as search_index, text as search_text
    search_text.jieba()
    with app.app_context():
        try:
            search_index.search_index().searcher()
        except Exception:  # a missing or broken index must not stop the site; searches will say so
            app.logger.exception("the search index could not be opened")


def before_forking(app: Flask) -> None:
    """In a preloading gunicorn master: keep jieba (shared by the workers, copy-on-write) but no open
    index files or database connections, which each worker must have of its own."""
    from kb.search import index as search_index
    with app.app_context():
        search_index.search_index().close()
    db.engine.dispose()


def after_forking(app: Flask) -> None:
    """In each gunicorn worker: its own search index handles, opened before the first search."""
    _warm_up(app)


def before_exiting(app: Flask) -> None:
    """A worker leaving writes the article views it still holds."""
    from kb.feedback import view_counts
    with app.app_context():
        view_counts.write_held()


def __getattr__(name: str):
    """`wsgi.app` is made on first use, so importing this module for `create_app` has no side effect."""
    if name == "app":
        globals()["app"] = create_app()
        _warm_up(globals()["app"])
        return globals()["app"]
    raise AttributeError(name)
