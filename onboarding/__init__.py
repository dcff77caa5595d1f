"""The ministry's readiness verification of a region, from application to a live 112 region (DESIGN.md, Onboarding)."""

# Registers the onboarding.transition mail handler in every process that imports the context (the worker too).
from . import notifications as _notifications  # noqa: F401


def register(app, api) -> None:
    """Wire this context's API into the app (called by the composition root)."""
    from . import api as onboarding_api
    from . import api_visits  # noqa: F401  (its routes are on onboarding_api.blp)
    from . import views
    from . import views_visits  # noqa: F401  (its routes are on views.bp)
    from . import views_pipeline  # noqa: F401  (its routes are on views.bp)
    from .landing import register_navigation

    api.register_blueprint(onboarding_api.blp)
    api.register_blueprint(onboarding_api.pipeline_blp)
    app.register_blueprint(views.bp)
    register_navigation(app)
