"""The public home page (a search box, the national figures, the regions of a search or a province), and the
ministry's import of the regions that already run 112 outside Siaga112."""

from __future__ import annotations

import base64

from flask import (Blueprint, current_app, flash, g, get_flashed_messages, redirect, render_template,
                   request, url_for)
from flask_babel import format_decimal, get_locale, lazy_gettext
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from ..db import request_session
from ..identity.access import current_access, public, roles_allowed
from ..identity.web_session import signed_in_user_id
from ..refusals import Stale
from . import forms, published, service
from .api import EXTERNAL_IMPORTERS
from .models import Region

bp = Blueprint("regions_web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets/regions")

STATUS_ORDER = ("live", "onboarding", "prospect", "suspended", "external", "not_onboarded")


def status_of(region: published.PublicRegion, tenant_statuses: dict[str, str]) -> str:
    """A tenant's status; without one, `external` when the region runs 112 outside Siaga112."""
    return tenant_statuses.get(region.code) or ("external" if region.external_since else "not_onboarded")


def _page(stamp: published.Stamp) -> str:
    regions = published.published().regions(request_session, stamp.version)
    statuses = service.region_statuses(request_session())
    provinces: dict[str, dict] = {}
    for region in regions:
        entry = provinces.setdefault(region.province_code, {"code": region.province_code, "name": region.province_name,
                                                            "time_zone": region.time_zone, "regions": 0})
        entry["regions"] += 1
    summary = dict.fromkeys(STATUS_ORDER, 0)
    for region in regions:
        summary[status_of(region, statuses)] += 1
    q = service.clean_search(request.args.get("q", ""))
    province = request.args.get("province", "")
    province = province if province in provinces else ""
    show_all = request.args.get("all") == "1"
    listed = []
    if q or province or show_all:
        listed = published.matching(regions, province=province or None, q=q or None)
    groups: list[tuple[dict, list]] = []
    for region in listed:
        if not groups or groups[-1][0]["code"] != region.province_code:
            groups.append((provinces[region.province_code], []))
        groups[-1][1].append(region)
    return render_template(
        "regions/home.html", q=q, province=provinces.get(province), show_all=show_all, groups=groups,
        provinces=list(provinces.values()), statuses=statuses, status_of=status_of, summary=summary,
        matched=len(listed), total=len(regions))


@bp.get("/")
@public
def home():
    """Anonymous visitors share one rendering per address and language, until the registry or a tenant
    changes (published.py); a signed-in person's page carries their header and is rendered for them."""
    copy = published.published()
    stamp = copy.stamp(request_session)
    if g.get("principal") is not None or signed_in_user_id() is not None:
        return _page(stamp)
    answer = copy.answer(stamp, ("home", str(get_locale()), request.full_path), lambda: (_page(stamp).encode(), {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "public, no-cache",  # may be kept, but is asked for again every time (ETag)
        "Vary": "Cookie",  # the language, and being signed in, come from cookies
    }), stamp.changed_at)
    return published.respond(answer)


# --- regions that run 112 outside Siaga112: the ministry's list, imported from a CSV ---------------

PLAN_SALT = "siaga112.regions.external-112"
PLAN_MAX_AGE = 3600  # a preview may be confirmed within the hour


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=PLAN_SALT)


def _external_page(status: int = 200, **values):
    session = request_session()
    current = session.scalars(select(Region).where(Region.external_112_since.is_not(None)).order_by(Region.code)).all()
    values.setdefault("upload", forms.ExternalUploadForm())
    return render_template("regions/external_112.html", current=current, messages=get_flashed_messages(True),
                           max_note=service.MAX_EXTERNAL_NOTE, **values), status


def _preview(data: bytes, notice: str | None = None, status: int = 200):
    session = request_session()
    plan = service.parse_external_csv(session, data)
    token = _signer().dumps({"csv": base64.b64encode(data).decode(), "version": service.registry_version(session)})
    return _external_page(status, plan=plan, confirm=forms.ExternalConfirmForm(plan=token), notice=notice)


@bp.get("/regions/external-112")
@roles_allowed(*EXTERNAL_IMPORTERS)
def external_112():
    return _external_page()


@bp.post("/regions/external-112/preview")
@roles_allowed(*EXTERNAL_IMPORTERS)
def external_112_preview():
    upload = forms.ExternalUploadForm()
    if not upload.validate_on_submit():
        return _external_page(422, upload=upload)
    try:
        return _preview(upload.file.data.read(service.MAX_EXTERNAL_BYTES + 1))
    except service.ExternalFileInvalid as refusal:
        return _external_page(422, upload=upload, refusal=refusal)


@bp.post("/regions/external-112/confirm")
@roles_allowed(*EXTERNAL_IMPORTERS)
def external_112_confirm():
    confirm = forms.ExternalConfirmForm()
    try:
        if not confirm.validate_on_submit():
            raise BadSignature("no plan")
        signed = _signer().loads(confirm.plan.data, max_age=PLAN_MAX_AGE)
        data = base64.b64decode(signed["csv"])
    except (BadSignature, KeyError, ValueError, TypeError):
        flash(_("This preview has expired or did not come from Siaga112; upload the file again."), "error")
        return redirect(url_for(".external_112"))
    session = request_session()
    try:
        plan = service.parse_external_csv(session, data)
        plan = service.import_external_112(session, plan.rows, current_access().actor(), signed["version"])
    except Stale as refusal:
        session.rollback()
        return _preview(data, notice=refusal.text(), status=409)
    except service.ExternalFileInvalid as refusal:
        session.rollback()
        return _external_page(422, refusal=refusal)
    counts = {kind: format_decimal(count) for kind, count in plan.counts.items()}
    flash(_("Imported: %(new)s new, %(changed)s changed, %(removed)s removed, %(unchanged)s unchanged.", **counts),
          "done")
    return redirect(url_for(".external_112"))


@bp.record_once
def _menu(state) -> None:
    from ..navigation import add_menu_entry

    add_menu_entry(state.app, "regions_web.external_112", lazy_gettext("112 outside Siaga112"), order=40)
