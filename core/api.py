"""The JSON API's front door: who may call (a permission, the CSRF header for session writes), the
request's JSON, and errors as JSON.

A tool (a ticketing system's side panel, a KPI feed) calls with `Authorization: Bearer <token>`
(accounts.tokens turns the token into its user); a page's own script calls with the session cookie,
and then a write must carry the CSRF token in the `X-CSRFToken` header, as a form would.
"""
from functools import wraps

from flask import Blueprint, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import HTTPException


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_error(status: int, reason: str):
    response = jsonify({"error": {"status": status, "reason": reason}})
    response.status_code = status
    return response


def http_error(error: HTTPException):
    """An HTTP error (a URL no route matches, a method the route does not take...) as JSON, with the headers
    the error carries (`Allow` on a 405, which the client needs to know what it may send)."""
    response = api_error(error.code or 500, error.description or error.name)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def api_require(permission: str = "read", *, anonymous_ok: bool = False):
    """Decorator for API views: a caller holding `permission` (by token or session), else JSON 401/403.

    A write through the session cookie needs the CSRF token in the X-CSRFToken header; a write with a
    bearer token does not (a browser never adds that header on its own, so it cannot be forged)."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if bearer_token() and not current_user.is_authenticated:
                return api_error(401, "The API token is not valid (revoked, mistyped or its user is inactive).")
            if not current_user.is_authenticated and not anonymous_ok:
                return api_error(401, "Log in, or send a personal API token as 'Authorization: Bearer <token>'.")
            if current_user.is_authenticated and not current_user.can(permission):
                return api_error(403, "Your roles do not allow this.")
            if request.method not in ("GET", "HEAD", "OPTIONS") and not bearer_token():
                try:
                    validate_csrf(request.headers.get("X-CSRFToken", ""))
                except Exception:  # flask_wtf raises ValidationError with its own reason
                    return api_error(400, "The CSRF token is missing or expired: send it as the X-CSRFToken header.")
            return view(*args, **kwargs)
        return guarded
    return decorate


def register_json_errors(blueprint: Blueprint) -> None:
    """Every error inside `blueprint` answers JSON with a reason, never an HTML page."""
    blueprint.register_error_handler(HTTPException, http_error)

    @blueprint.errorhandler(CSRFError)
    def json_csrf_error(error: CSRFError):
        return api_error(400, error.description)


def json_body():
    """The request's JSON, or None when there is none (or it is not JSON, or is nested deeper than
    Python's parser goes: `[` * 100,000 raised RecursionError, a 500)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None
