"""Everything a region owns: directory, categories, rosters, training, calls and dispatch."""

from flask import Blueprint
from flask_babel import lazy_gettext

from .categories import jobs as _category_jobs  # noqa: F401  (registers the tenant.created handler in every process)
from .dispatch import webhooks as _dispatch_webhooks  # noqa: F401  (registers the webhook deliveries' handler)

CONTEXTS = ("directory", "categories", "roster", "training")
# The tenant pages' menu entries, in order (platform/navigation.py shows each to the roles its view allows).
MENU = (
    ("tenants_directory_web.agencies", lazy_gettext("Agencies"), 20),
    ("tenants_directory_web.numbers", lazy_gettext("Numbers"), 30),
    ("tenants_categories_web.categories", lazy_gettext("Incident categories"), 40),
    ("tenants_roster_web.roster", lazy_gettext("Roster"), 12),
    ("tenants_roster_web.shifts", lazy_gettext("Shifts"), 14),
    ("tenants_training_web.training", lazy_gettext("Training"), 70),
)


def register(app, api) -> None:
    """Wire this context's API and page blueprints into the app (called by the composition root)."""
    import importlib

    from siaga112.platform.navigation import add_menu_entry

    for name in CONTEXTS:
        api.register_blueprint(importlib.import_module(f"siaga112.tenants.{name}.api").blp)
        app.register_blueprint(importlib.import_module(f"siaga112.tenants.{name}.views").bp)
    api.register_blueprint(importlib.import_module("siaga112.tenants.directory.api").routing_blp)
    calls_api = importlib.import_module("siaga112.tenants.calls.api")
    api.register_blueprint(calls_api.telephony_blp)
    api.register_blueprint(calls_api.blp)
    calls_views = importlib.import_module("siaga112.tenants.calls.views")
    app.register_blueprint(calls_views.bp)
    calls_views.register_navigation(app)
    api.register_blueprint(importlib.import_module("siaga112.tenants.dispatch.api").blp)
    dispatch_views = importlib.import_module("siaga112.tenants.dispatch.views")
    app.register_blueprint(dispatch_views.bp)
    dispatch_views.register_navigation(app)
    app.register_blueprint(_frame)
    for endpoint, label, order in MENU:
        add_menu_entry(app, endpoint, label, tenant=True, order=order)
    for name in ("directory", "roster"):
        importlib.import_module(f"siaga112.tenants.{name}.landing").register_navigation(app)


# Serves tenants/static (the contexts' stylesheets: inline styles are refused by the Content-Security-Policy)
# under /assets/tenants. The tenant frame (tenants/layout.html) is the kernel's: its menu is (navigation.py).
_frame = Blueprint("tenants_frame", __name__, static_folder="static", static_url_path="/assets/tenants")
