"""The public home page: a search box, the national figures, and the regions of a search or a province."""

from __future__ import annotations

from flask import Blueprint, g, make_response, render_template, request
from flask_babel import get_locale

from ..db import request_session
from ..identity.access import public
from ..identity.web_session import signed_in_user_id
from . import published, service

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
    answer = copy.answer(stamp, ("home", str(get_locale()), request.full_path), lambda: (_page(stamp).encode(), {}))
    response = make_response(answer.body)
    response.mimetype = "text/html"
    response.headers["Cache-Control"] = "public, no-cache"  # keep it, but ask every time (ETag)
    response.vary.add("Cookie")  # the language and being signed in come from cookies
    return published.conditional(response, request, answer, stamp.changed_at)
