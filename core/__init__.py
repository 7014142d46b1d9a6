"""Plumbing only: the database and one commit per request, configuration, the audit trail, Markdown,
errors and refusals, JSON API helpers, hooks between packages, shared commands. Uses nothing of ours."""
from flask import Flask


def init_app(app: Flask) -> None:
    from core import cli, clock, db, errors, hooks, openapi, web
    clock.today()  # a bad SERVICEBOOK_TODAY fails at start-up, with its name, not at the first page that asks
    web.init_app(app)  # first, so its after_request (security headers) runs last, on every answer
    db.db.init_app(app)
    errors.init_app(app)
    hooks.init_app(app)
    cli.init_app(app)
    openapi.init_app(app)
