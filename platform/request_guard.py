"""What a request must be before any view sees it: a head of sane size, a body within its size, and JSON
that PostgreSQL can store.

One `before_request` hook refuses, for every route:
- a request line longer than MAX_REQUEST_LINE (414), more than MAX_HEADER_FIELDS header fields or one
  longer than MAX_HEADER_FIELD (431). gunicorn's own limits are set above these (gunicorn_conf.py), so
  the app sees such requests and answers them like every other error, problem+json under /api/;
- a body larger than its limit (413): JSON bodies MAX_JSON_BYTES, anything else MAX_CONTENT_LENGTH
  (uploads); also a chunked body, whose size is known only once it has been read;
- JSON nested deeper than MAX_JSON_DEPTH (422): nothing the API takes is nested beyond a few levels,
  and a deep document would exhaust Python's recursion in the parser or the schema;
- a JSON string (value or key) holding a lone surrogate (`"\\ud800"`, which no UTF-8 text can carry)
  or a NUL (which PostgreSQL's text cannot hold) (422, naming the field).
Text a person can really type (RTL marks, emoji, any script) passes untouched.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from .refusals import N_, Invalid, Refusal

MAX_CONTENT_LENGTH = 25 * 1024 * 1024  # an upload of at most 20 MB evidence, with its multipart framing
MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_REQUEST_LINE = 4094  # gunicorn's default limits, which it answered with HTML pages of its own
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD = 8190
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _refusal(status: int, template: str, **params) -> Refusal:
    """A refusal of a status no service raises (413, 414, 431): the guard's own."""
    refusal = Refusal(template, **params)
    refusal.status = status
    return refusal


def check_head() -> None:
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
    if len(request.method) + len(target) + len(environ.get("SERVER_PROTOCOL", "")) + 2 > MAX_REQUEST_LINE:
        raise _refusal(414, N_("The request line is longer than %(limit)s bytes; send long input in the body."),
                       limit=MAX_REQUEST_LINE)
    headers = request.headers
    if len(headers) > MAX_HEADER_FIELDS:
        raise _refusal(431, N_("The request has more than %(limit)s header fields."), limit=MAX_HEADER_FIELDS)
    if any(len(name) + len(value) + 2 > MAX_HEADER_FIELD for name, value in headers.items()):
        raise _refusal(431, N_("A header field of the request is longer than %(limit)s bytes."), limit=MAX_HEADER_FIELD)


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _strings(document: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string of a parsed JSON document (keys too) with where it stands, without recursion."""
    pending = [(path, document)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield (*where, key), key
                pending.append(((*where, key), item))
        elif isinstance(value, list):
            pending.extend(((*where, str(index)), item) for index, item in enumerate(value))


def storable_problem(text: str) -> str | None:
    """Why PostgreSQL could not store this text, or None."""
    if "\x00" in text:
        return N_("This text contains a NUL character; remove it.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return N_("This text contains an invalid character (a lone UTF-16 surrogate); send valid Unicode text.")
    return None


def check_json(raw: bytes) -> None:
    """Refuse a JSON body PostgreSQL could not store or the parser should not be made to recurse through."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # not UTF-8: the JSON parser answers 400 "Invalid JSON body"
    if json_depth(text) > MAX_JSON_DEPTH:
        raise Invalid(N_("The JSON body nests deeper than %(depth)s levels; no request of this API needs that."),
                      depth=MAX_JSON_DEPTH)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return  # malformed: the JSON parser answers 400 "Invalid JSON body"
    for where, value in _strings(document):
        problem = storable_problem(value)
        if problem is not None:
            raise Invalid(problem, ".".join(where) or "body")


def guard_request() -> None:
    """The before_request hook (see the module); multipart and form bodies are left to Werkzeug, which
    streams them within MAX_CONTENT_LENGTH and answers 413 beyond it."""
    check_head()
    if not request.is_json:
        return
    request.max_content_length = MAX_JSON_BYTES  # also bounds a chunked body as it is read
    try:
        raw = request.get_data(cache=True)
        # A chunked body is cut off at the limit without a word; only a read beyond it says it was longer.
        if len(raw) >= MAX_JSON_BYTES and request.stream.read(1):
            raise RequestEntityTooLarge()
    except RequestEntityTooLarge:
        raise _too_large(MAX_JSON_BYTES) from None
    check_json(raw)


def _too_large(limit: int) -> Refusal:
    return _refusal(413, N_("The request body is larger than %(size)s KB; send less at a time."), size=limit // 1024)


def init_request_guard(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.before_request(guard_request)
