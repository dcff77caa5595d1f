"""The app factory: the composition root that wires the kernel and every context together."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import siaga112.tenants
from werkzeug.middleware.proxy_fix import ProxyFix

from . import health
from .api import init_api
from .audit import api as audit_api
from .charts import init_charts
from .config import Settings
from .db import Database, UnitOfWorkFlask, database_urls, init_database
from .dependencies import redis_breaker
from .embedded import redis_url_of
from .errors import init_errors
from .headers import init_headers
from .identity import api as members_api
from .identity import views as identity_views
from .identity import views_invitations  # noqa: F401  (its routes are on identity_views.bp)
from .identity import views_admin, views_people
from .tenancy import views as tenancy_views
from .identity.in_force import init_in_force
from .identity.oauth import init_oauth
from .jobs.outbox import relay_after_commit
from .jobs.queues import redis_connection
from .logs import configure_logging, init_request_ids
from .push import init_push
from .refusals import init_refusals
from .regions import api as regions_api
from .regions import views as regions_views
from .request_guard import init_request_guard
from .secrets import stored_secret
from .security import init_security
from .tenancy import api as tenants_api
from .navigation import init_navigation
from .web import init_web

HERE = Path(__file__).parent


MODEL_MODULES = (
    "siaga112.platform.regions.models",
    "siaga112.platform.jobs.models",
    "siaga112.platform.tenancy.models",
    "siaga112.platform.identity.models",
    "siaga112.platform.identity.oauth_models",
    "siaga112.platform.audit.models",
    "siaga112.platform.mail",
    "siaga112.platform.sessions",
    "siaga112.tenants.directory.models",
    "siaga112.tenants.categories.models",
    "siaga112.tenants.roster.models",
    "siaga112.tenants.training.models",
    "siaga112.tenants.calls.models",
    "siaga112.tenants.dispatch.models",
    "siaga112.onboarding.models",
)


def import_models() -> None:
    """Register every table of the kernel and the contexts on Base.metadata (migrations and tests need all)."""
    import importlib

    for module in MODEL_MODULES:
        importlib.import_module(module)


def context_translation_folders() -> list[Path]:
    """Message catalogues the contexts keep beside their code (tenants/roster/translations …)."""
    import siaga112.onboarding
    import siaga112.tenants

    return [HERE / "regions" / "translations"] + sorted(folder for package in (siaga112.tenants, siaga112.onboarding)
                  for root in package.__path__ for folder in Path(root).rglob("translations") if folder.is_dir())


def context_cron_jobs() -> tuple:
    """The contexts' periodic jobs, (function, queue, seconds between runs), for `siaga112 cron`."""
    from siaga112.tenants.calls import jobs as calls_jobs
    from siaga112.tenants.dispatch import jobs as dispatch_jobs

    return calls_jobs.CRON + dispatch_jobs.CRON


def load_contexts() -> None:
    """Import every context's outbox event handlers (the worker needs them registered)."""
    import siaga112.onboarding  # noqa: F401
    import siaga112.tenants  # noqa: F401


def create_app(env: Mapping[str, str] | None = None) -> UnitOfWorkFlask:
    """Build the app from SIAGA_* variables (`env`, or the process environment)."""
    settings = Settings.from_env(env)
    configure_logging(settings.log_level)
    import_models()
    load_contexts()

    app = UnitOfWorkFlask("siaga112.platform", root_path=str(HERE), instance_path=str(settings.data_dir / "instance"),
                static_folder="static", template_folder="templates")
    redis_url = redis_url_of(settings)
    app.config.update(
        SECRET_KEY=stored_secret(settings.data_dir, "flask-secret-key", settings.secret_key),
        SIAGA_REDIS_URL=redis_url,
    )
    if settings.trusted_proxies:
        # Only behind a proxy that sets them: otherwise anyone could claim https or another client address.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["siaga112.settings"] = settings

    database = Database(database_urls(settings).runtime)
    init_database(app, database)
    relay_after_commit(database, lambda: redis_connection(redis_url), redis_breaker(redis_url))
    init_request_ids(app)
    init_request_guard(app)
    init_errors(app)
    init_refusals(app)
    init_web(app, context_translation_folders())
    init_push(app)
    init_charts(app)
    init_navigation(app)
    init_security(app)
    init_headers(app)
    init_oauth(app)
    init_in_force(app, database, redis_url)

    api = init_api(app)
    for blueprint in (regions_api.blp, tenants_api.blp, members_api.blp, audit_api.blp):
        api.register_blueprint(blueprint)
    siaga112.tenants.register(app, api)
    siaga112.onboarding.register(app, api)
    app.register_blueprint(regions_views.bp)
    app.register_blueprint(identity_views.bp)
    views_people.register_navigation(app)
    views_admin.register_navigation(app)
    app.register_blueprint(tenancy_views.bp)
    tenancy_views.register_navigation(app)
    app.register_blueprint(health.bp)
    return app
