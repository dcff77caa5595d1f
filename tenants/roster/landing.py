"""The roster on the landing page of supervisors and operators: who is on duty now, and my next shifts."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from siaga112.platform.identity.roles import OPERATOR, SUPERVISOR

from . import service


def today_panel(session, tenant, principal) -> Markup:
    return Markup(render_template("roster/landing/today.html", tenant=tenant,
                                  today=service.today(session, tenant, principal.user_id)))


def register_navigation(app) -> None:
    from siaga112.platform.navigation import add_landing_panel

    for role in (SUPERVISOR, OPERATOR):
        add_landing_panel(app, role, today_panel)
