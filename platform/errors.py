"""Every error as application/problem+json (RFC 9457); an HTML page for people in a browser.

PostgreSQL unreachable is not a bug but an outage: 503 with Retry-After (problem+json for programs,
a short page in both languages for people, rendered without touching the database), logged once a
minute rather than once a request. The pool pings connections before use, so the first request after
the database is back succeeds without a restart.
"""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, g, jsonify, render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound, ServiceUnavailable

from .dependencies import OnceAMinute

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
DATABASE_RETRY_AFTER = 5


class DatabaseUnavailable(Exception):
    """Raised where the database was found away before any query of the view (e.g. the session store)."""


DATABASE_DOWN = (DatabaseUnavailable, sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                 sa_exc.DisconnectionError, psycopg.OperationalError, psycopg.InterfaceError)
_database_report = OnceAMinute(log)


def _detail(error: HTTPException) -> str:
    data = getattr(error, "data", None) or {}
    if data.get("message"):
        return str(data["message"])
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        return f"{request.method} is not allowed on {request.path}; use one of: {allowed}."
    if isinstance(error, NotFound) and error.description == NotFound.description:
        return f"There is nothing at {request.path}. Check the address; the API is described at /api/v1/docs."
    return error.description or error.name


def _field_errors(messages, prefix: str = "") -> list[dict[str, str]]:
    """Flatten webargs/marshmallow messages ({'query': {'kind': ['…']}}) into [{field, message}]."""
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            found.extend(_field_errors(value, name))
        return found
    if isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix, "message": message} for message in messages]
    if isinstance(messages, (list, tuple)):
        return [found for item in messages for found in _field_errors(item, prefix)]
    return [{"field": prefix, "message": str(messages)}]


def problem(error: HTTPException):
    """The problem+json response for an HTTP error, with its headers (Allow on 405)."""
    body = {
        "type": "about:blank",
        "title": error.name,
        "status": error.code,
        "detail": _detail(error),
        "instance": request.path,
    }
    if getattr(g, "request_id", None):
        body["request_id"] = g.request_id
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if messages:
        body["errors"] = _field_errors(messages)
        fields = ", ".join(sorted({e["field"] for e in body["errors"]}))
        body["detail"] = data.get("message") or f"Some input is not valid: {fields}. See `errors` for what to change."
    response = jsonify(body)
    response.status_code = error.code
    response.mimetype = PROBLEM_JSON
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    response.headers.update(data.get("headers") or {})
    return response


def wants_html() -> bool:
    if request.path.startswith("/api/") or request.path.startswith("/oauth/"):
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_JSON])
    return best == "text/html"


def handle_http_exception(error: HTTPException):
    """problem+json for programs; for people the page of its status, with `page_detail` if the raiser set one
    (a sentence already in the reader's language: the API's English detail is never shown on a page)."""
    if error.code is None or error.code < 400:
        return error
    if wants_html():
        page = render_template("error.html", error=error, detail=getattr(error, "page_detail", None)), error.code
        return page[0], error.code, [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return problem(error)


def database_unavailable(error: Exception):
    _database_report.warning("database unreachable; answering 503", error=f"{type(error).__name__}: {error}"[:500])
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
    if wants_html():
        return render_template("unavailable.html", retry_after=DATABASE_RETRY_AFTER), 503, headers
    response = problem(ServiceUnavailable("The database is unreachable for the moment; retry in a few seconds "
                                          "(see Retry-After). Nothing of this request was saved."))
    response.headers.update(headers)
    return response


def handle_unexpected(error: Exception):
    log.exception("unhandled error")
    return handle_http_exception(InternalServerError(
        "Something went wrong on our side. It has been logged; quote the request id when you report it."))


def init_errors(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    for kind in DATABASE_DOWN:
        app.register_error_handler(kind, database_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
