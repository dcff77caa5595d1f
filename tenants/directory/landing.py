"""The agency on the landing page of its responders: which agency they answer for, and how it is reached."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup
from sqlalchemy import select

from siaga112.platform.identity.roles import AGENCY_RESPONDER

from .forms import KIND_LABELS
from .models import Agency


def agency_panel(session, tenant, principal) -> Markup:
    ids = principal.agency_ids(tenant.id)
    agencies = list(session.scalars(select(Agency).where(Agency.tenant_id == tenant.id, Agency.id.in_(ids))
                                    .order_by(Agency.name))) if ids else []
    return Markup(render_template("directory/landing/agency.html", tenant=tenant, agencies=agencies,
                                  kind_labels=KIND_LABELS))


def register_navigation(app) -> None:
    from siaga112.platform.navigation import add_landing_panel

    add_landing_panel(app, AGENCY_RESPONDER, agency_panel)
