"""One refusal type for every context: what the platform will not do, and what the person can change.

A service raises a `Refusal` (usually one of the subclasses below, which fix the HTTP status) and
nothing catches it on the way out of an API method: one handler answers it, as
application/problem+json under /api/ and /oauth/ and as a page in the reader's language elsewhere.
A page that would rather show the refusal on its form catches it and calls `form_error`.

The message is an English template with %(name)s parameters, marked with `N_` so that babel
extracts it into the catalogues: the API sends it filled in as it is (`english()`), pages show it
translated into the reader's language (`text()`), so one rule has one wording in both languages.
A parameter may itself be language-dependent (a lazy string, a `RoleNames`): it is rendered when
the message is, in English for `english()` and in the reader's language for `text()`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, render_template
from flask_babel import force_locale, gettext
from werkzeug.exceptions import HTTPException, default_exceptions


def N_(message: str) -> str:
    """Marks a message for extraction (babel's N_) without translating it here."""
    return message


class Refusal(Exception):
    """A request the platform refuses.

    template and params: the message (see the module); field: the input at fault (for a 422, reported
    under `location`); code: a stable name a client or page can branch on; extra: further members of
    the problem document (e.g. onboarding's `missing` list). A message parameter cannot be called
    template, field, code, location or extra: name it for what it is (`shift_code`, `agency_name`).
    """

    status = 422

    def __init__(self, template: str, field: str | None = None, *, code: str | None = None,
                 location: str = "json", extra: dict[str, Any] | None = None, **params: Any):
        self.template, self.field, self.params = template, field, params
        self.code, self.location, self.extra = code, location, dict(extra or {})
        super().__init__(self.english())

    def english(self) -> str:
        if not self.params:
            return self.template
        with force_locale("en"):
            return self.template % self.params

    def text(self) -> str:
        """The message in the language of the request being served."""
        return gettext(self.template, **self.params)

    def problem_members(self) -> dict[str, Any]:
        members = {"code": self.code} if self.code else {}
        return members | self.extra


class Invalid(Refusal):
    """422: the input is not acceptable; `field` names what to change."""

    status = 422


class Forbidden(Refusal):
    """403: the role may not do this (to this row, or now)."""

    status = 403


class NotFound(Refusal):
    """404: there is no such thing in the tenant (or the reader may not know of it)."""

    status = 404


class Conflict(Refusal):
    """409: it collides with what is there (a duplicate, an illegal transition, a changed plan)."""

    status = 409


class Stale(Refusal):
    """412: someone else changed it meanwhile."""

    status = 412


STALE = N_("Someone else changed this meanwhile; fetch it again and reapply your change.")
# The same, for a page that shows the other person's version in its place.
PAGE_STALE = N_("Someone else changed this meanwhile. The page now shows their version; make your change again.")


def form_error(form, refusal: Refusal, default_field: str | None = None) -> None:
    """Put the refusal, in the reader's language, on the form field it names (or `default_field`)."""
    field = getattr(form, refusal.field or "", None) or getattr(form, default_field or "", None)
    if field is None:
        form.form_errors.append(refusal.text())
        return
    field.errors = [*field.errors, refusal.text()]


def http_error_for(refusal: Refusal) -> HTTPException:
    """Werkzeug's exception of the refusal's status, carrying the English detail and the field at fault."""
    error = default_exceptions.get(refusal.status, HTTPException)()
    error.code = refusal.status
    error.data = {"message": refusal.english()}
    if refusal.status == 422 and refusal.field:
        error.data["errors"] = {refusal.location: {refusal.field: [refusal.english()]}}
    return error


def answer_refusal(refusal: Refusal):
    """The one answer to a refusal that left a view: a page for people, problem+json for programs."""
    from .errors import problem, wants_html

    error = http_error_for(refusal)
    if wants_html():
        return render_template("error.html", error=error, detail=refusal.text()), refusal.status
    response = problem(error)
    members = refusal.problem_members()
    if members:
        response.set_data(current_app.json.dumps(response.get_json() | members))
    return response


def init_refusals(app: Flask) -> None:
    app.register_error_handler(Refusal, answer_refusal)




class Day:
    """A date as a message parameter: "2 Des 2026" or "2 Dec 2026", in the language the message is rendered in."""

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        from flask import has_app_context
        from flask_babel import format_date

        return format_date(self.value, "d MMM yyyy") if has_app_context() else self.value.isoformat()
