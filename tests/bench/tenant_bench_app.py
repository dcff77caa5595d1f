"""The app of the tenant API benchmark: the platform's app (create_app) plus one bench-only bare route.

    GET /api/v1/tenants/{tenant}        the real route: JWT verification, tenant check, RLS context
    GET /api/v1/bench-bare/{tenant}     the same query (Tenant by slug, its region joined), the same
                                        TenantSchema dump and the same ETag (flask-smorest's @etag and
                                        @response, set_etag of id and version), but no token verification,
                                        no tenant check, and a session from a plain sessionmaker on the same
                                        engine: no tenant-context hook, so no set_config round trip.

Both go through the same app, the same before/after-request hooks (request id, CSRF check, rate
limiter, sessions, request log) and the same connection pool. Bench only: never registered by the
platform itself. gunicorn app spec: `tenant_bench_app:create_app()` with `--chdir tests/bench`.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, g
from flask.views import MethodView
from flask_smorest import abort
from siaga112.platform.api import ApiBlueprint
from siaga112.platform.app import create_app as create_platform_app
from siaga112.platform.db import app_database
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.schemas import TenantSchema
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

REAL_PATH = "/api/v1/tenants/{slug}"
BARE_PATH = "/api/v1/bench-bare/{slug}"
_SESSION = "bench_bare_session"


def create_app(env: Mapping[str, str] | None = None) -> Flask:
    app = create_platform_app(env)
    # Same engine (and pool) as the platform's sessions, but without enforce_context's after_begin hook.
    plain_sessions = sessionmaker(app_database(app).engine, expire_on_commit=False)
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    blp = ApiBlueprint("bench_bare", __name__, url_prefix="/api/v1/bench-bare",
                       description="Bench only: GET tenant without the access layers.")

    def bare_session() -> Session:
        if _SESSION not in g:
            setattr(g, _SESSION, plain_sessions())
        return getattr(g, _SESSION)

    @blp.route("/<tenant>")
    class BareTenant(MethodView):
        @blp.etag
        @blp.response(200, TenantSchema)
        def get(self, tenant):
            found = bare_session().scalar(select(Tenant).where(Tenant.slug == tenant))
            if found is None:
                abort(404, message=f"There is no tenant {tenant!r}.")
            blp.set_etag({"id": str(found.id), "version": found.version})
            return found

    api.register_blueprint(blp)

    @app.teardown_appcontext
    def close_bare_session(_error):
        session = g.pop(_SESSION, None)
        if session is not None:
            session.close()

    return app
