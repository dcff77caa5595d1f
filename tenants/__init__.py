"""Everything a region owns: directory, categories, rosters, training (and later calls and dispatch)."""

from flask import Blueprint, request
from flask_babel import lazy_gettext, lazy_pgettext

from .categories import jobs as _category_jobs  # noqa: F401  (registers the tenant.created handler in every process)

CONTEXTS = ("directory", "categories", "roster", "training")
# The tenant pages' navigation, in order: (endpoint, label). An endpoint not (yet) in the app is left out.
SECTIONS = (
    ("tenants_directory_web.agencies", lazy_gettext("Agencies")),
    ("tenants_directory_web.numbers", lazy_gettext("Numbers")),
    ("tenants_categories_web.categories", lazy_gettext("Incident categories")),
    ("tenants_roster_web.shifts", lazy_gettext("Shifts")),
    ("tenants_roster_web.roster", lazy_gettext("Roster")),
    ("tenants_training_web.training", lazy_gettext("Training")),
    ("onboarding_web.checklist", lazy_pgettext("tenant section", "Onboarding")),
)


def register(app, api) -> None:
    """Wire this context's API and page blueprints into the app (called by the composition root)."""
    import importlib

    for name in CONTEXTS:
        api.register_blueprint(importlib.import_module(f"siaga112.tenants.{name}.api").blp)
        app.register_blueprint(importlib.import_module(f"siaga112.tenants.{name}.views").bp)
    api.register_blueprint(importlib.import_module("siaga112.tenants.directory.api").routing_blp)
    app.register_blueprint(_frame)

    @app.context_processor
    def tenant_sections():
        sections = [(endpoint, label) for endpoint, label in SECTIONS if endpoint in app.view_functions]
        return {"tenant_sections": sections, "current_section": current_section(request.endpoint, sections)}


def current_section(endpoint: str | None, sections) -> str | None:
    """The section a page belongs to: its own endpoint, or else the one section of its blueprint (the
    onboarding visit and routing pages belong to the onboarding section)."""
    endpoints = [name for name, _label in sections]
    if endpoint in endpoints:
        return endpoint
    blueprint = (endpoint or "").rpartition(".")[0]
    same = [name for name in endpoints if blueprint and name.rpartition(".")[0] == blueprint]
    return same[0] if len(same) == 1 else None


# Carries tenants/templates (the tenant frame) onto the template path, and serves tenants/static (the contexts'
# stylesheets: inline styles are refused by the Content-Security-Policy) under /assets/tenants.
_frame = Blueprint("tenants_frame", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/assets/tenants")
