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

from siaga112.platform.db import request_session
from siaga112.platform.identity.access import current_access, roles_allowed
from siaga112.platform.identity.roles import MINISTRY_VERIFIER, NATIONAL_MONITOR, PLATFORM_ADMIN, REGIONAL_ADMIN
from siaga112.platform.refusals import PAGE_STALE, NotFound, Refusal, Stale, form_error
from siaga112.platform.regions.models import Region
from siaga112.platform.storage import file_store
from siaga112.tenants.directory.forms import phone_message
from siaga112.tenants.directory.phone import InvalidNumber

from . import service
from .api import file_response
from .checklist import AREAS
from .common import reader_language
from .forms import ActionForm, ItemForm, RemoveForm, first_invalid
from .models import OnboardingApplication
from .state import STATUS_TEXT

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


ITEM_MESSAGE = "item:"  # the category of a message flashed for one item: shown in that item, not above the page


def flash_for_item(code: str, message: str) -> None:
    flash(message, ITEM_MESSAGE + code)


def _helpers(**values) -> dict:
    flashed = get_flashed_messages(with_categories=True)
    item_messages: dict[str, list[str]] = {}
    for category, message in flashed:
        if category.startswith(ITEM_MESSAGE):
            item_messages.setdefault(category.removeprefix(ITEM_MESSAGE), []).append(message)
    return {"lang": reader_language(), "status_label": status_label, "stage_label": stage_label, "areas": AREAS,
            "format_date": format_date, "format_datetime": format_datetime, "file_size": file_size,
            "messages": [message for category, message in flashed if not category.startswith(ITEM_MESSAGE)],
            "item_messages": item_messages, **values}


# --- the checklist -------------------------------------------------------------------------------

DANGEROUS = {  # actions that cannot be taken back: a danger button, and a second button to confirm
    "reject": lazy_gettext("Yes, reject the application"),
    "withdraw": lazy_gettext("Yes, withdraw the application"),
}
ITEM_FIELDS = ("answer", "note", "file")


class PostedItem:
    """The item form as it was sent and refused: what to show again, and which field to focus."""

    def __init__(self, code: str, form: ItemForm, files_chosen: bool):
        self.code, self.form, self.files_chosen = code, form, files_chosen
        self.general = [*form.form_errors, *(_("The form expired or was incomplete; try again.")
                                             for _error in form.csrf_token.errors[:1])]
        self.focus = first_invalid(form, {"answer": f"answer-{code}-yes", "note": f"note-{code}",
                                          "file": f"file-{code}"}) or f"item-{code}-errors"


def _checklist_page(form: ActionForm | None = None, problems: list[str] | None = None, status: int = 200,
                    posted: PostedItem | None = None):
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
    helpers = _helpers()
    opened = set(helpers["item_messages"]) | {request.args.get("item", "")} | ({posted.code} if posted else set())
    return render_template("onboarding/checklist.html", **helpers, **dict(
        tenant=access.tenant, view=view, groups=groups, form=form or ActionForm(formdata=None),
        problems=problems or [], action_labels=ACTION_LABELS, dangerous=DANGEROUS, note_required={
            name for name, action in service.ACTIONS.items() if action.note_required},
        can_edit=bool(view and access.role == REGIONAL_ADMIN and view.application.status in service.EDITABLE),
        posted=posted, opened=opened,
        history=[t for t in view.history if t.subject == "application"][:20] if view else [])), status


@bp.get("/tenants/<tenant>/onboarding")
@roles_allowed(*READERS)
def checklist(tenant):
    return _checklist_page()


def reloadable(rule: str, endpoint: str, target: Callable[..., str]) -> None:
    """GET of a URL that only takes forms: after a refused form the address bar shows it, and reloading (or
    opening it again) leads to the page the form was on, `target(**path values)`."""
    def back(**values):
        return redirect(target(**values))

    bp.add_url_rule(rule, endpoint, roles_allowed(*READERS)(back), methods=["GET"])


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


reloadable("/tenants/<tenant>/onboarding/actions", "act_page", lambda tenant: url_for(".checklist", tenant=tenant))


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


def on_form(form: FlaskForm, refusal: Refusal, fields: tuple[str, ...]) -> None:
    """A refusal shown on the form: at the field it names when the form shows that field, else on the form."""
    if refusal.field in fields and not isinstance(refusal, (service.Blocked, Stale)):
        form_error(form, refusal)
    else:
        form.form_errors.extend(refusal_texts(refusal))


def _form_problems(form: FlaskForm) -> list[str]:
    if form.csrf_token.errors:
        return [_("The form expired or was incomplete; try again.")]
    return [str(message) for messages in form.errors.values() for message in messages]


def _refused(refusal: Refusal):
    """The checklist again with why the removal of a file was refused."""
    return refused(refusal, lambda problems, status: _checklist_page(problems=problems, status=status))


def _back_to(tenant: str, code: str):
    return redirect(url_for(".checklist", tenant=tenant, _anchor=f"item-{code}"))


def _item_page(tenant: str, code: str) -> str:
    return url_for(".checklist", tenant=tenant, item=code, _anchor=f"item-{code}")


# --- a declared item: its answer, note and evidence in one form ----------------------------------

@bp.post("/tenants/<tenant>/onboarding/items/<code>")
@roles_allowed(REGIONAL_ADMIN)
def save_item(tenant, code):
    """Answer, note and new files of one item, saved together or not at all (PRG to the item, its message in it)."""
    form = ItemForm()
    uploads = form.uploads()
    if not form.validate_on_submit():
        return _checklist_page(problems=_form_problems(form), status=422,
                               posted=PostedItem(code, form, bool(uploads)))
    access, session = current_access(), request_session()
    try:  # the answer and every file in the request's one transaction; the stored files go if it rolls back
        attached = service.save_item(session, access.tenant, code, form.answer.data, form.note.data,
                                     [(upload.stream, upload.filename) for upload in uploads], access.actor(),
                                     file_store())
    except Refusal as refusal:
        session.rollback()
        if isinstance(refusal, NotFound):
            raise
        on_form(form, refusal, ITEM_FIELDS)
        return _checklist_page(problems=refusal_texts(refusal), status=refusal.status,
                               posted=PostedItem(code, form, bool(uploads)))
    message = _("The answer was saved.")
    if attached:
        message += " " + _("Attached: %(names)s.", names=", ".join(evidence.name for evidence in attached))
    flash_for_item(code, message)
    return _back_to(tenant, code)


reloadable("/tenants/<tenant>/onboarding/items/<code>", "item", _item_page)


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
    flash_for_item(code, _("The file was removed."))
    return _back_to(tenant, code)


reloadable("/tenants/<tenant>/onboarding/items/<code>/evidence/<uuid:evidence_id>/remove", "remove_evidence_page",
           lambda tenant, code, evidence_id: _item_page(tenant, code))


# --- the ministry's queue ------------------------------------------------------------------------

@bp.get("/onboarding/queue")
@roles_allowed(*QUEUE_ROLES)
def queue():
    query = (service.pipeline_query(list(WAITING)).add_columns(Region.name, Region.province_code).order_by(None)
             .order_by(OnboardingApplication.submitted_at.asc().nulls_last(), Region.code))
    rows = request_session().execute(query).all()
    return render_template("onboarding/queue.html", **_helpers(rows=rows))
