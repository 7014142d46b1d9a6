"""Servicebook: `create_app()` for tests and commands, `app` for gunicorn and `flask --app wsgi`."""
from flask import Flask

import accounts
import core
import demo
import improvement
import kb
import notify
import onboarding
from core import config as settings_source
from core.db import db

# Each package wires itself (blueprints, commands, listeners, template globals, hooks), in this order:
# a package's hooks are filled by the packages after it.
PACKAGES = (core, accounts, kb, onboarding, improvement, notify, demo)


def create_app(config: dict | None = None) -> Flask:
    """A configured app; `config` overrides the defaults, the environment and the instance file."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(settings_source.load(config))
    for package in PACKAGES:
        package.init_app(app)
    return app


def _warm_up(app: Flask) -> None:
    """Load jieba's dictionary and open the search index as the worker starts, not on a user's first search."""
    from kb.search import index as search_index
    from kb.search import text as search_text
    search_text.jieba()
    search_text.normalise("繁體")  # and OpenCC's dictionaries
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
    """In each gunicorn worker: its own search index handles, opened before the first search, and the thread
    that keeps the host's index in step with the other hosts' changes (one worker of the host follows)."""
    from kb.search import follow
    _warm_up(app)
    follow.start(app)


def before_exiting(app: Flask) -> None:
    """A worker leaving writes what its batches still hold (article views, the search log) and lets its mail
    sender finish."""
    from core import batch
    from notify import sender
    batch.write_all(app)
    sender.wait_for_background(10)


def __getattr__(name: str):
    """`wsgi.app` is made on first use, so importing this module for `create_app` has no side effect."""
    if name == "app":
        try:
            globals()["app"] = create_app()
        except settings_source.ConfigurationError as missing:  # a clear message at start, not a traceback
            raise SystemExit(f"Servicebook cannot start: {missing}") from None
        _warm_up(globals()["app"])
        return globals()["app"]
    raise AttributeError(name)
