"""The API base: flask-smorest at /api/v1 with problem+json errors, SQL pagination, and the resource helpers.

A context's api.py is mostly declarations: `blp.operation(...)` states who may call a method, what it
takes and answers and which refusals it documents; the body calls the service. Refusals raised by the
service are answered by platform.refusals; the request's work is committed once by the unit of work
(platform.db); rows with a `version` column get their ETag and If-Match check from `blp.versioned`
and `blp.check_version`.
"""

from __future__ import annotations

import http
from typing import Any, Callable, Mapping

from flask import Flask, request
from flask_smorest import Api, Blueprint, Page
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields
from sqlalchemy import func, select
from sqlalchemy.sql import Select

from .db import request_session
from .errors import PROBLEM_JSON, handle_http_exception
from .refusals import STALE, Stale

API_PREFIX = "/api/v1"


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(metadata={"description": "A URI identifying the kind of problem; about:blank when only the status says it"})
    title = fields.String(metadata={"description": "Short summary of the status"})
    status = fields.Integer(metadata={"description": "HTTP status"})
    detail = fields.String(metadata={"description": "What went wrong and what to do about it"})
    instance = fields.String(metadata={"description": "The path of the request"})
    request_id = fields.String(metadata={"description": "Quote this when reporting a problem"})
    code = fields.String(metadata={"description": "For a refusal: a stable name of its reason, to branch on"})
    errors = fields.List(fields.Dict(), metadata={"description": "For invalid input: [{field, message}]"})


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return handle_http_exception(error)

    def _register_responses(self):
        # flask-smorest documents errors as application/json; ours are problem+json.
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


class SelectPage(Page):
    """Paginates a SQLAlchemy select in the request's session: counts it, then fetches one page."""

    collection: Select

    @property
    def items(self):
        if self.page_params.first_item >= self.page_params.item_count:
            return []  # also keeps absurd page numbers from overflowing PostgreSQL's OFFSET
        page = self.collection.offset(self.page_params.first_item).limit(self.page_params.page_size)
        return request_session().scalars(page).all()

    @property
    def item_count(self):
        counting = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return request_session().scalar(counting)


PAGINATION_METADATA = {
    "type": "object",
    "properties": {name: {"type": "integer"} for name in
                   ("total", "total_pages", "first_page", "last_page", "page", "previous_page", "next_page")},
}


def version_etag(row) -> dict[str, Any]:
    """The ETag data of a row with an `id` and a `version` column (bumped on every change)."""
    return {"id": str(row.id), "version": row.version}


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint with the platform's resource helpers.

    It also documents X-Pagination as the JSON it is: flask-smorest documents it with a bare object
    schema, which OpenAPI reads as a comma-separated header; clients and schemathesis then misparse it.
    """

    def operation(self, roles: tuple[str, ...], response=None, status: int = 200, *, query=None, body=None,
                  files=None, as_kwargs: bool = False, etag: bool = False, page: Mapping[str, Any] | None = None,
                  refusals: Mapping[int, str | Mapping[str, Any]] | None = None, **response_options) -> Callable:
        """One API method in one declaration: the roles that may call it, its arguments (`query`, `body`,
        `files` schemas, passed in that order), its answer (`response` schema and `status`), whether it
        carries an ETag, its pagination (`page`: paginate's arguments, `pager` for a Page class) and the
        refusals it documents (status -> description, or alt_response's arguments)."""
        from .identity.access import roles_allowed  # the access layer imports this module

        arguments = [(schema, location) for schema, location in ((query, "query"), (body, "json"), (files, "files"))
                     if schema is not None]

        def decorate(view: Callable) -> Callable:
            if page is not None:
                options = dict(page)
                view = self.paginate(options.pop("pager", None), **options)(view)
            for code, refusal in reversed(list((refusals or {}).items())):
                options = {"description": refusal} if isinstance(refusal, str) else dict(refusal)
                view = self.alt_response(code, **options)(view)
            view = self.response(status, response, **response_options)(view)
            for schema, location in reversed(arguments):
                view = self.arguments(schema, location=location, as_kwargs=as_kwargs)(view)
            if etag:
                view = self.etag(view)
            return roles_allowed(*roles)(view)

        return decorate

    def versioned(self, row):
        """`row`, with its ETag set on the answer."""
        self.set_etag(version_etag(row))
        return row

    def check_version(self, row):
        """`row`, once the request's If-Match names its current version (428 without one, 412 if stale)."""
        self.check_etag(version_etag(row))
        return row

    def if_match_given(self, etag_data) -> bool:
        """For a POST, where If-Match is optional: False without one, True when it names `etag_data`,
        and a Stale refusal (412) when it names something else."""
        if not request.if_match:
            return False
        if not request.if_match.contains(self._generate_etag(etag_data)):
            raise Stale(STALE, code="stale")
        return True

    def _document_pagination_metadata(self, spec, resp_doc):
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Pagination metadata (JSON)",
            "content": {"application/json": {"schema": PAGINATION_METADATA}},
        }


def init_api(app: Flask) -> ProblemApi:
    app.config.update(
        API_TITLE="Siaga112",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
    )
    api = ProblemApi(app, spec_kwargs={
        "info": {"description": "Siaga112: the hosted platform of Indonesia's regional 112 call centres. "
                                "Errors are application/problem+json (RFC 9457)."},
    })
    return api
