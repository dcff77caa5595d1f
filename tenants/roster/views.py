"""The shifts and roster pages: the same services as the API, for people signed in to the web UI.

Regional admins edit shifts; supervisors and regional admins manage the roster (the rotation
generator previews first, then applies exactly the previewed plan); the other roles read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.refusals import N_, Conflict, Invalid, NotFound, Refusal, Stale, form_error

from . import generator, grid, service
from .api import READERS, ROSTER_MANAGERS, SHIFT_WRITERS
from .forms import AssignmentForm, ConfirmForm, RotationForm, ShiftForm
from .models import Shift

bp = Blueprint("tenants_roster_web", __name__, template_folder="templates", url_prefix="/tenants/<tenant>")

# Offered on an empty shifts page: the three shifts most regions work (min staff 1, to be raised).
STANDARD_SHIFTS = (("Pagi", "P", "07:30", "16:00"), ("Siang", "S", "16:00", "23:30"), ("Malam", "M", "23:30", "07:30"))
NO_MONTH = N_("There is no month %(month)s; months look like 2026-12.")
NO_DAY = N_("There is no day %(day)s; days look like 2026-12-01.")


def _context(**values) -> dict:
    access = current_access()
    return {"tenant": access.tenant, "may_edit_shifts": access.role in SHIFT_WRITERS,
            "may_manage": access.role in ROSTER_MANAGERS, "messages": get_flashed_messages(),
            "format_date": format_date, "format_decimal": format_decimal, **values}


FORM_FIELDS = {"from": "first", "to": "last"}  # the service names the API's fields


def _refuse(form, refusal: Refusal) -> None:
    """Show a service refusal next to the field it names, or above the form."""
    form_error(form, refusal, FORM_FIELDS.get(refusal.field))


def _today(tenant) -> date:
    return datetime.now(ZoneInfo(tenant.time_zone)).date()


# --- shifts --------------------------------------------------------------------------------------

def _shifts_page(form: ShiftForm, status: int = 200):
    shifts = service.list_shifts(request_session(), current_access().tenant.id)
    return render_template("roster/shifts.html", **_context(shifts=shifts, form=form, confirm=ConfirmForm(),
                                                             standard=STANDARD_SHIFTS)), status


@bp.get("/shifts")
@roles_allowed(*READERS)
def shifts(tenant):
    return _shifts_page(ShiftForm(formdata=None))


@bp.post("/shifts")
@roles_allowed(*SHIFT_WRITERS)
def create_shift(tenant):
    form = ShiftForm()
    if form.validate_on_submit():
        access, session = current_access(), request_session()
        try:
            shift = service.create_shift(session, access.tenant.id, form.values(), access.actor())
        except Refusal as refusal:
            _refuse(form, refusal)
        else:
            flash(_("Shift %(code)s (%(name)s) added.", code=shift.code, name=shift.name))
            return redirect(url_for(".shifts", tenant=tenant))
    return _shifts_page(form, 422)


@bp.post("/shifts/standard")
@roles_allowed(*SHIFT_WRITERS)
def standard_shifts(tenant):
    """Add Pagi, Siang and Malam (those whose codes are free), for a region starting from nothing."""
    if ConfirmForm().validate_on_submit():
        access, session = current_access(), request_session()
        taken = {shift.code for shift in service.list_shifts(session, access.tenant.id)}
        for name, code, start, end in STANDARD_SHIFTS:
            if code not in taken:
                service.create_shift(session, access.tenant.id, {
                    "name": name, "code": code, "start_time": datetime.strptime(start, "%H:%M").time(),
                    "end_time": datetime.strptime(end, "%H:%M").time(), "min_staff": 1}, access.actor())
        flash(_("The usual three shifts are there; set their minimum staff."))
    return redirect(url_for(".shifts", tenant=tenant))


def _shift(shift_id) -> Shift:
    return service.get_shift(request_session(), current_access().tenant.id, shift_id)


def _shift_page(shift: Shift, form: ShiftForm, status: int = 200):
    return render_template("roster/shift.html", **_context(shift=shift, form=form)), status


@bp.get("/shifts/<uuid:shift_id>")
@roles_allowed(*SHIFT_WRITERS)
def edit_shift(tenant, shift_id):
    shift = _shift(shift_id)
    form = ShiftForm(formdata=None, obj=shift)
    form.start_time.data, form.end_time.data = (t.strftime("%H:%M") for t in (shift.start_time, shift.end_time))
    form.min_staff.data = str(shift.min_staff)
    return _shift_page(shift, form)


@bp.post("/shifts/<uuid:shift_id>")
@roles_allowed(*SHIFT_WRITERS)
def update_shift(tenant, shift_id):
    shift = _shift(shift_id)
    form = ShiftForm()
    if form.validate_on_submit():
        access, session = current_access(), request_session()
        try:
            if form.version.data != str(shift.version):
                raise Stale(service.SHIFT_CHANGED)
            service.update_shift(session, shift, form.values(), access.actor())
        except Refusal as refusal:
            session.rollback()  # the page shows the shift as it is, not as the refused change left it
            _refuse(form, refusal)
        else:
            flash(_("Shift %(code)s saved.", code=shift.code))
            return redirect(url_for(".shifts", tenant=tenant))
    return _shift_page(shift, form, 409 if form.form_errors else 422)


# --- the roster ----------------------------------------------------------------------------------

def _month(raw: str | None, tenant) -> date:
    if not raw:
        return _today(tenant).replace(day=1)
    try:
        first = datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise NotFound(NO_MONTH, month=raw[:20]) from None
    if not service.FIRST_DATE <= first <= service.LAST_DATE:
        raise NotFound(NO_MONTH, month=raw[:20])
    return first


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _rotation_form(tenant, formdata=True) -> RotationForm:
    """The generator's form, its checkboxes filled from the tenant; by default next month, every operator."""
    session = request_session()
    form = RotationForm() if formdata else RotationForm(formdata=None)
    active = service.list_shifts(session, tenant.id, active=True)
    people = service.roster_people(session, tenant.id)
    form.shift_ids.choices = [(str(s.id), f"{s.code} · {s.name} ({s.start_time:%H:%M}–{s.end_time:%H:%M})")
                              for s in active]
    form.user_ids.choices = [(str(p.user_id), p.name) for p in people]
    if not formdata:
        first = (_today(tenant).replace(day=1) + timedelta(days=32)).replace(day=1)
        form.first.data, form.last.data = first.isoformat(), _month_end(first).isoformat()
        form.shift_ids.data = [str(s.id) for s in active]
        form.user_ids.data = [str(p.user_id) for p in people if p.role == "operator"]
    return form


def _people_needed(form: RotationForm, tenant) -> int | None:
    """How many people the form's rotation needs for full coverage, when its numbers are readable."""
    try:
        chosen = [s for s in service.list_shifts(request_session(), tenant.id, active=True)
                  if str(s.id) in (form.shift_ids.data or [])]
        days_per_shift, days_off = int(form.days_per_shift.data), int(form.days_off.data)
    except (TypeError, ValueError):
        return None
    if not chosen or days_per_shift < 1 or days_off < 0:
        return None
    return generator.people_needed(len(chosen), max(s.min_staff for s in chosen), days_per_shift, days_off)


def _roster_page(tenant, first: date, last: date, report, entries, form: RotationForm, *, plan=None,
                 status: int = 200, error: str | None = None):
    session = request_session()
    people = {p.user_id: p.name for p in service.roster_people(session, tenant.id)}
    missing = {e.user_id for e in entries} - set(people)
    people.update(service.names_of(session, missing))
    names = {**people, **service.report_names(session, report)}
    return render_template(
        "roster/roster.html",
        **_context(first=first, last=last, report=report, grid=grid.build(report, people, entries),
                   bars=grid.chart(report), chart_bar=grid.CHART_BAR, chart_height=grid.CHART_HEIGHT,
                   names=names, form=form, plan=plan, error=error, people_needed=_people_needed(form, tenant),
                   previous=(first - timedelta(days=1)).replace(day=1), next=_month_end(first) + timedelta(days=1),
                   month_label=format_date(first, "MMMM y"))), status


def _current_month_page(tenant, form: RotationForm, month: date, status: int = 200, error: str | None = None):
    last = _month_end(month)
    session = request_session()
    report = service.roster_coverage(session, tenant, month, last)
    entries = service.grid_entries(session, tenant.id, month, last)
    return _roster_page(tenant, month, last, report, entries, form, status=status, error=error)


@bp.get("/roster")
@roles_allowed(*READERS)
def roster(tenant):
    found = current_access().tenant
    return _current_month_page(found, _rotation_form(found, formdata=False), _month(request.args.get("month"), found))


def _rotation(form: RotationForm) -> generator.Rotation:
    def ids(values, field):
        try:
            return tuple(uuid.UUID(value) for value in values or [])
        except ValueError:
            raise Invalid(generator.NAMED_TWICE, field) from None

    return generator.Rotation(date.fromisoformat(form.first.data.strip()), date.fromisoformat(form.last.data.strip()),
                              ids(form.shift_ids.data, "shift_ids"), ids(form.user_ids.data, "user_ids"),
                              int(form.days_per_shift.data), int(form.days_off.data), bool(form.replace.data))


def _form_month(form: RotationForm, tenant) -> date:
    try:
        return date.fromisoformat((form.first.data or "").strip()).replace(day=1)
    except ValueError:
        return _today(tenant).replace(day=1)


@bp.post("/roster/rotation/preview")
@roles_allowed(*ROSTER_MANAGERS)
def rotation_preview(tenant):
    found, session = current_access().tenant, request_session()
    form = _rotation_form(found)
    if form.validate_on_submit():
        try:
            rotation = _rotation(form)
            plan, report = generator.preview(session, found, rotation)
        except Refusal as refusal:
            _refuse(form, refusal)
        else:
            form.plan_digest.data = plan.digest
            removed = {assignment_id for assignment_id, _slot in plan.to_remove}
            starts = {s.id: s.start_time for s in plan.shifts}
            codes = {s.id: s.code for s in plan.shifts}
            entries = [e for e in service.grid_entries(session, found.id, rotation.first, rotation.last)
                       if e.assignment_id not in removed]
            entries += [grid.Entry(user_id, day, codes[shift_id], starts[shift_id], proposed=True)
                        for user_id, day, shift_id in plan.to_add]
            return _roster_page(found, rotation.first, rotation.last, report, entries, form, plan=plan)
    return _current_month_page(found, form, _form_month(form, found), status=422)


@bp.post("/roster/rotation/apply")
@roles_allowed(*ROSTER_MANAGERS)
def rotation_apply(tenant):
    access, session = current_access(), request_session()
    form = _rotation_form(access.tenant)
    if form.validate_on_submit():
        try:
            rotation = _rotation(form)
            applied = generator.apply(session, access.tenant, rotation, form.plan_digest.data or "", access.actor())
        except Refusal as refusal:
            session.rollback()  # the month shown is the roster as it is, without what the refused apply wrote
            return _current_month_page(access.tenant, form, _form_month(form, access.tenant),
                                       status=409 if isinstance(refusal, Conflict) else 422, error=refusal.text())
        flash(_("Rotation applied: %(created)s assignments added, %(removed)s removed.",
                created=applied.created, removed=applied.removed))
        return redirect(url_for(".roster", tenant=tenant, month=rotation.first.strftime("%Y-%m")))
    return _current_month_page(access.tenant, form, _form_month(form, access.tenant), status=422)


# --- one day ---------------------------------------------------------------------------------------

def _day(raw: str) -> date:
    try:
        return service.check_date(date.fromisoformat(raw), "date")
    except (ValueError, Invalid):
        raise NotFound(NO_DAY, day=raw[:20]) from None


def _assignment_form(formdata=True) -> AssignmentForm:
    session, tenant = request_session(), current_access().tenant
    form = AssignmentForm() if formdata else AssignmentForm(formdata=None)
    form.user_id.choices = [("", "")] + [(str(p.user_id), p.name) for p in service.roster_people(session, tenant.id)]
    form.shift_id.choices = [(str(s.id), f"{s.code} · {s.name} ({s.start_time:%H:%M}–{s.end_time:%H:%M})")
                             for s in service.list_shifts(session, tenant.id, active=True)]
    return form


def _day_page(day: date, form: AssignmentForm, status: int = 200):
    access, session = current_access(), request_session()
    tenant = access.tenant
    report = service.roster_coverage(session, tenant, day, day)
    assignments = session.scalars(service.assignments_query(tenant.id, day, day)).all()
    return render_template("roster/day.html", **_context(
        day=day, report=report, assignments=assignments, form=form, confirm=ConfirmForm(),
        names=service.report_names(session, report))), status


@bp.get("/roster/days/<day>")
@roles_allowed(*READERS)
def roster_day(tenant, day):
    return _day_page(_day(day), _assignment_form(formdata=False))


@bp.post("/roster/days/<day>")
@roles_allowed(*ROSTER_MANAGERS)
def add_assignment(tenant, day):
    when = _day(day)
    form = _assignment_form()
    if form.validate_on_submit():
        access, session = current_access(), request_session()
        try:
            user_id, shift_id = uuid.UUID(form.user_id.data), uuid.UUID(form.shift_id.data)
        except ValueError:
            form.user_id.errors = [_("Choose a person.")]
        else:
            try:
                service.add_assignment(session, access.tenant.id, user_id, shift_id, when, access.actor())
            except Refusal as refusal:
                _refuse(form, refusal)
            else:
                return redirect(url_for(".roster_day", tenant=tenant, day=when.isoformat()))
    return _day_page(when, form, 409 if form.form_errors else 422)


@bp.post("/roster/assignments/<uuid:assignment_id>/delete")
@roles_allowed(*ROSTER_MANAGERS)
def remove_assignment(tenant, assignment_id):
    access, session = current_access(), request_session()
    assignment = service.get_assignment(session, access.tenant.id, assignment_id)
    day = assignment.local_date
    if ConfirmForm().validate_on_submit():
        service.remove_assignment(session, assignment, access.actor())
    return redirect(url_for(".roster_day", tenant=tenant, day=day.isoformat()))
