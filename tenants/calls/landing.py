"""The call floor on the landing page: an operator sees the calls waiting and the console, a supervisor the board."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from siaga112.platform.identity.roles import OPERATOR, SUPERVISOR

from . import service


def floor_panel(session, tenant, principal) -> Markup:
    return Markup(render_template("calls/landing/floor.html", tenant=tenant,
                                  waiting=len(service.waiting_calls(session, tenant.id)),
                                  supervisor=SUPERVISOR in principal.roles_in(tenant.slug)))


def register_navigation(app) -> None:
    from siaga112.platform.navigation import add_landing_panel

    for role in (OPERATOR, SUPERVISOR):
        add_landing_panel(app, role, floor_panel, order=10)  # before the roster's panel: the calls come first
