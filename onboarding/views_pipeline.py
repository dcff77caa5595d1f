"""The national pipeline: every region by stage of its readiness for 112 (platform roles).

A bar chart of the stages drawn on the server (platform/charts.py: pygal, inline SVG under the
CSP), each bar a link to the list filtered to it; the regions without a tenant in a figure of
their own, split into those that already run 112 outside Siaga112 and those that never started,
so that 300-odd of them do not flatten the other bars. The list sorts by column (`?sort=name`,
`?sort=-submitted`) and exports as CSV (`?format=csv`: UTF-8 with a BOM for Excel, the reader's
column names, `;` between fields in Bahasa Indonesia as Excel expects there).
"""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from siaga112.platform.charts import Bar, bar_chart
from siaga112.platform.db import request_session
from siaga112.platform.headers import as_download
from siaga112.platform.identity.access import roles_allowed
from siaga112.platform.identity.roles import PLATFORM_ROLES
from siaga112.platform.regions.models import Province

from . import service
from .application import PIPELINE_SORTS, external_counts
from .common import reader_language
from .views import _helpers, bp, stage_label

PIPELINE_PAGE = 100
# What each stage's bar looks like (onboarding/static/pipeline.css): waiting on the region, on the
# ministry, on the telcos, live, or stopped.
STAGE_TONES = {"not_started": "idle", "draft": "region", "changes_requested": "region", "submitted": "ministry",
               "in_review": "ministry", "visit_scheduled": "ministry", "visited": "ministry", "approved": "routing",
               "live": "live", "rejected": "stopped", "withdrawn": "stopped"}


def _filters() -> dict:
    session = request_session()
    provinces = session.execute(select(Province.code, Province.name).order_by(Province.code)).all()
    province = request.args.get("province") or None
    if province not in {code for code, _name in provinces}:
        province = None
    stage = request.args.get("stage") or None
    if stage not in service.PIPELINE_STAGES:
        stage = None
    external = {"yes": True, "no": False}.get(request.args.get("external", ""))
    sort = request.args.get("sort", "code")
    descending = sort.startswith("-")
    sort = sort.lstrip("-")
    if sort not in PIPELINE_SORTS:
        sort, descending = "code", False
    return {"provinces": provinces, "province": province, "stage": stage, "external": external, "sort": sort,
            "descending": descending}


def _link(**changes) -> str:
    """This page's address with some filters changed (None drops one); the page number starts over."""
    args = {key: value for key, value in request.args.items() if key not in ("page", "format")}
    args.update(changes)
    return url_for("onboarding_web.pipeline", **{key: value for key, value in args.items() if value is not None})


def _charts(counts: dict[str, int], outside: dict[str, int]) -> tuple:
    number = format_decimal
    stages = [name for name in service.PIPELINE_STAGES if name != "no_tenant"]
    peak = max((counts[name] for name in stages), default=0) or 1
    bars = [Bar(stage_label(name), counts[name], number(counts[name]),
                _link(stage=name, external=None), f"tone-{STAGE_TONES.get(name, 'idle')}",
                {"stage": name, "count": str(counts[name])},
                _("%(stage)s: %(count)s regions", stage=stage_label(name), count=number(counts[name])))
            for name in stages]
    stages_chart = bar_chart("stage-chart", _("Regions per stage"), bars, maximum=peak, width=480)
    no_tenant, elsewhere = counts["no_tenant"], outside.get("no_tenant", 0)
    parts = [Bar(_("Run 112 outside Siaga112"), elsewhere, number(elsewhere),
                 _link(stage="no_tenant", external="yes"), "tone-outside", {"part": "external"}),
             Bar(_("Never started"), no_tenant - elsewhere, number(no_tenant - elsewhere),
                 _link(stage="no_tenant", external="no"), "tone-none", {"part": "never"})]
    no_tenant_chart = bar_chart("no-tenant-chart", _("Regions without a tenant"), parts,
                                width=480, maximum=max(no_tenant, 1), wrap={"stage": "no_tenant", "count": str(no_tenant)})
    return stages_chart, no_tenant_chart


def _stage_text(stage: str, external_since) -> str:
    text = stage_label(stage)
    if external_since is not None:
        text += " · " + _("runs 112 outside Siaga112 since %(day)s", day=format_date(external_since))
    return text


def _csv(rows) -> Response:
    delimiter = ";" if reader_language() == "id" else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([_("Code"), _("Region"), _("Province"), _("Stage"), _("Submitted"), _("Runs 112 outside Siaga112 since")])
    for code, name, province_code, _slug, stage, submitted_at, external_since in rows:
        writer.writerow([code, name, province_code, stage_label(stage),
                         submitted_at.date().isoformat() if submitted_at else "",
                         external_since.isoformat() if external_since else ""])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="siaga112-pipeline.csv"'
    return as_download(response)


@bp.get("/onboarding/pipeline")
@roles_allowed(*PLATFORM_ROLES)
def pipeline():
    session, f = request_session(), _filters()
    query = service.region_stages(f["stage"], f["province"], f["external"], f["sort"], f["descending"])
    if request.args.get("format") == "csv":
        return _csv(session.execute(query).all())
    counts = service.stage_counts(session, f["province"])
    outside = external_counts(session, f["province"])
    if f["stage"] and f["external"] is not None:
        matching = outside.get(f["stage"], 0) if f["external"] else counts[f["stage"]] - outside.get(f["stage"], 0)
    elif f["external"] is not None:
        matching = sum(outside.values()) if f["external"] else sum(counts.values()) - sum(outside.values())
    else:
        matching = counts[f["stage"]] if f["stage"] else sum(counts.values())
    pages = max(1, -(-matching // PIPELINE_PAGE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    offset = (page - 1) * PIPELINE_PAGE
    rows = session.execute(query.limit(PIPELINE_PAGE).offset(offset)).all()
    stages_chart, no_tenant_chart = _charts(counts, outside)
    return render_template("onboarding/pipeline.html", **_helpers(
        counts=counts, outside=outside, total=sum(counts.values()), rows=rows, matching=matching, offset=offset,
        page=page, pages=pages, stages=service.PIPELINE_STAGES, stages_chart=stages_chart,
        no_tenant_chart=no_tenant_chart, link=_link, stage_text=_stage_text, **f))
