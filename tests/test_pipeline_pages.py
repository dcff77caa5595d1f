"""The national pipeline page: a chart whose bars lead to their lists, the regions without a tenant apart (and
among them those that run 112 outside Siaga112), a list that sorts by column and downloads as CSV, on a phone."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re

import pytest
from playwright.sync_api import expect

from sqlalchemy import select

from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.tenancy.models import Tenant
from tests.conftest import RESULTS, open_page
from tests.test_external_112 import EMPTY, replace_with
from tests.test_onboarding_helpers import reset_application, tenant_of
from tests.test_roster_helpers import PASSWORD, member
from tests.test_roster_pages import page, sign_in

PIPELINE = "/onboarding/pipeline"
ROW = re.compile(r'<tr data-region="([\d.]+)" data-stage="(\w+)"')
BAR = re.compile(r'<g class="bar" data-stage="(\w+)" data-count="(\d+)"><a target="_self" xlink:href="([^"]+)"')
# Kabupaten Lumajang and Kabupaten Jember run 112 on their own; Kota Mojokerto has a tenant and does too.
# (Regions no other module gives a tenant: Kota Surabaya and Kota Probolinggo get one elsewhere.)
OUTSIDE = b"region_code,live_since,note\n35.08,2015-11-20,\n35.09,2018-01-02,\n35.76,2019-07-01,\n"


@pytest.fixture(scope="module")
def monitor(database):
    return member(database, None, "national_monitor", name="Pemantau Jawa Timur")[0]


@pytest.fixture(scope="module")
def east_java(database):
    mojokerto = tenant_of(database, "35.76")
    with database.transaction(PLATFORM) as session:  # the regions this module lists as without a tenant
        assert not session.scalar(select(Tenant.id).where(Tenant.region_code.in_(["35.08", "35.09"])))
    reset_application(database, mojokerto)
    replace_with(database, OUTSIDE)
    yield mojokerto
    replace_with(database, EMPTY)


def test_each_bar_is_labelled_and_leads_to_its_filtered_list(app, client, monitor, east_java):
    sign_in(app, client, monitor)
    _response, html = page(client, f"{PIPELINE}?province=35")
    bars = {stage: (int(count), html_lib.unescape(href)) for stage, count, href in BAR.findall(html)}
    assert "no_tenant" not in bars  # drawn apart, so that it does not flatten the others
    assert set(bars) == {"not_started", "draft", "submitted", "in_review", "changes_requested", "visit_scheduled",
                         "visited", "approved", "live", "rejected", "withdrawn"}
    assert ">Belum dimulai<" in html and ">112 aktif<" in html  # the stages by name, not numbers to decode
    assert 'class="rect reactive tone-live"' in html  # live is green (pipeline.css)
    for stage, (count, href) in bars.items():
        assert href == f"{PIPELINE}?province=35&stage={stage}"
        _response, listed = page(client, href)
        rows = ROW.findall(listed)
        assert len(rows) == count and all(s == stage for _code, s in rows), stage
    svg = html[html.index('<svg'):html.rindex('</svg>')]
    assert "<style" not in svg and "<script" not in svg and "style=" not in svg  # the CSP allows neither


def test_regions_without_a_tenant_are_apart_and_split_by_112_outside(app, client, monitor, east_java):
    sign_in(app, client, monitor)
    _response, html = page(client, f"{PIPELINE}?province=35")
    no_tenant = int(re.search(r'<g class="bar" data-stage="no_tenant" data-count="(\d+)">', html).group(1))
    parts = dict(re.findall(r'<g class="bar" data-part="(\w+)"><a target="_self" xlink:href="([^"]+)"', html))
    assert set(parts) == {"external", "never"}
    _response, outside = page(client, html_lib.unescape(parts["external"]))
    assert {code for code, _stage in ROW.findall(outside)} == {"35.08", "35.09"}
    assert "Belum terdaftar · menjalankan 112 di luar Siaga112 sejak 20 Nov 2015" in outside
    _response, never = page(client, html_lib.unescape(parts["never"]))
    assert len(ROW.findall(never)) == no_tenant - 2 and "35.08" not in never
    # A region with a tenant that runs 112 elsewhere meanwhile says so in its row.
    _response, html = page(client, f"{PIPELINE}?province=35&stage=not_started")
    row = re.search(r'<tr data-region="35.76"[^>]*data-external-since="2019-07-01">.*?</tr>', html, re.S).group(0)
    assert f'href="/tenants/{east_java.slug}/onboarding"' in row  # the region's name leads to its onboarding
    assert "menjalankan 112 di luar Siaga112 sejak 1 Jul 2019" in row


def test_the_list_sorts_by_column(app, client, monitor, east_java):
    sign_in(app, client, monitor)

    def names(query):
        _response, html = page(client, f"{PIPELINE}?province=35&{query}")
        return re.findall(r'<tr data-region="[\d.]+" data-stage="\w+"[^>]*>\s*<td>[\d.]+</td>\s*<td>(?:<a [^>]+>)?([^<]+)',
                          html), html

    by_code, html = names("")
    assert 'aria-sort="ascending"' in html and 'href="/onboarding/pipeline?province=35&amp;sort=name"' in html
    by_name, html = names("sort=name")
    assert by_name == sorted(by_code) and by_name != by_code
    assert 'href="/onboarding/pipeline?province=35&amp;sort=-name"' in html  # the same header again: descending
    descending, html = names("sort=-name")
    assert descending == sorted(by_code, reverse=True) and 'aria-sort="descending"' in html
    _codes, html = names("sort=stage")
    stages = [stage for _code, stage in ROW.findall(html)]
    order = ["no_tenant", "not_started", "draft", "submitted", "in_review", "changes_requested", "visit_scheduled",
             "visited", "approved", "live", "rejected", "withdrawn"]
    assert stages == sorted(stages, key=order.index)
    assert names("sort=nonsense")[0] == by_code


def test_the_list_downloads_as_csv_for_excel_in_the_readers_language(app, client, monitor, east_java):
    sign_in(app, client, monitor)
    response = client.get(f"{PIPELINE}?province=35&stage=no_tenant&external=yes&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="siaga112-pipeline.csv"'
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Kode", "Kabupaten/Kota", "Provinsi", "Tahap", "Diajukan", "Menjalankan 112 di luar Siaga112 sejak"]
    assert sorted(rows[1:]) == [["35.08", "Kabupaten Lumajang", "35", "Belum terdaftar", "", "2015-11-20"],
                                ["35.09", "Kabupaten Jember", "35", "Belum terdaftar", "", "2018-01-02"]]
    _response, html = page(client, f"{PIPELINE}?province=35&stage=no_tenant")
    assert 'href="/onboarding/pipeline?province=35&amp;stage=no_tenant&amp;format=csv"' in html
    client.set_cookie("lang", "en")
    english = client.get(f"{PIPELINE}?province=35&format=csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(english)))
    assert rows[0][:4] == ["Code", "Region", "Province", "Stage"] and len(rows) == 1 + 38
    client.set_cookie("lang", "id")


def test_other_roles_cannot_open_or_download_the_pipeline(app, client, database, east_java):
    admin = member(database, east_java, "regional_admin")[0]
    sign_in(app, client, admin)
    assert page(client, PIPELINE)[0].status_code == 403
    assert client.get(f"{PIPELINE}?format=csv", headers={"Accept": "text/html"}).status_code == 403


@pytest.mark.browser
def test_the_pipeline_on_a_phone_and_a_bar_leads_to_its_list(browser, live_server, database, east_java):
    user = member(database, None, "national_monitor", name="Pemantau Ponsel", password=PASSWORD)[0]
    page_, problems = open_page(browser, live_server)
    page_.set_viewport_size({"width": 390, "height": 844})
    try:
        page_.goto(f"{PIPELINE}?province=35")
        page_.get_by_label("Alamat e-mail").fill(user.email)
        page_.get_by_label("Kata sandi").fill(PASSWORD)
        page_.get_by_role("button", name="Masuk").click()
        expect(page_).to_have_url(re.compile(r"/onboarding/pipeline\?province=35$"))
        expect(page_.locator("#stage-chart")).to_be_visible()
        assert page_.evaluate("document.documentElement.scrollWidth") <= 390
        RESULTS.mkdir(exist_ok=True)
        page_.screenshot(path=str(RESULTS / "pipeline-390.png"), full_page=True)
        page_.locator('#no-tenant-chart g[data-part="external"] a').click()
        expect(page_).to_have_url(re.compile(r"stage=no_tenant&external=yes$"))
        expect(page_.locator("#pipeline tr[data-region]")).to_have_count(2)
        assert page_.evaluate("document.documentElement.scrollWidth") <= 390
        assert problems == []
    finally:
        page_.context.close()
