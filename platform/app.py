"""The app factory: the composition root that wires the kernel and every context together."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from flask import Flask

from . import health
from .api import init_api
from .config import Settings
from .db import Database, database_urls, init_database
from .embedded import EmbeddedRedis
from .errors import init_errors
from .jobs.outbox import relay_after_commit
from .jobs.queues import redis_connection
from .logs import configure_logging, init_request_ids
from .regions import api as regions_api
from .regions import views as regions_views
from .secrets import stored_secret
from .web import init_web

HERE = Path(__file__).parent


def load_contexts() -> None:
    """Import every context's outbox event handlers (the worker needs them registered)."""
    import siaga112.onboarding  # noqa: F401
    import siaga112.tenants  # noqa: F401


def create_app(env: Mapping[str, str] | None = None) -> Flask:
    """Build the app from SIAGA_* variables (`env`, or the process environment)."""
    settings = Settings.from_env(env)
    configure_logging(settings.log_level)
    load_contexts()

    app = Flask("siaga112.platform", root_path=str(HERE), instance_path=str(settings.data_dir / "instance"),
                static_folder="static", template_folder="templates")
    redis_url = settings.redis_url or EmbeddedRedis(settings.data_dir).url
    app.config.update(
        SECRET_KEY=stored_secret(settings.data_dir, "flask-secret-key", settings.secret_key),
        SIAGA_REDIS_URL=redis_url,
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
    )
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["siaga112.settings"] = settings

    database = Database(database_urls(settings).runtime)
    init_database(app, database)
    relay_after_commit(database, lambda: redis_connection(redis_url))
    init_request_ids(app)
    init_errors(app)
    init_web(app)

    api = init_api(app)
    api.register_blueprint(regions_api.blp)
    app.register_blueprint(regions_views.bp)
    app.register_blueprint(health.bp)
    return app
