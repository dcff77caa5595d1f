"""What the onboarding context puts on the landing page and in the menu.

The regional admin lands on the region's readiness (progress, the next thing to do, every page to set it
up); the ministry verifier on the queue by stage and the visits due this week; the national monitor on the
pipeline by stage. Read-only: the same service functions as the pages.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import lazy_gettext, lazy_pgettext
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from siaga112.platform.identity.roles import MINISTRY_VERIFIER, NATIONAL_MONITOR, REGIONAL_ADMIN
from siaga112.platform.navigation import add_landing_panel, add_menu_entry
from siaga112.platform.regions.models import Region
from siaga112.platform.tenancy.models import Tenant

from . import service
from .common import reader_language
from .models import OnboardingVisit
from .views import stage_label, status_label

WAITING = ("submitted", "in_review", "visit_scheduled", "visited")  # the ministry acts next
JAKARTA = ZoneInfo("Asia/Jakarta")


def this_week(today: date) -> tuple[date, date]:
    """Monday to Sunday of the week of `today` (the ministry plans its field visits by week)."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def next_step(view) -> dict:
    """The one thing the regional admin should do next, in the reader's language, and where."""
    language = reader_language()
    status = view.application.status
    if status in ("draft", "changes_requested"):
        for state in view.items:
            if state.item.mandatory and not state.ready:
                reason = state.result.reason.text.get(language) if state.result and state.result.reason else None
                return {"kind": "item", "code": state.item.code, "title": state.item.title.get(language),
                        "reason": reason, "state": state.state}
        return {"kind": "submit"}
    if status in WAITING:
        return {"kind": "wait"}
    return {"kind": status}


def regional_admin_panel(session: Session, tenant: Tenant, _principal) -> Markup:
    application = service.find_application(session, tenant.id)
    view = service.view(session, tenant, application, REGIONAL_ADMIN) if application is not None else None
    return Markup(render_template("onboarding/landing/regional_admin.html", tenant=tenant, view=view,
                                  step=next_step(view) if view else None, status_label=status_label))


def verifier_panel(session: Session, _tenant, _principal) -> Markup:
    counts = service.stage_counts(session)
    first, last = this_week(datetime.now(JAKARTA).date())
    visits = session.execute(
        select(OnboardingVisit, Region.name, Tenant.slug)
        .join(Tenant, Tenant.id == OnboardingVisit.tenant_id).join(Region, Region.code == Tenant.region_code)
        .where(OnboardingVisit.status == "scheduled", OnboardingVisit.scheduled_for.between(first, last))
        .order_by(OnboardingVisit.scheduled_for, Region.name)).all()
    return Markup(render_template("onboarding/landing/verifier.html", counts=counts, waiting=WAITING,
                                  visits=visits, first=first, last=last, stage_label=stage_label))


def monitor_panel(session: Session, _tenant, _principal) -> Markup:
    counts = service.stage_counts(session)
    return Markup(render_template("onboarding/landing/monitor.html", counts=counts, total=sum(counts.values()),
                                  stage_label=stage_label))


def register_navigation(app) -> None:
    add_menu_entry(app, "onboarding_web.checklist", lazy_pgettext("tenant section", "Onboarding"), tenant=True,
                   order=10)
    add_menu_entry(app, "onboarding_web.queue", lazy_gettext("Verification queue"), order=20)
    add_menu_entry(app, "onboarding_web.pipeline", lazy_gettext("Onboarding pipeline"), order=30)
    add_landing_panel(app, REGIONAL_ADMIN, regional_admin_panel)
    add_landing_panel(app, MINISTRY_VERIFIER, verifier_panel)
    add_landing_panel(app, NATIONAL_MONITOR, monitor_panel)
