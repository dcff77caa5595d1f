"""The onboarding pages: the region's checklist, the national pipeline and the ministry's queue.

The same service as the API (service.py); the pages only read, call service.act, commit and redirect.
Checklist titles, reasons and refusals come from the service in both languages (Text objects), so the
pages pick the reader's language; the rest of the wording is in the message catalogue.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
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
from siaga112.platform.regions.models import Province, Region
from siaga112.platform.storage import EmptyUpload, StorageError, TooLarge, UnsupportedContent, file_store
from siaga112.tenants.directory.forms import SelectChoice

from . import service
from .api import UPLOAD_STATUS, file_response
from .application import MAX_NOTE, STATUS_TEXT
from .checklist import AREAS
from .models import OnboardingApplication

bp = Blueprint("onboarding_web", __name__, template_folder="templates")

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


UPLOAD_MESSAGES = {
    TooLarge: lazy_gettext("The file is larger than 20 MB; upload a smaller one (scan at a lower resolution)."),
    UnsupportedContent: lazy_gettext("The file is not a PDF, JPEG or PNG (whatever its name says)."),
    EmptyUpload: lazy_gettext("The file is empty."),
}
REFUSALS = {
    "note_required": lazy_gettext("Say why in a note: the region reads it to know what to do."),
    "role": lazy_gettext("Your role may not do this."),
    "stale": lazy_gettext("Someone else changed the application meanwhile; reload the page and try again."),
    "bad_answer": lazy_gettext("Answer yes or no."),
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


def language() -> str:
    return str(get_locale() or "id")


def status_label(status: str) -> str:
    text = STATUS_TEXT.get(status)
    return text.get(language()) if text else status


def stage_label(stage: str) -> str:
    return str(STAGE_LABELS[stage]) if stage in STAGE_LABELS else status_label(stage)


def file_size(size: int) -> str:
    """A file's size as people read it: 58 B, 12,5 KB, 3,2 MB (decimal mark of the reader's language)."""
    if size < 1024:
        return f"{size} B"
    unit, value = ("KB", size / 1024) if size < 1024 * 1024 else ("MB", size / (1024 * 1024))
    return f"{format_decimal(value, '#,##0.0')} {unit}"


def _helpers(**values) -> dict:
    return {"lang": language(), "status_label": status_label, "stage_label": stage_label, "areas": AREAS,
            "format_date": format_date, "format_datetime": format_datetime, "file_size": file_size,
            "messages": get_flashed_messages(), **values}


# --- the checklist -------------------------------------------------------------------------------

def _checklist_page(form: ActionForm | None = None, problems: list[str] | None = None, status: int = 200):
    access, session = current_access(), request_session()
    application = service.find_application(session, access.tenant.id)
    if application is None and access.role == REGIONAL_ADMIN:  # the region's first visit opens its draft
        service.open_application(session, access.tenant, access.actor())
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
    except service.OnboardingError as error:
        session.rollback()
        return _checklist_page(form, _refusal(error), error.status if error.status != 404 else 422)
    session.commit()
    flash(str(DONE.get(name, _("Done."))))
    return redirect(url_for(".checklist", tenant=tenant))


def _refusal(error: service.OnboardingError) -> list[str]:
    """A service refusal in the reader's language: the listed missing items, or a sentence for the code."""
    if error.missing:
        return [missing.text.get(language()) for missing in error.missing]
    if error.code == "note_too_long":
        return [_("Keep the note under %(count)s characters.", count=MAX_NOTE)]
    if error.code in REFUSALS:
        return [str(REFUSALS[error.code])]
    return [_("This action is not possible now.")]


def _form_problems(form: FlaskForm) -> list[str]:
    if form.csrf_token.errors:
        return [_("The form expired or was incomplete; try again.")]
    return [str(message) for messages in form.errors.values() for message in messages]


def upload_refusal(error: StorageError) -> tuple[list[str], int]:
    """Why an upload was refused, in the reader's language, and its status (413 too large, 415 not PDF/JPEG/PNG)."""
    return [str(UPLOAD_MESSAGES.get(type(error), error))], UPLOAD_STATUS.get(type(error), 422)


def _refused(error: service.OnboardingError):
    """The checklist again with why the item's change was refused (404 for an item that does not exist)."""
    request_session().rollback()
    if error.status == 404:
        abort(404)
    return _checklist_page(problems=_refusal(error), status=error.status)


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
    except service.OnboardingError as error:
        return _refused(error)
    session.commit()
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
    except StorageError as error:
        session.rollback()
        problems, status = upload_refusal(error)
        return _checklist_page(problems=problems, status=status)
    except service.OnboardingError as error:
        return _refused(error)
    flash(_("%(name)s was attached.", name=evidence.name))
    return _back_to(tenant, code)


@bp.get("/tenants/<tenant>/onboarding/items/<code>/evidence/<uuid:evidence_id>")
@roles_allowed(*READERS)
def evidence_file(tenant, code, evidence_id):
    try:
        evidence = service.get_evidence(request_session(), current_access().tenant, code, evidence_id)
    except service.OnboardingError:
        abort(404)
    return file_response(evidence)


@bp.post("/tenants/<tenant>/onboarding/items/<code>/evidence/<uuid:evidence_id>/remove")
@roles_allowed(REGIONAL_ADMIN)
def remove_evidence(tenant, code, evidence_id):
    form = RemoveForm()
    if not form.validate_on_submit():
        return _checklist_page(problems=_form_problems(form), status=422)
    access, session = current_access(), request_session()
    try:
        key = service.remove_evidence(session, access.tenant, code, evidence_id, access.actor())
    except service.OnboardingError as error:
        return _refused(error)
    session.commit()
    file_store().delete(key)  # only once the row is gone for good
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
