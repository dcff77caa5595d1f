"""The incident page (dispatching, the dispatches' progress, the timeline), the agency responders' phone-first page,
and the page behind an e-mailed link: the same services and roles as the API.

Every action is a plain form post (one tap, CSRF-protected) that redirects back: it works without JavaScript, and a
reload shows the truth.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, public, roles_allowed
from siaga112.platform.identity.roles import AGENCY_RESPONDER, REGIONAL_ADMIN, SUPERVISOR
from siaga112.platform.refusals import N_, NotFound, Refusal, form_error
from siaga112.platform.storage import download
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.calls.forms import PRIORITY_LABELS
from siaga112.tenants.directory.forms import SelectChoice

from . import service
from .api import CENTRE, SENDERS, public_url
from .forms import (CHANNEL_LABELS, ENTRY_LABELS, INCIDENT_STATUS_LABELS, REGION_STATUS_LABELS, STATUS_LABELS,
                    STEP_LABELS, TRANSFER_LABELS, VIA_LABELS, ActForm, CancelForm, DispatchForm, PolicyForm, ReportForm,
                    TransferForm)
from .links import GONE, link_actor

bp = Blueprint("tenants_dispatch_web", __name__, template_folder="templates")
LABELS = {"status_labels": STATUS_LABELS, "incident_status_labels": INCIDENT_STATUS_LABELS, "via_labels": VIA_LABELS,
          "entry_labels": ENTRY_LABELS, "step_labels": STEP_LABELS, "priority_labels": PRIORITY_LABELS,
          "channel_labels": CHANNEL_LABELS, "region_status_labels": REGION_STATUS_LABELS,
          "transfer_labels": TRANSFER_LABELS}
STEPS = {"acknowledge": N_("Acknowledged. Thank you."), "on_scene": N_("Marked on scene."),
         "done": N_("Marked done. The call centre has your report.")}


def _category_name(category) -> str:
    return category.name_en if str(get_locale()) == "en" else category.name_id


def _render(template: str, status: int = 200, **context):
    return render_template(template, **LABELS, category_name=_category_name, **context), status


# --- the incident page (the call centre) --------------------------------------------------------------------

def _dispatch_form(session, tenant_id: uuid.UUID, incident, formdata=None) -> DispatchForm:
    form = DispatchForm(formdata=formdata)
    form.agency_ids.choices = [SelectChoice(str(a.id), a.name) for a in service.dispatchable_agencies(session, tenant_id)]
    if formdata is None:
        live = {d.agency_id for d in session.scalars(service.dispatches_query(tenant_id, incident_id=incident.id))
                if d.live}
        form.agency_ids.data = [str(a.id) for a in service.proposed_agencies(session, tenant_id, incident)
                                if a.id not in live]
    return form


def _transfer_form(session, tenant, formdata=None) -> TransferForm:
    form = TransferForm(formdata=formdata)
    form.region_code.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(n.code, f"{n.name} · {REGION_STATUS_LABELS[n.status]}") for n in service.neighbours(session, tenant)]
    return form


def _incident_page(incident, status: int = 200, form: DispatchForm | None = None,
                   transfer_form: TransferForm | None = None):
    access, session = current_access(), request_session()
    dispatches = list(session.scalars(service.dispatches_query(access.tenant.id, incident_id=incident.id)))
    return _render("dispatch/incident.html", status, tenant=access.tenant, incident=incident, dispatches=dispatches,
                   escalations=service.escalations_of(session, access.tenant.id, [d.id for d in dispatches]),
                   form=form or _dispatch_form(session, access.tenant.id, incident),
                   can_send=access.role in SENDERS and incident.status != "closed",
                   cancel_form=CancelForm(formdata=None), act_form=ActForm(formdata=None),
                   entries=service.timeline(session, incident),
                   transfers=service.transfers_shown(session, access.tenant.id, incident.id),
                   transfer_form=transfer_form or _transfer_form(session, access.tenant))


@bp.get("/tenants/<tenant>/incidents/<uuid:incident_id>")
@roles_allowed(*CENTRE)
def incident(tenant, incident_id):
    access = current_access()
    return _incident_page(service.get_incident(request_session(), access.tenant.id, incident_id))


@bp.post("/tenants/<tenant>/incidents/<uuid:incident_id>/dispatch")
@roles_allowed(*SENDERS)
def send(tenant, incident_id):
    access, session = current_access(), request_session()
    found = service.get_incident(session, access.tenant.id, incident_id)
    form = _dispatch_form(session, access.tenant.id, found, request.form)
    if not form.validate_on_submit():
        return _incident_page(found, 422, form)
    try:
        made = service.send(session, access.tenant, found, {
            "agency_ids": [uuid.UUID(value) for value in form.agency_ids.data], "channel": form.channel.data,
            "note": form.note.data}, access.actor(), public_url())
    except Refusal as refusal:
        session.rollback()
        form_error(form, refusal, "agency_ids")
        return _incident_page(service.get_incident(session, access.tenant.id, incident_id), refusal.status, form)
    flash(_("Dispatched to %(names)s.", names=", ".join(d.agency.name for d in made)))
    return redirect(url_for(".incident", tenant=tenant, incident_id=incident_id))


@bp.post("/tenants/<tenant>/incidents/<uuid:incident_id>/transfer")
@roles_allowed(*SENDERS)
def transfer(tenant, incident_id):
    access, session = current_access(), request_session()
    found = service.get_incident(session, access.tenant.id, incident_id)
    form = _transfer_form(session, access.tenant, request.form)
    code = None
    if form.validate_on_submit():
        code = (form.other_code.data or "").strip() or form.region_code.data
    if not code:
        form.region_code.errors = [*form.region_code.errors, _("Choose the region where it happens.")]
        return _incident_page(found, 422, transfer_form=form)
    try:
        made = service.transfer(session, access.tenant, found, {"region_code": code, "note": form.note.data},
                                access.actor(), public_url())
    except Refusal as refusal:
        session.rollback()
        form_error(form, refusal, "region_code")
        return _incident_page(service.get_incident(session, access.tenant.id, incident_id), refusal.status,
                              transfer_form=form)
    if made.kind == "transferred":
        flash(_("Handed over to %(region)s as %(number)s; its supervisors are told.", region=made.peer_region.name,
                number=made.peer_incident_number))
    else:
        flash(_("%(region)s: %(status)s. The call is logged as referred; give the caller that region's emergency "
                "numbers.", region=made.peer_region.name, status=REGION_STATUS_LABELS[made.peer_112_status]),
              "warning")
    return redirect(url_for(".incident", tenant=tenant, incident_id=incident_id) + "#transfers")


@bp.post("/tenants/<tenant>/incidents/<uuid:incident_id>/dispatches/<uuid:dispatch_id>/cancel")
@roles_allowed(*SENDERS)
def cancel(tenant, incident_id, dispatch_id):
    access, session = current_access(), request_session()
    dispatch = service.get_dispatch(session, access.tenant.id, dispatch_id, incident_id)
    form = CancelForm()
    try:
        service.act(session, dispatch, "cancel", {"reason": form.reason.data if form.validate_on_submit() else ""},
                    access.actor(), public_url())
        flash(_("Dispatch cancelled."))
    except Refusal as refusal:
        session.rollback()
        flash(refusal.text(), "error")
    return redirect(url_for(".incident", tenant=tenant, incident_id=incident_id) + "#dispatches")


@bp.post("/tenants/<tenant>/incidents/<uuid:incident_id>/dispatches/<uuid:dispatch_id>/revoke-links")
@roles_allowed(*SENDERS)
def revoke_links(tenant, incident_id, dispatch_id):
    access, session = current_access(), request_session()
    dispatch = service.get_dispatch(session, access.tenant.id, dispatch_id, incident_id)
    if ActForm().validate_on_submit():
        revoked = service.revoke_all(session, dispatch, access.actor())
        flash(ngettext("%(num)d link revoked.", "%(num)d links revoked.", revoked) if revoked
              else _("This dispatch has no link in force."))
    return redirect(url_for(".incident", tenant=tenant, incident_id=incident_id) + "#dispatches")


@bp.get("/tenants/<tenant>/incidents/<uuid:incident_id>/timeline")
@roles_allowed(*CENTRE)
def timeline(tenant, incident_id):
    """The timeline alone, laid out for printing (the region's clock, every entry)."""
    access, session = current_access(), request_session()
    found = service.get_incident(session, access.tenant.id, incident_id)
    return _render("dispatch/timeline.html", tenant=access.tenant, incident=found,
                   entries=service.timeline(session, found))


# --- the region's escalation policy (its admin) ------------------------------------------------------------

def _policy_page(status: int = 200, form: PolicyForm | None = None, problem: str | None = None):
    access, session = current_access(), request_session()
    policy = service.policy_view(session, access.tenant.id)
    if form is None:
        form = PolicyForm(formdata=None, data={"steps": [
            {"after_minutes": step.after_minutes, "action": step.action} for step in policy.steps]})
    return _render("dispatch/policy.html", status, tenant=access.tenant, policy=policy, form=form,
                   editable=access.role == REGIONAL_ADMIN, problem=problem)


@bp.get("/tenants/<tenant>/escalation-policy")
@roles_allowed(SUPERVISOR, REGIONAL_ADMIN)
def policy(tenant):
    return _policy_page()


@bp.post("/tenants/<tenant>/escalation-policy")
@roles_allowed(REGIONAL_ADMIN)
def save_policy(tenant):
    access, session = current_access(), request_session()
    form = PolicyForm()
    if not form.validate_on_submit():
        return _policy_page(422, form)
    steps = [{"after_minutes": row.after_minutes.data, "action": row.action.data} for row in form.steps
             if row.after_minutes.data]
    try:
        service.set_policy(session, access.tenant.id, steps, access.actor())
    except Refusal as refusal:
        session.rollback()
        return _policy_page(refusal.status, form, refusal.text())
    flash(_("Escalation policy saved. Dispatches sent from now on follow it."))
    return redirect(url_for(".policy", tenant=tenant))


# --- the agency responders' page --------------------------------------------------------------------------

def _agency_page(status: int = 200, report_forms: dict | None = None):
    access, session = current_access(), request_session()
    dispatches = service.agency_dispatches(session, access.tenant.id, None)
    incidents = service.incidents_of(session, access.tenant.id, dispatches)
    return _render("dispatch/agency.html", status, tenant=access.tenant, dispatches=dispatches, incidents=incidents,
                   act_form=ActForm(formdata=None), report_forms=report_forms or {},
                   report_form_blank=lambda: ReportForm(formdata=None),
                   target=lambda dispatch, action: url_for(".agency_act", tenant=access.tenant.slug,
                                                           dispatch_id=dispatch.id, action=action))


@bp.get("/tenants/<tenant>/agency")
@roles_allowed(AGENCY_RESPONDER)
def agency(tenant):
    return _agency_page()


@bp.post("/tenants/<tenant>/agency/dispatches/<uuid:dispatch_id>/<action>")
@roles_allowed(AGENCY_RESPONDER)
def agency_act(tenant, dispatch_id, action):
    access, session = current_access(), request_session()
    dispatch = service.get_dispatch(session, access.tenant.id, dispatch_id)
    problem = _act(session, dispatch, action, access.actor())
    if problem is not None:
        return _agency_page(problem[0], {dispatch.id: problem[1]})
    return redirect(url_for(".agency", tenant=tenant) + f"#d-{dispatch.id}")


PAGE_ACTIONS = ("acknowledge", "on_scene", "report", "done")


def _act(session, dispatch, action: str, actor):
    """Do the step from a page's form; None when done (a message flashed), else (status, the report form)."""
    if action not in PAGE_ACTIONS:
        raise NotFound(N_("There is no such step of a dispatch."), code="no_such_action")
    form = ReportForm() if action == "report" else ActForm()
    if not form.validate_on_submit():
        return 422, form if action == "report" else ReportForm(formdata=None)
    try:
        if action == "report":
            # The step first: it releases the dispatch's pending escalations before anything takes the region's audit
            # chain lock, the order the sweep takes them in (a photo audited first could deadlock with a sweep).
            service.act(session, dispatch, "report", {"text": form.text.data, "name": form.name.data}, actor,
                        public_url())
            if form.photo.data:
                service.add_photo(session, dispatch, form.photo.data, actor)
            flash(_("Report sent. Mark the dispatch done when your work is finished."))
        else:
            service.act(session, dispatch, action, {}, actor, public_url())
            flash(_(STEPS[action]))
    except Refusal as refusal:
        session.rollback()
        report = form if action == "report" else ReportForm(formdata=None)
        form_error(report, refusal, "text")
        return refusal.status, report
    return None


@bp.get("/tenants/<tenant>/dispatches/<uuid:dispatch_id>/photos/<uuid:photo_id>")
@roles_allowed(*CENTRE, AGENCY_RESPONDER)
def photo(tenant, dispatch_id, photo_id):
    access, session = current_access(), request_session()
    found = service.get_photo(session, service.get_dispatch(session, access.tenant.id, dispatch_id), photo_id)
    return download(found.key, found.content_type, found.name, found.sha256)


# --- the page behind an e-mailed link (no account) ------------------------------------------------------------

def _linked(slug: str, token: str):
    session = request_session()
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(GONE, code="link_gone")
    link, dispatch = service.open_link(session, tenant, token)
    g.link_actor = link_actor(link, g.get("request_id"))
    return tenant, dispatch


def _link_page(slug: str, token: str, status: int = 200, report_form: ReportForm | None = None):
    session = request_session()
    tenant, dispatch = _linked(slug, token)
    return _render("dispatch/link.html", status, tenant=tenant, dispatch=dispatch,
                   incident=service.incident_of(session, dispatch), act_form=ActForm(formdata=None),
                   report_form=report_form or ReportForm(formdata=None),
                   target=lambda _dispatch, action: url_for(".link_act", slug=slug, token=token, action=action))


@bp.get("/respond/<slug>/<token>")
@public
def link_page(slug, token):
    return _link_page(slug, token)


@bp.post("/respond/<slug>/<token>/<action>")
@public
def link_act(slug, token, action):
    session = request_session()
    _tenant, dispatch = _linked(slug, token)
    problem = _act(session, dispatch, action, g.link_actor)
    if problem is not None:
        return _link_page(slug, token, problem[0], problem[1])
    return redirect(url_for(".link_page", slug=slug, token=token))


def register_navigation(app) -> None:
    from flask_babel import lazy_gettext

    from siaga112.platform.navigation import add_landing_panel, add_menu_entry, add_page_section

    add_menu_entry(app, "tenants_dispatch_web.agency", lazy_gettext("Dispatches"), tenant=True, order=4)
    add_menu_entry(app, "tenants_dispatch_web.policy", lazy_gettext("Escalation"), tenant=True, order=45)
    add_landing_panel(app, AGENCY_RESPONDER, _agency_panel, order=10)
    add_page_section(app, "calls.board", _board_section, order=10)


def _board_section(session, tenant):
    """On the supervisor's board: the dispatches no agency has acknowledged yet, the longest waiting first, with
    how often each was escalated (the supervisor phones the agency)."""
    from markupsafe import Markup

    waiting = service.unacknowledged(session, tenant.id)
    fired = service.escalations_of(session, tenant.id, [d.id for d in waiting])
    counts = {d.id: sum(1 for e in fired if e.dispatch_id == d.id and e.fired_at) for d in waiting}
    incidents = service.incidents_of(session, tenant.id, waiting)
    return Markup(render_template("dispatch/board_section.html", tenant=tenant, waiting=waiting, counts=counts,
                                  incidents=incidents))


def _agency_panel(session, tenant, principal):
    from markupsafe import Markup

    waiting = service.agency_dispatches(session, tenant.id, None)
    return Markup(render_template("dispatch/landing.html", tenant=tenant, open=len(waiting),
                                  unacknowledged=sum(1 for d in waiting if d.status == "sent")))
