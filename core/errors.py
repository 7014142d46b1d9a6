"""One vocabulary for "no": a domain rule refuses by raising a `Refusal` that carries its HTTP status and
its reasons in the user's words, and nothing is written. One handler turns it into an answer:

- a view that has its own way to show the reasons (the form again, with them beside the fields) says so
  with `on_refusal(page, *kinds)` before it calls the domain; the handler calls `page(refusal)`;
- otherwise under /api/: JSON `{"error": {"status": ..., "reason": ...}}`;
- any other page: the error page with the status and the reasons.

Views therefore have no try/except ladders; the database session is rolled back before the answer."""
from collections.abc import Callable

from flask import Flask, g, render_template, request
from werkzeug.http import HTTP_STATUS_CODES

from core import api
from core.db import db


class Refusal(Exception):
    """The change was not made; `problems` says why (each a sentence), `field` the form field it is about."""
    status = 400

    def __init__(self, *problems, field: str | None = None):
        super().__init__(" ".join(str(p) for p in problems))
        self.problems = [str(p) for p in problems]
        self.field = field

    @property
    def message(self) -> str:
        return str(self)


class Invalid(Refusal):
    """What was sent breaks a rule (400)."""
    status = 400


class NotAllowed(Refusal):
    """The user's roles or ownership do not allow it (403)."""
    status = 403


class NotFound(Refusal):
    """What it is about does not exist, or this user may not see it (404)."""
    status = 404


class Conflict(Refusal):
    """Someone else changed it first, or it is in a state that does not allow this (409)."""
    status = 409


def refuse_if(problems: list) -> None:
    """Every problem at once, as one `Invalid`; nothing when the list is empty."""
    if problems:
        raise Invalid(*problems)


def on_refusal(page: Callable[[Refusal], object], *kinds: type[Refusal]) -> None:
    """This request shows a refusal (of `kinds`, or any) with `page(refusal)` instead of the error page."""
    g.setdefault("refusal_pages", []).append((kinds or (Refusal,), page))


def answer(refusal: Refusal):
    db.session.rollback()
    for kinds, page in reversed(g.get("refusal_pages", [])):  # the latest first: a narrower kind goes last
        if isinstance(refusal, kinds):
            return page(refusal)
    if request.path.startswith("/api/"):
        return api.api_error(refusal.status, refusal.message)
    return render_template("error.html", code=refusal.status, reason=HTTP_STATUS_CODES.get(refusal.status),
                           description=refusal.message), refusal.status


def init_app(app: Flask) -> None:
    app.register_error_handler(Refusal, answer)
