"""Who may call what: every API route and page states its allowed roles here.

For a route with a {tenant} in its path, the principal's grants (from the
token, which carries tenant slugs) are checked against the path before any
query: a principal with no grant in that tenant and no platform role gets
404, as if the tenant did not exist. Then the tenant is loaded, a suspended
tenant turns its own members away with 403, and the request's session is
narrowed to that tenant's context, where row-level security applies.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from flask import current_app, g, request
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api import API_PREFIX
from ..audit.service import Actor
from ..db import request_session
from ..refusals import N_, Forbidden, NotFound
from ..tenancy.context import PLATFORM, AgencyContext, TenantContext, current_context, set_context
from ..tenancy.models import Tenant
from .in_force import Revoked, current_in_force, narrowed, signed_in_principal
from .principal import Principal
from .roles import AGENCY_RESPONDER, MACHINE_CLIENT, PLATFORM_ROLES, RoleNames

ALLOWED_ROLES_ATTRIBUTE = "siaga112_allowed_roles"
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")  # the tenants.slug check constraint
PUBLIC_ATTRIBUTE = "siaga112_public"


@dataclass(frozen=True)
class Access:
    """What the access check established for this request."""

    principal: Principal
    role: str  # the role the request acts in
    tenant: Tenant | None

    def actor(self) -> Actor:
        return Actor(self.principal.kind, self.principal.subject, self.role, g.get("request_id"))


def _unauthorized(detail: str):
    abort(401, message=detail, headers={"WWW-Authenticate": 'Bearer realm="siaga112", error="invalid_token"'})


def current_principal() -> Principal | None:
    """The principal of this request: a bearer access token, else (pages only) the signed-in browser session.

    The API never accepts the session cookie: a browser would send it along with a forged cross-site
    request, and the API has no CSRF tokens.
    """
    if "principal" in g:
        return g.principal
    principal = None
    header = request.headers.get("Authorization")
    if header is not None or request.path.startswith(API_PREFIX):
        from .tokens import InvalidToken, principal_from_bearer

        try:
            claimed = principal_from_bearer(header, current_app.extensions["siaga112.settings"])
            principal = narrowed(claimed, current_in_force())
        except (InvalidToken, Revoked) as error:
            _unauthorized(str(error))
    else:
        principal = _session_principal()
    g.principal = principal
    return principal


def _session_principal() -> Principal | None:
    from .web_session import signed_in_user_id

    user_id = signed_in_user_id()
    return signed_in_principal(user_id, current_in_force()) if user_id is not None else None


def _choose_role(principal: Principal, allowed: set[str], tenant_slug: str | None) -> str | None:
    # A tenant role in the tenant of the path wins over a platform role: it is the narrower one.
    held = (principal.roles_in(tenant_slug) if tenant_slug else set()) | principal.platform_roles()
    if tenant_slug is None:
        held |= {grant.role for grant in principal.grants}
    usable = [role for role in allowed if role in held]
    tenant_roles = [r for r in usable if r not in PLATFORM_ROLES]
    return (tenant_roles or usable or [None])[0]


def _sign_in_first():
    """A page asks a person to sign in and come back; the API answers 401."""
    if request.path.startswith(API_PREFIX):
        _unauthorized("Send an access token as `Authorization: Bearer …` (see /.well-known/openid-configuration).")
    from flask import redirect, url_for
    from werkzeug.exceptions import abort as abort_with

    abort_with(redirect(url_for("identity_web.sign_in", next=request.full_path.rstrip("?"))))


NO_SUCH_TENANT = N_("There is no region “%(slug)s” that you can see on Siaga112.")


def _role_refusal(principal: Principal, allowed, slug: str | None) -> Forbidden:
    """What the person cannot do, in words: the roles it is for and the ones they hold (never role codes)."""
    held = sorted({grant.role for grant in principal.grants if slug is None or grant.tenant in (slug, None)})
    needed = [role for role in allowed if role != MACHINE_CLIENT or principal.kind == "client"]
    extra = {"roles_needed": list(allowed), "roles_held": held}
    if not held:
        return Forbidden(N_("Only %(needed)s may do this; you hold no role here."), code="role_not_allowed",
                         extra=extra, needed=RoleNames(needed))
    return Forbidden(N_("Only %(needed)s may do this; you are signed in as %(held)s."), code="role_not_allowed",
                     extra=extra, needed=RoleNames(needed), held=RoleNames(held, "and"))


def check_access(allowed: tuple[str, ...]) -> Access:
    principal = current_principal()
    if principal is None:
        _sign_in_first()
    slug = (request.view_args or {}).get("tenant")
    if slug is not None and not SLUG.fullmatch(slug):  # e.g. a NUL, which PostgreSQL refuses in a query: a 500
        raise NotFound(NO_SUCH_TENANT, code="tenant_not_found", slug=slug[:60].encode("unicode_escape").decode())
    if slug is not None and slug not in principal.tenant_slugs() and not principal.platform_roles():
        raise NotFound(NO_SUCH_TENANT, code="tenant_not_found", slug=slug)
    role = _choose_role(principal, set(allowed), slug)
    if role is None:
        raise _role_refusal(principal, allowed, slug)
    tenant = None
    if slug is not None:
        session = request_session()
        granted = principal.tenant_id_of(slug)
        if granted is not None and not session.in_transaction():
            # Declared before the session begins, the after_begin hook sends this context in its one
            # set_config; the tenants table itself has no RLS, so the lookup below still finds the row.
            set_context(session, TenantContext(granted))
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None or (granted is not None and tenant.id != granted and role not in PLATFORM_ROLES):
            raise NotFound(NO_SUCH_TENANT, code="tenant_not_found", slug=slug)
        if tenant.status == "suspended" and role not in PLATFORM_ROLES:
            raise Forbidden(N_("%(region)s is suspended on Siaga112. Contact the ministry's 112 team to restore "
                               "access."), code="tenant_suspended", region=tenant.name)
        context = tenant_context(principal, role, tenant)
        if current_context(session) != context:
            set_context(session, context)
    elif role in PLATFORM_ROLES:
        set_context(request_session(), PLATFORM)
    access = Access(principal, role, tenant)
    g.access = access
    return access


def tenant_context(principal: Principal, role: str, tenant: Tenant):
    """An agency responder works in an agency context: the database shows them their own agencies' dispatches
    only, whatever a query asks for."""
    if role != AGENCY_RESPONDER:
        return TenantContext(tenant.id)
    agencies = sorted({grant.agency_id for grant in principal.grants
                       if grant.role == AGENCY_RESPONDER and grant.tenant_id == tenant.id and grant.agency_id}, key=str)
    return AgencyContext(tenant.id, tuple(agencies))


def roles_allowed(*roles: str):
    """Decorate a view: only these roles (platform roles, tenant roles in the path's tenant) may call it."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            check_access(roles)
            return view(*args, **kwargs)

        setattr(wrapper, ALLOWED_ROLES_ATTRIBUTE, roles)
        return wrapper

    return decorate


def public(view):
    """Mark a view as open to anyone (the registry, the home page, probes)."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def current_access() -> Access:
    return g.access


@dataclass(frozen=True)
class TenantScope:
    """What a tenant's API method or page works with: the request's session, the path's tenant, the actor."""

    session: Session
    tenant: Tenant
    actor: Actor

    @property
    def tenant_id(self):
        return self.tenant.id


def tenant_scope() -> TenantScope:
    access = current_access()
    return TenantScope(request_session(), access.tenant, access.actor())
