"""The operator console and the supervisor board: the same services and roles as the API.

Both pages are whole server-rendered pages (a reload shows the truth, with JavaScript off too); their live
parts (`data-live-src`) are re-read when the push server says the region's calls changed (docs/push.md).
The console does not ask for the call's version: the PBX changes the call (answered, ended) while the
operator types, and those changes never touch what the operator records.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.roles import SUPERVISOR
from siaga112.platform.navigation import page_sections
from siaga112.platform.refusals import Refusal, form_error
from siaga112.platform.web import chosen_id
from siaga112.tenants.categories import service as categories

from . import service
from .api import FLOOR_KEEPERS, TAKERS
from .forms import (CLASSIFICATION_KEYS, CLASSIFICATION_LABELS, OUTCOME_LABELS, PRIORITY_LABELS, REASON_LABELS,
                    STATE_LABELS, ActionForm, choices, AttachForm, BlockForm, CallbackForm, CallForm, HandoverForm,
                    IncidentForm)
from .models import Call, Incident

bp = Blueprint("tenants_calls_web", __name__, template_folder="templates")
LABELS = {"classification_labels": CLASSIFICATION_LABELS, "state_labels": STATE_LABELS, "keys": CLASSIFICATION_KEYS,
          "priority_labels": PRIORITY_LABELS, "outcome_labels": OUTCOME_LABELS, "reason_labels": REASON_LABELS}


def _english() -> bool:
    return str(get_locale()) == "en"


def waited(since: datetime | None) -> str:
    """m:ss since `since` (live.js keeps counting on the page; without script a reload shows the new value)."""
    if since is None:
        return ""
    seconds = max(0, int((datetime.now(timezone.utc) - since).total_seconds()))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _render(template: str, status: int = 200, **context):
    access = current_access()
    return render_template(template, tenant=access.tenant, english=_english(), waited=waited, **LABELS,
                           **context), status


# --- the console ----------------------------------------------------------------------------------------

def _queue(session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> dict:
    """The console's left side: calls ringing (the longest waiting first), on the line, and mine to finish."""
    on_line = list(session.scalars(select(Call).where(Call.tenant_id == tenant_id, Call.state == "in_progress")
                                   .order_by(Call.answered_at, Call.id).limit(50)))
    to_finish = list(session.scalars(select(Call).where(
        Call.tenant_id == tenant_id, Call.operator_id == user_id, Call.state == "ended",
        Call.classification.is_(None)).order_by(Call.ended_at.desc()).limit(10)))
    return {"waiting": service.waiting_calls(session, tenant_id), "on_line": on_line, "to_finish": to_finish}


def _current_call(session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Call | None:
    """The call chosen (?call=), else the one this operator is on now."""
    chosen = chosen_id(request.args.get("call"))
    if chosen is not None:
        return service.get_call(session, tenant_id, chosen)
    return session.scalar(select(Call).where(Call.tenant_id == tenant_id, Call.operator_id == user_id,
                                             Call.state == "in_progress").order_by(Call.answered_at.desc()).limit(1))


def _call_form(session, tenant_id: uuid.UUID, call: Call | None, formdata=None) -> CallForm:
    form = CallForm(formdata=formdata, obj=call) if formdata is not None else CallForm(formdata=None, obj=call)
    names = [(c.code, c.name_en if _english() else c.name_id)
             for c in session.scalars(categories.categories_query(tenant_id, active=True))]
    form.category.choices = choices([("", "—"), *names])
    if call is not None and formdata is None:
        form.category.data = call.category.code if call.category else ""
    return form


def _open_incidents(session, tenant_id: uuid.UUID) -> list[Incident]:
    return list(session.scalars(service.incidents_query(tenant_id, unclosed=True).limit(50)))


def _console(status: int = 200, form: CallForm | None = None, incident_form: IncidentForm | None = None,
             call: Call | None = None):
    """The console page; after a refused form, with that form (and its call) as the operator left it."""
    access, session = current_access(), request_session()
    tenant_id, user_id = access.tenant.id, access.principal.user_id
    call = call or _current_call(session, tenant_id, user_id)
    incidents = _open_incidents(session, tenant_id)
    attach = AttachForm()
    attach.incident_id.choices = choices((str(i.id), f"{i.number} · {i.summary[:60]}") for i in incidents)
    context = {"call": call, "form": form or _call_form(session, tenant_id, call),
               "incident_form": incident_form or IncidentForm(formdata=None), "attach_form": attach,
               "block_form": BlockForm(formdata=None), "incidents": incidents,
               "is_supervisor": access.role == SUPERVISOR, **_queue(session, tenant_id, user_id)}
    if call is not None:
        context.update(
            repeat_false_calls=service.repeat_false_calls(session, tenant_id, call),
            block=service.active_block(session, tenant_id, call.caller_key),
            agencies=categories.agencies_for(session, tenant_id, call.category.code) if call.category else [],
            incident=session.get(Incident, call.incident_id) if call.incident_id else None,
            # The number is shown only when asked for, and every showing is in the region's audit log (UU PDP).
            number=service.read_caller(session, call, access.actor()) if request.args.get("number") else None)
    return _render("calls/console.html", status, **context)


def _back_to_console(call_id: uuid.UUID | None = None):
    tenant = current_access().tenant.slug
    return redirect(url_for(".console", tenant=tenant, call=call_id) if call_id else url_for(".console", tenant=tenant))


@bp.get("/tenants/<tenant>/console")
@roles_allowed(*TAKERS)
def console(tenant):
    return _console()


@bp.get("/tenants/<tenant>/console/queue")
@roles_allowed(*TAKERS)
def console_queue(tenant):
    """The queue alone, as the console's live part re-reads it."""
    access = current_access()
    return _render("calls/_queue.html", **_queue(request_session(), access.tenant.id, access.principal.user_id))


@bp.post("/tenants/<tenant>/console/calls/<uuid:call_id>")
@roles_allowed(*TAKERS)
def record_call(tenant, call_id):
    access, session = current_access(), request_session()
    call = service.get_call(session, access.tenant.id, call_id)
    form = _call_form(session, access.tenant.id, call, request.form)
    if not form.validate_on_submit():
        return _console(422, form=form, call=call)
    changes = {"classification": form.classification.data or None, "category": form.category.data or None,
               "location_text": form.location_text.data, "notes": form.notes.data,
               "latitude": form.latitude.data, "longitude": form.longitude.data}
    try:
        service.update_call(session, call, changes, access.actor())
    except Refusal as refusal:
        session.rollback()
        form_error(form, refusal, "classification")
        return _console(422, form=form, call=call)
    flash(_("Call saved."))
    return _back_to_console(call.id)


@bp.post("/tenants/<tenant>/console/calls/<uuid:call_id>/incident")
@roles_allowed(*TAKERS)
def open_incident(tenant, call_id):
    access, session = current_access(), request_session()
    call = service.get_call(session, access.tenant.id, call_id)
    form = IncidentForm()
    if not form.validate_on_submit():
        return _console(422, incident_form=form, call=call)
    try:
        incident = service.open_from_call(session, access.tenant, call, {
            "summary": form.summary.data, "priority": form.priority.data}, access.actor())
    except Refusal as refusal:
        session.rollback()
        form_error(form, refusal, "summary")
        return _console(refusal.status, incident_form=form, call=call)
    flash(_("Incident %(number)s opened.", number=incident.number))
    return _back_to_console(call.id)


@bp.post("/tenants/<tenant>/console/calls/<uuid:call_id>/attach")
@roles_allowed(*TAKERS)
def attach_call(tenant, call_id):
    access, session = current_access(), request_session()
    call = service.get_call(session, access.tenant.id, call_id)
    form = AttachForm()
    form.incident_id.choices = choices((str(i.id), i.number) for i in _open_incidents(session, access.tenant.id))
    if not form.validate_on_submit():
        flash(_("Choose an open incident."), "error")
        return _back_to_console(call.id)
    try:
        service.update_call(session, call, {"incident_id": chosen_id(form.incident_id.data)}, access.actor())
    except Refusal as refusal:
        session.rollback()
        flash(refusal.text(), "error")
        return _back_to_console(call.id)
    flash(_("Call attached to the incident."))
    return _back_to_console(call.id)


@bp.post("/tenants/<tenant>/console/calls/<uuid:call_id>/block")
@roles_allowed(SUPERVISOR)
def block_caller(tenant, call_id):
    access, session = current_access(), request_session()
    call = service.get_call(session, access.tenant.id, call_id)
    form = BlockForm()
    if not form.validate_on_submit():
        flash(_("Say why the caller is blocked, for 1 to 168 hours."), "error")
        return _back_to_console(call.id)
    try:
        service.block_caller(session, call, form.reason.data, form.hours.data, access.actor())
    except Refusal as refusal:
        session.rollback()
        flash(refusal.text(), "error")
        return _back_to_console(call.id)
    flash(_("Caller blocked: their next calls are queued at low priority with a warning, never dropped."))
    return _back_to_console(call.id)


# --- the board ------------------------------------------------------------------------------------------

def _board_context() -> dict:
    access, session = current_access(), request_session()
    every = request.args.get("callbacks") == "all"
    return {"board": service.board(session, access.tenant, access.principal.user_id, every_callback=every),
            "every_callback": every,
            "blocks": list(session.scalars(service.blocks_query(access.tenant.id).limit(50))),
            "callback_form": CallbackForm(formdata=None), "action_form": ActionForm(formdata=None),
            "is_supervisor": access.role == SUPERVISOR, "me": access.principal.user_id,
            "sections": page_sections("calls.board", session, access.tenant)}


@bp.get("/tenants/<tenant>/board")
@roles_allowed(*FLOOR_KEEPERS)
def board(tenant):
    return _render("calls/board.html", handover_form=HandoverForm(formdata=None), **_board_context())


@bp.get("/tenants/<tenant>/board/live")
@roles_allowed(*FLOOR_KEEPERS)
def board_live(tenant):
    """The board's figures alone, as its live part re-reads them."""
    return _render("calls/_board.html", **_board_context())


@bp.post("/tenants/<tenant>/board/callbacks/<uuid:callback_id>")
@roles_allowed(*TAKERS)
def record_callback(tenant, callback_id):
    access, session = current_access(), request_session()
    callback = service.get_callback(session, access.tenant.id, callback_id)
    form = CallbackForm()
    if not form.validate_on_submit():
        flash(_("Choose how the callback went."), "error")
    else:
        service.record_callback(session, callback, form.outcome.data, form.note.data, access.actor())
        flash(_("Callback recorded."))
    return redirect(url_for(".board", tenant=tenant) + "#callbacks")


@bp.post("/tenants/<tenant>/board/handovers")
@roles_allowed(SUPERVISOR)
def write_handover(tenant):
    access, session = current_access(), request_session()
    form = HandoverForm()
    if not form.validate_on_submit():
        return _render("calls/board.html", 422, handover_form=form, **_board_context())
    service.write_handover(session, access.tenant.id, form.note.data, access.actor())
    flash(_("Handover note saved; the incoming supervisor acknowledges it here."))
    return redirect(url_for(".board", tenant=tenant) + "#handovers")


@bp.post("/tenants/<tenant>/board/handovers/<uuid:handover_id>/acknowledge")
@roles_allowed(SUPERVISOR)
def acknowledge_handover(tenant, handover_id):
    access, session = current_access(), request_session()
    try:
        service.acknowledge_handover(session, service.get_handover(session, access.tenant.id, handover_id),
                                     access.actor())
        flash(_("Handover acknowledged."))
    except Refusal as refusal:
        session.rollback()
        flash(refusal.text(), "error")
    return redirect(url_for(".board", tenant=tenant) + "#handovers")


@bp.post("/tenants/<tenant>/board/blocks/<uuid:block_id>/lift")
@roles_allowed(SUPERVISOR)
def lift_block(tenant, block_id):
    access, session = current_access(), request_session()
    service.lift_block(session, service.get_block(session, access.tenant.id, block_id), access.actor())
    flash(_("Block lifted."))
    return redirect(url_for(".board", tenant=tenant) + "#blocks")


def register_navigation(app) -> None:
    from flask_babel import lazy_gettext

    from siaga112.platform.navigation import add_menu_entry

    from .landing import register_navigation as register_landing

    add_menu_entry(app, "tenants_calls_web.console", lazy_gettext("Console"), tenant=True, order=5)
    add_menu_entry(app, "tenants_calls_web.board", lazy_gettext("Board"), tenant=True, order=6)
    register_landing(app)
