"""The public home page: every region by province with its 112 status, and a search box."""

from flask import Blueprint, render_template, request

from ..db import request_session
from ..identity.access import public
from . import service

bp = Blueprint("regions_web", __name__, template_folder="templates")


@bp.get("/")
@public
def home():
    q = service.clean_search(request.args.get("q", ""))
    session = request_session()
    groups = service.regions_by_province(session, q=q or None)
    return render_template(
        "regions/home.html",
        q=q,
        groups=groups,
        statuses=service.region_statuses(session),
        matched=sum(len(regions) for _, regions in groups),
        total=service.count_regions(session),
    )
