"""The onboarding pages of field visits (verification and monitoring, verdicts, photos, the printable report)
and of telco routing after approval.

Routes on views.bp. The same service as api_visits.py: a page reads; a form posts, the service decides, the
request's unit of work commits, the page flashes what was done and redirects
(POST-redirect-GET). A refusal re-renders the page with why, in the reader's language, under the refusal's
HTTP status (views.refused); a visit, item, file or telco that does not exist is a 404. Readers: the region's
admin and the platform roles; only a ministry verifier records anything (the service enforces it; the routes
and the pages agree).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import DateField, DateTimeLocalField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.models import User
from siaga112.platform.identity.roles import MINISTRY_VERIFIER
from siaga112.platform.refusals import Refusal, Stale, form_error
from siaga112.platform.storage import file_store
from siaga112.tenants.directory.forms import SelectChoice
from siaga112.tenants.directory.phone import national_format

from . import service
from .api import file_response
from .checklist import AREAS
from .common import reader_language
from .forms import VerdictForm
from .models import TELCOS, VISIT_KINDS
from .state import MAX_NOTE
from .views import READERS, _helpers, bp, flash_for_item, refused, reloadable
from .visits import MAX_PLACE, MAX_TEXT

VERIFIERS = (MINISTRY_VERIFIER,)

KIND_LABELS = {
    "verification": lazy_gettext("Verification visit"),
    "monitoring": lazy_gettext("Monitoring visit"),
}
VISIT_STATUS_LABELS = {
    "scheduled": lazy_gettext("Scheduled"),
    "completed": lazy_gettext("Completed"),
    "cancelled": lazy_gettext("Cancelled"),
}
VERDICT_LABELS = {
    "pass": lazy_gettext("Pass"),
    "fail": lazy_gettext("Fail"),
    "not_applicable": lazy_gettext("Not applicable"),
    "none": lazy_gettext("No verdict yet"),
}
ROUTING_STATUS_LABELS = {
    "requested": lazy_gettext("Requested"),
    "active": lazy_gettext("Active"),
    "test_call_passed": lazy_gettext("Test call passed"),
}
ROUTING_ACTION_LABELS = {
    "activate": lazy_gettext("Mark as active"),
    "pass_test_call": lazy_gettext("Record the passed test call"),
    "exclude": lazy_gettext("Exclude"),
    "include": lazy_gettext("Require again"),
    "fail_test_call": lazy_gettext("Record a failed test call"),
}
PAGE_ROUTING_ACTIONS = (*service.ROUTING_ACTIONS, "fail_test_call")
VISIT_DONE = {
    "complete": lazy_gettext("The visit was completed."),
    "cancel": lazy_gettext("The visit was cancelled."),
}
ROUTING_DONE = {
    "activate": lazy_gettext("%(telco)s routes 112 to the region."),
    "pass_test_call": lazy_gettext("The test call through %(telco)s passed."),
    "exclude": lazy_gettext("%(telco)s is excluded."),
    "include": lazy_gettext("%(telco)s is required again."),
    "fail_test_call": lazy_gettext("The failed test call through %(telco)s was recorded with its reason."),
}
# A form field that did not validate, in words (the browser's own checks catch most of these first).
FIELD_PROBLEMS = {
    "csrf_token": lazy_gettext("The form expired or was incomplete; try again."),
    "action": lazy_gettext("The form expired or was incomplete; try again."),
    "kind": lazy_gettext("Choose a verification or a monitoring visit."),
    "scheduled_for": lazy_gettext("Enter the date of the visit."),
    "place": lazy_gettext("Say where the visit takes place (at most %(count)s characters).", count=MAX_PLACE),
    "verifier_ids": lazy_gettext("Choose verifiers from the list of active ministry verifiers."),
    "note": lazy_gettext("Keep the note under %(count)s characters.", count=MAX_NOTE),
    "findings": lazy_gettext("Keep the findings and the recommendations under %(count)s characters each.",
                             count=MAX_TEXT),
    "recommendations": lazy_gettext("Keep the findings and the recommendations under %(count)s characters each.",
                                    count=MAX_TEXT),
    "verdict": lazy_gettext("Choose pass, fail or not applicable."),
    "file": lazy_gettext("Choose a file to upload."),
    "from_number": lazy_gettext("Enter the number the test call was made from."),
    "called_at": lazy_gettext("Enter the time of the test call as a date and a time."),
}


# --- forms (each carries its CSRF token) --------------------------------------------------------

class ScheduleForm(FlaskForm):
    kind = SelectField(choices=list(VISIT_KINDS), validate_choice=True)
    scheduled_for = DateField(validators=[InputRequired()])
    place = StringField(validators=[InputRequired(), Length(max=MAX_PLACE)])
    verifier_ids = SelectMultipleField(choices=[], validate_choice=True)  # the active ministry verifiers
    note = TextAreaField(validators=[Optional(), Length(max=MAX_NOTE)])


class ChangeVisitForm(FlaskForm):
    scheduled_for = DateField(validators=[InputRequired()])
    place = StringField(validators=[InputRequired(), Length(max=MAX_PLACE)])


class PhotoForm(FlaskForm):
    file = FileField(validators=[FileRequired()])


class VisitActionForm(FlaskForm):
    action = HiddenField(validators=[InputRequired(), AnyOf(service.VISIT_ACTIONS)])
    note = TextAreaField(validators=[Optional(), Length(max=MAX_NOTE)])
    findings = TextAreaField(validators=[Optional(), Length(max=MAX_TEXT)])
    recommendations = TextAreaField(validators=[Optional(), Length(max=MAX_TEXT)])


class RoutingForm(FlaskForm):
    action = HiddenField(validators=[InputRequired(), AnyOf(PAGE_ROUTING_ACTIONS)])
    note = TextAreaField(validators=[Optional(), Length(max=MAX_NOTE)])
    from_number = StringField(validators=[Optional(), Length(max=40)])
    called_at = DateTimeLocalField(format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
                                   validators=[Optional()])


# --- shared -----------------------------------------------------------------------------------

def _is_verifier() -> bool:
    """Whether the reader may record (a ministry verifier), whatever role this read was served in."""
    return MINISTRY_VERIFIER in current_access().principal.platform_roles()


def _form_problems(form: FlaskForm) -> list[str]:
    problems = []
    for name in form.errors:
        message = str(FIELD_PROBLEMS.get(name, FIELD_PROBLEMS["csrf_token"]))
        if message not in problems:
            problems.append(message)
    return problems


def _names(session, user_ids) -> dict:
    ids = {user_id for user_id in user_ids if user_id}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _labels(**values) -> dict:
    return _helpers(kind_labels=KIND_LABELS, visit_status_labels=VISIT_STATUS_LABELS, verdict_labels=VERDICT_LABELS,
                    routing_status_labels=ROUTING_STATUS_LABELS, routing_action_labels=ROUTING_ACTION_LABELS,
                    **values)


# --- the visits -------------------------------------------------------------------------------

def _with_verifiers(form: ScheduleForm, people: list[User]) -> ScheduleForm:
    form.verifier_ids.choices = [SelectChoice(str(person.id), person.name) for person in people]
    return form


def _visits_page(form: ScheduleForm | None = None, problems: list[str] | None = None, status: int = 200):
    access, session = current_access(), request_session()
    application = service.find_application(session, access.tenant.id)
    visits = session.scalars(service.visits_query(access.tenant.id)).all()
    can_schedule = _is_verifier() and application is not None
    people = service.active_verifiers(session) if can_schedule else []
    if form is None:
        form = ScheduleForm(formdata=None, kind="monitoring" if application and application.status == "live"
                            else "verification", verifier_ids=[access.principal.subject])
    _with_verifiers(form, people)
    return render_template("onboarding/visits.html", **_labels(
        tenant=access.tenant, application=application, problems=problems or [], form=form, can_schedule=can_schedule,
        rows=[(visit, service.verifiers_of(session, visit)) for visit in visits], people=people,
        chosen=set(form.verifier_ids.data or ()))), status


@bp.get("/tenants/<tenant>/onboarding/visits")
@roles_allowed(*READERS)
def visits(tenant):
    return _visits_page()


@bp.post("/tenants/<tenant>/onboarding/visits")
@roles_allowed(*VERIFIERS)
def schedule_visit(tenant):
    access, session = current_access(), request_session()
    form = _with_verifiers(ScheduleForm(), service.active_verifiers(session))
    if not form.validate_on_submit():
        return _visits_page(form, _form_problems(form), 422)
    fields = {"kind": form.kind.data, "scheduled_for": form.scheduled_for.data, "place": form.place.data,
              "note": form.note.data, "verifier_ids": [uuid.UUID(value) for value in form.verifier_ids.data]}
    try:
        visit = service.schedule_visit(session, access.tenant, fields, access.actor())
    except Refusal as refusal:
        return refused(refusal, lambda problems, status: _visits_page(form, problems, status))
    flash(_("The visit was scheduled."))
    return redirect(url_for(".visit", tenant=tenant, visit_id=visit.id))


def _visit_page(visit_id: uuid.UUID, problems: list[str] | None = None, status: int = 200,
                change: ChangeVisitForm | None = None, verdicts: dict[str, VerdictForm] | None = None):
    """The visit's page; `verdicts`: the verdict forms as sent and refused (code → form), shown again with
    their errors, the first field in error focused."""
    report = service.visit_report(request_session(), current_access().tenant, visit_id)
    visit = report.visit
    groups = [(area, [state for state in report.items if state.item.area == area]) for area in AREAS]
    mandatory = [state for state in report.items if state.item.mandatory]
    open_for_verifier = _is_verifier() and visit.status == "scheduled"
    return render_template("onboarding/visit.html", **_labels(
        tenant=report.tenant, report=report, visit=visit, groups=[(area, states) for area, states in groups if states],
        problems=problems or [], can_record=open_for_verifier and visit.kind == "verification",
        can_act=open_for_verifier, change=change or ChangeVisitForm(formdata=None, obj=visit),
        posted=verdicts or {}, focus=_first_verdict_error(verdicts or {}),
        judged=sum(1 for state in mandatory if state.verdict), mandatory_total=len(mandatory))), status


def _visit_refused(visit_id: uuid.UUID, refusal: Refusal, change: ChangeVisitForm | None = None):
    return refused(refusal, lambda problems, status: _visit_page(visit_id, problems, status, change=change))


def _first_verdict_error(forms: dict[str, VerdictForm]) -> str | None:
    for code, form in forms.items():
        if form.verdict.errors:
            return f"verdict-{code}-{form.verdict.data if form.verdict.data in ('pass', 'fail') else 'pass'}"
        if form.note.errors:
            return f"verdict-note-{code}"
    return None


@bp.get("/tenants/<tenant>/onboarding/visits/<uuid:visit_id>")
@roles_allowed(*READERS)
def visit(tenant, visit_id):
    return _visit_page(visit_id)


@bp.post("/tenants/<tenant>/onboarding/visits/<uuid:visit_id>")
@roles_allowed(*VERIFIERS)
def change_visit(tenant, visit_id):
    form = ChangeVisitForm()
    if not form.validate_on_submit():
        return _visit_page(visit_id, _form_problems(form), 422, change=form)
    access, session = current_access(), request_session()
    try:
        service.update_visit(session, access.tenant, visit_id,
                             {"scheduled_for": form.scheduled_for.data, "place": form.place.data}, access.actor())
    except Refusal as refusal:
        return _visit_refused(visit_id, refusal, change=form)
    flash(_("The visit was changed."))
    return redirect(url_for(".visit", tenant=tenant, visit_id=visit_id))


def _item_title(code: str) -> str | None:
    application = service.find_application(request_session(), current_access().tenant.id)
    try:
        return service.item_of(application, code).title.get(reader_language()) if application else None
    except service.NotFound:
        return None


CHOOSE_VERDICT = lazy_gettext("Choose pass, fail or not applicable.")


def _checked(form: VerdictForm) -> bool:
    """Whether the form's verdict can go to the service (its own errors, and a note needs a verdict)."""
    valid = form.validate()
    if form.verdict.errors or not form.verdict.data:  # none chosen (only a note), or not one of the choices
        form.verdict.errors = [str(CHOOSE_VERDICT)]
    return valid and not form.verdict.errors


def _on_verdict(form: VerdictForm, refusal: Refusal) -> bool:
    """A refusal of one item's verdict put on its form; False when it is about more than that item."""
    if refusal.status != 422 or refusal.field not in ("verdict", "note") or isinstance(refusal, Stale):
        return False
    form_error(form, refusal)
    return True


def _unchanged(found, form: VerdictForm) -> bool:
    return found is not None and found.verdict == form.verdict.data and (found.note or "") == (
        form.note.data or "").strip()


@bp.post("/tenants/<tenant>/onboarding/visits/<uuid:visit_id>/verdicts")
@roles_allowed(*VERIFIERS)
def record_verdicts(tenant, visit_id):
    """Every verdict of the visit in one submit: all saved, or none (each item's error at its item)."""
    access, session = current_access(), request_session()
    report = service.visit_report(session, access.tenant, visit_id)
    forms = {state.item.code: VerdictForm(request.form, prefix=state.item.code) for state in report.items}
    given = {code: form for code, form in forms.items() if form.given()}
    if not given:
        return _visit_page(visit_id, [_("Choose a verdict on at least one item.")], 422, verdicts=forms)
    checked = {code: _checked(form) for code, form in given.items()}
    existing = {state.item.code: state.verdict for state in report.items}
    saved, wrong = 0, not all(checked.values())
    for code, form in given.items():  # the service's refusals too, so that every error shows at once
        if not checked[code] or _unchanged(existing.get(code), form):
            continue
        try:
            service.record_verdict(session, access.tenant, visit_id, code, form.verdict.data, form.note.data,
                                   access.actor())
            saved += 1
        except Refusal as refusal:
            if not _on_verdict(form, refusal):
                return refused(refusal, lambda problems, status: _visit_page(visit_id, problems, status,
                                                                            verdicts=forms))
            wrong = True
    if wrong:
        session.rollback()
        return _visit_page(visit_id, [_("Nothing was saved: correct the verdicts marked below.")], 422,
                           verdicts=forms)
    flash_for_item("verdicts", _("Verdicts saved: %(count)s.", count=saved) if saved
                   else _("The verdicts were already as sent; nothing changed."))
    return redirect(url_for(".visit", tenant=tenant, visit_id=visit_id, _anchor="save-verdicts"))


@bp.post("/tenants/<tenant>/onboarding/visits/<uuid:visit_id>/verdicts/<code>")
@roles_allowed(*VERIFIERS)
def record_verdict(tenant, visit_id, code):
    """One item's verdict, a correction (its fields are the same as in the form of every verdict)."""
    form = VerdictForm(request.form, prefix=code)
    if not _checked(form):
        return _visit_page(visit_id, [str(error) for errors in form.errors.values() for error in errors], 422,
                           verdicts={code: form})
    access, session = current_access(), request_session()
    title = _item_title(code)
    try:
        service.record_verdict(session, access.tenant, visit_id, code, form.verdict.data, form.note.data,
                               access.actor())
    except Refusal as refusal:
        _on_verdict(form, refusal)
        return refused(refusal, lambda problems, status: _visit_page(visit_id, problems, status,
                                                                    verdicts={code: form}))
    flash_for_item(code, _("The verdict on %(item)s was saved.", item=title))
    return redirect(url_for(".visit", tenant=tenant, visit_id=visit_id, _anchor=f"item-{code}"))


def _visit_url(tenant, visit_id, code=None, **_ignored) -> str:
    return url_for(".visit", tenant=tenant, visit_id=visit_id, _anchor=f"item-{code}" if code else None)


for _rule, _endpoint in (("/verdicts", "verdicts_page"), ("/verdicts/<code>", "verdict_page"),
                         ("/verdicts/<code>/photos", "photos_page"), ("/actions", "visit_act_page")):
    reloadable("/tenants/<tenant>/onboarding/visits/<uuid:visit_id>" + _rule, _endpoint, _visit_url)


@bp.post("/tenants/<tenant>/onboarding/visits/<uuid:visit_id>/verdicts/<code>/photos")
@roles_allowed(*VERIFIERS)
def upload_photo(tenant, visit_id, code):
    form = PhotoForm()
    if not form.validate_on_submit():
        return _visit_page(visit_id, _form_problems(form), 422)
    access, session, upload = current_access(), request_session(), form.file.data
    try:  # store_evidence commits (file and row together) or keeps nothing
        photo = service.store_evidence(session, access.tenant, code, upload.stream, upload.filename, access.actor(),
                                       file_store(), visit_id=visit_id)
    except Refusal as refusal:
        return _visit_refused(visit_id, refusal)
    flash(_("%(name)s was attached.", name=photo.name))
    return redirect(url_for(".visit", tenant=tenant, visit_id=visit_id, _anchor=f"item-{code}"))


@bp.get("/tenants/<tenant>/onboarding/visits/<uuid:visit_id>/verdicts/<code>/photos/<uuid:evidence_id>")
@roles_allowed(*READERS)
def visit_photo(tenant, visit_id, code, evidence_id):
    return file_response(service.get_evidence(request_session(), current_access().tenant, code, evidence_id, visit_id))


@bp.post("/tenants/<tenant>/onboarding/visits/<uuid:visit_id>/actions")
@roles_allowed(*VERIFIERS)
def visit_act(tenant, visit_id):
    form = VisitActionForm()
    if not form.validate_on_submit():
        return _visit_page(visit_id, _form_problems(form), 422)
    access, session = current_access(), request_session()
    name = form.action.data
    try:
        # findings and recommendations only when the form had them (a monitoring visit's)
        service.visit_action(session, access.tenant, visit_id, name, access.actor(), note=form.note.data,
                             findings=form.findings.data if form.findings.raw_data else None,
                             recommendations=form.recommendations.data if form.recommendations.raw_data else None)
    except Refusal as refusal:
        return _visit_refused(visit_id, refusal)
    flash(str(VISIT_DONE[name]))
    return redirect(url_for(".visit", tenant=tenant, visit_id=visit_id))


@bp.get("/tenants/<tenant>/onboarding/visits/<uuid:visit_id>/report")
@roles_allowed(*READERS)
def visit_report(tenant, visit_id):
    session = request_session()
    report = service.visit_report(session, current_access().tenant, visit_id)
    mandatory = [state for state in report.items if state.item.mandatory]
    return render_template("onboarding/visit_report.html", **_labels(
        tenant=report.tenant, report=report, visit=report.visit,
        groups=[(area, [s for s in report.items if s.item.area == area]) for area in AREAS
                if any(s.item.area == area for s in report.items)],
        counts=report.counts, mandatory_total=len(mandatory),
        completed_by=_names(session, [report.visit.completed_by]).get(report.visit.completed_by),
        now=datetime.now(timezone.utc)))


# --- telco routing ----------------------------------------------------------------------------

def _routing_page(problems: list[str] | None = None, status: int = 200, form: RoutingForm | None = None,
                  telco: str | None = None):
    access, session = current_access(), request_session()
    application = service.find_application(session, access.tenant.id)
    rows = service.list_routing(session, access.tenant)
    required = [row for row in rows if row.required]
    return render_template("onboarding/routing.html", **_labels(
        tenant=access.tenant, application=application, rows=rows, problems=problems or [],
        can_record=_is_verifier() and application is not None and application.status == "approved",
        names=_names(session, [row.test_call_by for row in rows]), national_format=national_format,
        passed=sum(1 for row in required if row.status == "test_call_passed"), required_total=len(required),
        failures=service.failed_test_calls(session, access.tenant, rows),
        form=form, failed_telco=telco)), status


@bp.get("/tenants/<tenant>/onboarding/routing")
@roles_allowed(*READERS)
def routing(tenant):
    return _routing_page()


@bp.post("/tenants/<tenant>/onboarding/routing/<telco>/actions")
@roles_allowed(*VERIFIERS)
def routing_act(tenant, telco):
    if telco not in TELCOS:
        abort(404)
    form = RoutingForm()
    if not form.validate_on_submit():
        return _routing_page(_form_problems(form), 422, form, telco)
    access, session = current_access(), request_session()
    called_at = form.called_at.data
    if called_at is not None:  # the time as read on the region's clock
        called_at = called_at.replace(tzinfo=ZoneInfo(access.tenant.time_zone))
    name = form.action.data
    try:
        if name == "fail_test_call":
            row = service.fail_test_call(session, access.tenant, telco, access.actor(), form.note.data,
                                         from_number=form.from_number.data)
        else:
            row = service.routing_action(session, access.tenant, telco, name, access.actor(), note=form.note.data,
                                         from_number=form.from_number.data, called_at=called_at)
    except Refusal as refusal:
        return refused(refusal, lambda problems, status: _routing_page(problems, status, form, telco))
    live = service.find_application(session, access.tenant.id).status == "live"
    flash(str(ROUTING_DONE[name]) % {"telco": row.telco_name})
    if live:
        flash(_("112 is live in %(region)s.", region=access.tenant.name))
    return redirect(url_for(".routing", tenant=tenant, _anchor=f"telco-{telco}"))


reloadable("/tenants/<tenant>/onboarding/routing/<telco>/actions", "routing_act_page",
           lambda tenant, telco: url_for(".routing", tenant=tenant, _anchor=f"telco-{telco}"))
