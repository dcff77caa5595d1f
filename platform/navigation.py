"""The menu and the landing page: every page a person may open, and nothing else.

Contexts declare their pages for the menu (`add_menu_entry`) and what each role sees first on its
landing page (`add_landing_panel`); the kernel imports no context. An entry is shown only when one of
the person's roles is among those its view allows, read from the same attribute the access check
reads (identity/access.py), so no menu entry can lead to a refusal: the two cannot drift apart.

Platform entries take no path parameter (the queue, the pipeline, the admin pages); tenant entries
take the tenant's slug and appear, per tenant, for the roles held there (a platform role that the
view allows sees them on every tenant's pages).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, g, request, url_for
from flask_babel import lazy_gettext
from markupsafe import Markup
from sqlalchemy.orm import Session

from .identity.access import ALLOWED_ROLES_ATTRIBUTE, tenant_context
from .identity.principal import Principal
from .identity.roles import PLATFORM_ROLES, ROLES
from .tenancy.models import Tenant

log = logging.getLogger(__name__)
MENU_KEY = "siaga112.menu"
PANELS_KEY = "siaga112.landing_panels"


@dataclass(frozen=True)
class MenuEntry:
    endpoint: str
    label: str  # a lazy string: rendered in the reader's language
    tenant: bool  # the endpoint takes the tenant's slug
    order: int


@dataclass(frozen=True)
class Link:
    url: str
    label: str
    current: bool = False


@dataclass(frozen=True)
class LandingPanel:
    """What one role sees first on its landing page: `render(session, tenant, principal)` returns HTML.

    For a tenant role `tenant` is the tenant the role is held in (the session is in its context); for a
    platform role it is None (platform context).
    """

    role: str
    render: Callable[[Session, Tenant | None, Principal], Markup]
    order: int


@dataclass(frozen=True)
class PageSection:
    """A part of another context's page: `render(session, tenant)` returns HTML, in the request's context. Lets a
    context add to a page it does not own (dispatch's escalations on the calls board) without either importing
    the other."""

    page: str
    render: Callable[[Session, Tenant], Markup]
    order: int


@dataclass
class _Registry:
    entries: list[MenuEntry] = field(default_factory=list)
    panels: list[LandingPanel] = field(default_factory=list)
    sections: list[PageSection] = field(default_factory=list)


def _registry(app: Flask) -> _Registry:
    return app.extensions.setdefault(MENU_KEY, _Registry())


def add_menu_entry(app: Flask, endpoint: str, label, *, tenant: bool = False, order: int = 100) -> None:
    _registry(app).entries.append(MenuEntry(endpoint, label, tenant, order))


def add_landing_panel(app: Flask, role: str, render, *, order: int = 100) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    _registry(app).panels.append(LandingPanel(role, render, order))


def add_page_section(app: Flask, page: str, render, *, order: int = 100) -> None:
    _registry(app).sections.append(PageSection(page, render, order))


def page_sections(page: str, session: Session, tenant: Tenant) -> list[Markup]:
    """The sections other contexts add to `page`, in their order."""
    found = sorted((s for s in _registry(current_app).sections if s.page == page), key=lambda s: s.order)
    return [section.render(session, tenant) for section in found]


def allowed_roles(endpoint: str) -> frozenset[str]:
    view = current_app.view_functions.get(endpoint)
    return frozenset(getattr(view, ALLOWED_ROLES_ATTRIBUTE, ()) or ())


def _entries(tenant: bool) -> list[MenuEntry]:
    entries = [entry for entry in _registry(current_app).entries
               if entry.tenant == tenant and entry.endpoint in current_app.view_functions]
    return sorted(entries, key=lambda entry: entry.order)


def current_section(endpoint: str | None, endpoints) -> str | None:
    """The menu entry a page belongs to: its own endpoint, or else the one entry of its blueprint (the
    onboarding visit and routing pages belong to Onboarding; a shift's page, with two roster entries, to none)."""
    endpoints = list(endpoints)
    if endpoint in endpoints:
        return endpoint
    blueprint = (endpoint or "").rpartition(".")[0]
    same = [name for name in endpoints if blueprint and name.rpartition(".")[0] == blueprint]
    return same[0] if len(same) == 1 else None


def _is_current(entry: MenuEntry) -> bool:
    """Whether the page shown belongs to this entry, among the entries of the same menu (tenant or platform)."""
    same_menu = (other.endpoint for other in _registry(current_app).entries if other.tenant == entry.tenant)
    return current_section(request.endpoint, same_menu) == entry.endpoint


def platform_menu(principal: Principal | None) -> list[Link]:
    """The platform pages this person may open: none without a platform role."""
    held = principal.platform_roles() if principal else set()
    return [Link(url_for(entry.endpoint), entry.label, _is_current(entry))
            for entry in _entries(tenant=False) if held & allowed_roles(entry.endpoint)]


def tenant_menu(principal: Principal | None, tenant: Tenant) -> list[Link]:
    """The pages of one tenant this person may open there (a suspended tenant: only for platform roles)."""
    if principal is None:
        return []
    held = principal.platform_roles()
    if tenant.status != "suspended":
        held = held | principal.roles_in(tenant.slug)
    return [Link(url_for(entry.endpoint, tenant=tenant.slug), entry.label, _is_current(entry))
            for entry in _entries(tenant=True) if held & allowed_roles(entry.endpoint)]


def landing_panels(session: Session, principal: Principal, tenants: dict) -> list[Markup]:
    """The panels of every role the person holds, widest role first, each tenant role in its own tenant."""
    from .tenancy.context import PLATFORM, set_context

    panels = sorted(_registry(current_app).panels, key=lambda panel: (ROLES.index(panel.role), panel.order))
    rendered, seen = [], set()
    for panel in panels:
        if panel.role in PLATFORM_ROLES:
            if panel.role in principal.platform_roles():
                set_context(session, PLATFORM)
                rendered.append(panel.render(session, None, principal))
            continue
        for grant in principal.grants:
            tenant = tenants.get(grant.tenant_id)
            if (grant.role == panel.role and tenant is not None and tenant.status != "suspended"
                    and (panel, tenant.id) not in seen):
                seen.add((panel, tenant.id))
                set_context(session, tenant_context(principal, grant.role, tenant))  # a responder: its agencies only
                rendered.append(panel.render(session, tenant, principal))
    set_context(session, PLATFORM)
    return rendered


def _tenants_of(principal: Principal) -> list[Tenant]:
    """The tenants the person holds a role in, by name (one query per request)."""
    from sqlalchemy import select

    from .db import request_session

    if "menu_tenants" not in g:
        ids = principal.tenant_ids()
        found = request_session().scalars(select(Tenant).where(Tenant.id.in_(ids))) if ids else []
        g.menu_tenants = sorted(found, key=lambda tenant: tenant.name)
    return g.menu_tenants


def _page_principal() -> Principal | None:
    from .errors import DATABASE_DOWN
    from .identity.access import current_principal

    try:
        return current_principal()
    except (AttributeError, *DATABASE_DOWN):  # an error page for a request without a session, or no database
        return None


def main_menu() -> list[Link]:
    """The header's menu: home, the platform pages of the person's platform roles, each of their tenants."""
    principal = _page_principal()
    if principal is None or principal.kind != "user":
        return []
    links = [Link(url_for("identity_web.home"), lazy_gettext("Home"), request.endpoint == "identity_web.home")]
    links += platform_menu(principal)
    here = (request.view_args or {}).get("tenant")
    for tenant in _tenants_of(principal):
        pages = tenant_menu(principal, tenant)
        if pages:
            links.append(Link(pages[0].url, tenant.name, tenant.slug == here))
    return links


def _never_failing(menu):
    """A menu that cannot be read (the error page of a failed transaction, say) is left out, never an error."""
    from sqlalchemy.exc import SQLAlchemyError

    def read(*args):
        try:
            return menu(*args)
        except SQLAlchemyError:
            log.warning("menu left out: the request's database session cannot be read", exc_info=True)
            return []

    return read


def init_navigation(app: Flask) -> None:
    @app.context_processor
    def menus():
        # Functions, not values: only the layout calls them, so an error page rendered while the database is
        # away never queries it.
        return {"main_menu": _never_failing(main_menu),
                "tenant_menu": _never_failing(lambda tenant: tenant_menu(_page_principal(), tenant))}
