"""The onboarding pages: the region's checklist, the national pipeline and the ministry's queue.

The same service as the API (service.py); the pages only read, call the service and redirect (the
request's unit of work commits). A refusal re-renders the page with why, in the reader's language (the
refusal's own text, or the `missing` entries of a Blocked), under the refusal's status; a NotFound leaves
as the 404 page. Checklist titles and reasons come from the service in both languages (Text objects);
the rest of the wording is in the message catalogue.
"""

from __future__ import annotations

from typing import Callable

from flask import Blueprint, flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.roles import (MINISTRY_VERIFIER, NATIONAL_MONITOR, PLATFORM_ADMIN, PLATFORM_ROLES,
                                              REGIONAL_ADMIN)
from siaga112.platform.refusals import PAGE_STALE, NotFound, Refusal, Stale
from siaga112.platform.regions.models import Province, Region
from siaga112.platform.storage import file_store
from siaga112.tenants.directory.forms import SelectChoice, phone_message
from siaga112.tenants.directory.phone import InvalidNumber

from . import service
from .api import file_response
from .checklist import AREAS
from .common import reader_language
from .models import OnboardingApplication
from .state import MAX_NOTE, STATUS_TEXT

bp = Blueprint("onboarding_web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets/onboarding")

READERS = (REGIONAL_ADMIN, PLATFORM_ADMIN, MINISTRY_VERIFIER, NATIONAL_MONITOR)
ACTORS = (REGIONAL_ADMIN, MINISTRY_VERIFIER)
QUEUE_ROLES = (MINISTRY_VERIFIER, PLATFORM_ADMIN)
WAITING = ("submitted", "in_review", "visit_scheduled", "visited")  # waiting for the ministry

ACTION_LABELS = {
    "submit": lazy_gettext("Submit for verification"),
    "withdraw": lazy_gettext("Withdraw the application"),
    "reopen": lazy_gettext("Start again as a draft"),
    "start_review": lazy_gettext("Start the review"),
    "request_changes": lazy_gettext("Request changes"),
    "approve": lazy_gettext("Approve"),
    "reject": lazy_gettext("Reject"),
}
DONE = {
    "submit": lazy_gettext("The application was submitted to the ministry."),
    "withdraw": lazy_gettext("The application was withdrawn."),
    "reopen": lazy_gettext("The application is a draft again."),
    "start_review": lazy_gettext("The review has started."),
    "request_changes": lazy_gettext("Changes were requested from the region."),
    "approve": lazy_gettext("The application was approved; telco routing is requested."),
    "reject": lazy_gettext("The application was rejected."),
}
STAGE_LABELS = {
    "no_tenant": lazy_gettext("No tenant yet"),
    "not_started": lazy_gettext("Not started"),
}


class ActionForm(FlaskForm):
    """One action button: the action's name, and a note where the action needs one."""

    action = HiddenField(validators=[InputRequired()])
    note = TextAreaField(lazy_gettext("Note"), validators=[Optional(), Length(max=MAX_NOTE)])


class AnswerForm(FlaskForm):
    """The region's yes/no on a declared item, with a note."""

    answer = RadioField(lazy_gettext("Answer"), choices=[SelectChoice("yes", lazy_gettext("Yes")),
                                                         SelectChoice("no", lazy_gettext("No"))],
                        validators=[InputRequired(message=lazy_gettext("Answer yes or no."))])
    note = TextAreaField(lazy_gettext("Note"), validators=[Optional(), Length(max=MAX_NOTE)])


class EvidenceForm(FlaskForm):
    file = FileField(lazy_gettext("File (PDF, JPEG or PNG, at most 20 MB)"),
                     validators=[FileRequired(message=lazy_gettext("Choose a file to upload."))])


class RemoveForm(FlaskForm):
    """Removing an evidence file: the CSRF token is all it carries."""


def status_label(status: str) -> str:
    text = STATUS_TEXT.get(status)
    return text.get(reader_language()) if text else status


def stage_label(stage: str) -> str:
    return str(STAGE_LABELS[stage]) if stage in STAGE_LABELS else status_label(stage)


def file_size(size: int) -> str:
    """A file's size as people read it: 58 B, 12,5 KB, 3,2 MB (decimal mark of the reader's language)."""
    if size < 1024:
        return f"{size} B"
    unit, value = ("KB", size / 1024) if size < 1024 * 1024 else ("MB", size / (1024 * 1024))
    return f"{format_decimal(value, '#,##0.0')} {unit}"


def _helpers(**values) -> dict:
    return {"lang": reader_language(), "status_label": status_label, "stage_label": stage_label, "areas": AREAS,
            "format_date": format_date, "format_datetime": format_datetime, "file_size": file_size,
            "messages": get_flashed_messages(), **values}


# --- the checklist -------------------------------------------------------------------------------

def _checklist_page(form: ActionForm | None = None, problems: list[str] | None = None, status: int = 200):
    access, session = current_access(), request_session()
    application = service.find_application(session, access.tenant.id)
    if application is None and access.role == REGIONAL_ADMIN:  # the region's first visit opens its draft
        service.open_application(session, access.tenant, access.actor())
        # A deliberate early commit: the page may answer 4xx (re-rendered after a refusal, when the unit of
        # work keeps nothing), and the draft it shows must exist all the same.
        session.commit()
        application = service.find_application(session, access.tenant.id)
    view = None
    if application is not None:
        view = service.view(session, access.tenant, application, access.role)
    groups = []
    if view is not None:
        for area in AREAS:
            states = [state for state in view.items if state.item.area == area]
            if states:
                groups.append((area, states))
    return render_template("onboarding/checklist.html", **_helpers(
        tenant=access.tenant, view=view, groups=groups, form=form or ActionForm(formdata=None),
        problems=problems or [], action_labels=ACTION_LABELS, note_required={
            name for name, action in service.ACTIONS.items() if action.note_required},
        can_edit=bool(view and access.role == REGIONAL_ADMIN and view.application.status in service.EDITABLE),
        history=[t for t in view.history if t.subject == "application"][:20] if view else [])), status


@bp.get("/tenants/<tenant>/onboarding")
@roles_allowed(*READERS)
def checklist(tenant):
    return _checklist_page()


@bp.post("/tenants/<tenant>/onboarding/actions")
@roles_allowed(*ACTORS)
def act(tenant):
    form = ActionForm()
    if not form.validate_on_submit():
        return _checklist_page(form, [_("The form expired or was incomplete; try again.")], 422)
    access, session = current_access(), request_session()
    name = form.action.data
    try:
        service.act(session, access.tenant, name, form.note.data, access.actor())
    except Refusal as refusal:
        return refused(refusal, lambda problems, status: _checklist_page(form, problems, status))
    flash(str(DONE.get(name, _("Done."))))
    return redirect(url_for(".checklist", tenant=tenant))


def refusal_texts(refusal: Refusal) -> list[str]:
    """Why, in the reader's language: what is missing (a Blocked, one line each), or the refusal's sentence."""
    if isinstance(refusal, service.Blocked):
        return refusal.texts()
    if isinstance(refusal, Stale):  # the page shows the current version again
        return [_(PAGE_STALE)]
    if refusal.field == "from_number":  # a test call's number, worded as the directory words its numbers
        return [str(phone_message(InvalidNumber(refusal.english(), refusal.code or "")))]
    return [refusal.text()]


def refused(refusal: Refusal, page: Callable[[list[str], int], object]):
    """A refusal on a page: the request's work undone, then `page(problems, status)` saying why under the
    refusal's status. A NotFound (no such item, visit, file or telco) leaves as the 404 page."""
    request_session().rollback()
    if isinstance(refusal, NotFound):
        raise refusal
    return page(refusal_texts(refusal), refusal.status)


def _form_problems(form: FlaskForm) -> list[str]:
    if form.csrf_token.errors:
        return [_("The form expired or was incomplete; try again.")]
    return [str(message) for messages in form.errors.values() for message in messages]


def _refused(refusal: Refusal):
    """The checklist again with why the item's change (or upload: 413, 415, 422) was refused."""
    return refused(refusal, lambda problems, status: _checklist_page(problems=problems, status=status))


def _back_to(tenant: str, code: str):
    return redirect(url_for(".checklist", tenant=tenant, _anchor=f"item-{code}"))


# --- answers and evidence of declared items --------------------------------------------------

@bp.post("/tenants/<tenant>/onboarding/items/<code>/answer")
@roles_allowed(REGIONAL_ADMIN)
def answer(tenant, code):
    form = AnswerForm()
    if not form.validate_on_submit():
        return _checklist_page(problems=_form_problems(form), status=422)
    access, session = current_access(), request_session()
    try:
        service.answer_item(session, access.tenant, code, form.answer.data, form.note.data, access.actor())
    except Refusal as refusal:
        return _refused(refusal)
    flash(_("The answer was saved."))
    return _back_to(tenant, code)


@bp.post("/tenants/<tenant>/onboarding/items/<code>/evidence")
@roles_allowed(REGIONAL_ADMIN)
def upload_evidence(tenant, code):
    form = EvidenceForm()
    if not form.validate_on_submit():
        return _checklist_page(problems=_form_problems(form), status=422)
    access, session, upload = current_access(), request_session(), form.file.data
    try:  # store_evidence commits (file and row together) or keeps nothing
        evidence = service.store_evidence(session, access.tenant, code, upload.stream, upload.filename,
                                          access.actor(), file_store())
    except Refusal as refusal:
        return _refused(refusal)
    flash(_("%(name)s was attached.", name=evidence.name))
    return _back_to(tenant, code)


@bp.get("/tenants/<tenant>/onboarding/items/<code>/evidence/<uuid:evidence_id>")
@roles_allowed(*READERS)
def evidence_file(tenant, code, evidence_id):
    return file_response(service.get_evidence(request_session(), current_access().tenant, code, evidence_id))


@bp.post("/tenants/<tenant>/onboarding/items/<code>/evidence/<uuid:evidence_id>/remove")
@roles_allowed(REGIONAL_ADMIN)
def remove_evidence(tenant, code, evidence_id):
    form = RemoveForm()
    if not form.validate_on_submit():
        return _checklist_page(problems=_form_problems(form), status=422)
    access, session = current_access(), request_session()
    try:  # remove_evidence commits, then deletes the file
        service.remove_evidence(session, access.tenant, code, evidence_id, access.actor(), file_store())
    except Refusal as refusal:
        return _refused(refusal)
    flash(_("The file was removed."))
    return _back_to(tenant, code)


# --- the national pipeline -----------------------------------------------------------------------

PIPELINE_PAGE = 100


@bp.get("/onboarding/pipeline")
@roles_allowed(*PLATFORM_ROLES)
def pipeline():
    session = request_session()
    provinces = session.execute(select(Province.code, Province.name).order_by(Province.code)).all()
    province = request.args.get("province") or None
    if province not in {code for code, _name in provinces}:
        province = None
    stage = request.args.get("stage") or None
    if stage not in service.PIPELINE_STAGES:
        stage = None
    counts = service.stage_counts(session, province)
    matching = counts[stage] if stage else sum(counts.values())
    pages = max(1, -(-matching // PIPELINE_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    offset = (page - 1) * PIPELINE_PAGE
    rows = session.execute(service.region_stages(stage, province).limit(PIPELINE_PAGE).offset(offset)).all()
    return render_template("onboarding/pipeline.html", **_helpers(
        counts=counts, total=sum(counts.values()), peak=max(counts.values()) or 1, rows=rows, matching=matching,
        offset=offset, page=page, pages=pages, provinces=provinces, province=province, stage=stage,
        stages=service.PIPELINE_STAGES))


# --- the ministry's queue ------------------------------------------------------------------------

@bp.get("/onboarding/queue")
@roles_allowed(*QUEUE_ROLES)
def queue():
    query = (service.pipeline_query(list(WAITING)).add_columns(Region.name, Region.province_code).order_by(None)
             .order_by(OnboardingApplication.submitted_at.asc().nulls_last(), Region.code))
    rows = request_session().execute(query).all()
    return render_template("onboarding/queue.html", **_helpers(rows=rows))
