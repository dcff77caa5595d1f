"""The ministry's list of regions that already run 112 outside Siaga112: a CSV checked row by row, previewed,
and written all at once or not at all (regions/service.py, the page /regions/external-112, the API, the CLI)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.audit.service import Actor
from siaga112.platform.cli import main
from siaga112.platform.regions import service
from siaga112.platform.regions.models import Region
from siaga112.platform.tenancy.context import PLATFORM
from tests.test_onboarding_helpers import person
from tests.test_roster_pages import page, sign_in

PAGE = "/regions/external-112"
GOOD = ("region_code,live_since,note\n"
        "33.74,2016-05-01,Command center Semarang\n"
        "35.78,2015-11-20,\n"
        "32.73,2019-03-01,Bandung Command Center\n").encode()
EMPTY = b"region_code,live_since,note\n"
SYSTEM = Actor.system("test")


def external(database) -> dict[str, tuple[date, str | None]]:
    with database.transaction(PLATFORM) as session:
        rows = session.execute(select(Region.code, Region.external_112_since, Region.external_112_note)
                               .where(Region.external_112_since.is_not(None))).all()
    return {code: (since, note) for code, since, note in rows}


def replace_with(database, data: bytes) -> service.ExternalPlan:
    with database.transaction(PLATFORM) as session:
        return service.import_external_112(session, service.parse_external_csv(session, data).rows, SYSTEM)


@pytest.fixture
def cleared(database):
    replace_with(database, EMPTY)
    yield
    replace_with(database, EMPTY)


@pytest.fixture(scope="module")
def people(database):
    from tests.test_onboarding_helpers import tenant_of

    cilegon = tenant_of(database, "36.72")  # Kota Cilegon: a region no shared fixture creates
    return {role: person(database, role, cilegon if role == "regional_admin" else None)
            for role in ("platform_admin", "ministry_verifier", "national_monitor", "regional_admin")}


def errors_of(database, data: bytes, today: date | None = None) -> dict[int, str]:
    with database.transaction(PLATFORM) as session:
        with pytest.raises(service.ExternalFileInvalid) as refused:
            service.parse_external_csv(session, data, today)
    return {error.params["line"]: error.english() for error in refused.value.errors}


# --- the rules ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    GOOD,
    b"\xef\xbb\xbf" + GOOD,  # Excel's "CSV UTF-8"
    GOOD.replace(b",", b";").replace(b"\n", b"\r\n"),  # Excel with an Indonesian list separator
    GOOD.replace(b"region_code,live_since,note", b"Kode_Wilayah,Aktif Sejak,Catatan") + b",,\n\n",
])
def test_a_valid_file_is_read_whatever_excel_made_of_it(database, cleared, data):
    with database.transaction(PLATFORM) as session:
        plan = service.parse_external_csv(session, data)
    assert [(row.line, row.region_code, row.live_since, row.note) for row in plan.rows] == [
        (2, "33.74", date(2016, 5, 1), "Command center Semarang"), (3, "35.78", date(2015, 11, 20), ""),
        (4, "32.73", date(2019, 3, 1), "Bandung Command Center")]
    assert plan.counts == {"new": 3, "changed": 0, "unchanged": 0, "removed": 0}
    assert external(database) == {}  # reading writes nothing


def test_every_bad_row_is_named_and_nothing_is_written(database, cleared):
    tomorrow = date.today() + timedelta(days=1)
    data = ("region_code,live_since,note\n"
            "33.74,2016-05-01,ok\n"
            "99.99,2016-05-01,unknown\n"
            "33,2016-05-01,a province\n"
            "11.1,2016-05-01,Excel dropped the zero of 11.10\n"
            "32.73,01/03/2019,not ISO\n"
            f"32.71,{tomorrow.isoformat()},future\n"
            "33.74,2017-01-01,twice\n"
            f"35.78,2015-11-20,{'x' * 501}\n"
            "32.72,2019-02-30,no such day\n").encode()
    errors = errors_of(database, data)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "no kabupaten or kota has the code '99.99'" in errors[3] or "99.99" in errors[3]
    assert "33 is a province" in errors[4]
    assert "drop a zero from 11.10" in errors[5]
    assert "YYYY-MM-DD" in errors[6]
    assert "in the future" in errors[7]
    assert "listed twice (first in row 2)" in errors[8]
    assert "longer than 500 characters" in errors[9]
    assert "is not a date" in errors[10]
    assert all(message.startswith(f"Row {line}:") for line, message in errors.items())
    assert external(database) == {}


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b"code;date\n33.74;2016-05-01\n", "must name the columns"),
    (b"region_code,live_since\n" + b"33.74,2016-05-01\n" * 3000, "more than 2000 rows"),
])
def test_a_file_that_is_not_the_list_is_refused_as_a_whole(database, data, message):
    assert message in " ".join(errors_of(database, data).values())


def test_importing_is_a_full_replace_and_says_what_changed(database, cleared):
    assert replace_with(database, GOOD).counts == {"new": 3, "changed": 0, "unchanged": 0, "removed": 0}
    with database.transaction(PLATFORM) as session:
        version = service.registry_version(session)
    again = replace_with(database, GOOD)
    assert again.counts == {"new": 0, "changed": 0, "unchanged": 3, "removed": 0} and not again.writes
    with database.transaction(PLATFORM) as session:
        assert service.registry_version(session) == version  # nothing changed: no new version
    plan = replace_with(database, b"region_code,live_since,note\n33.74,2016-06-01,moved\n35.78,2015-11-20,\n")
    assert plan.counts == {"new": 0, "changed": 1, "unchanged": 1, "removed": 1}
    assert external(database) == {"33.74": (date(2016, 6, 1), "moved"), "35.78": (date(2015, 11, 20), None)}
    with database.transaction(PLATFORM) as session:
        assert service.registry_version(session) == version + 1
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "registry.external_112.import")
                                .order_by(AuditEntry.id.desc())).first()
    assert entry.tenant_id is None and entry.actor_id == "test"  # the platform's chain
    assert entry.before == {"33.74": ["2016-05-01", "Command center Semarang"], "32.73": ["2019-03-01",
                                                                                       "Bandung Command Center"]}
    assert entry.after["counts"] == {"new": 0, "changed": 1, "unchanged": 1, "removed": 1}


# --- the page ----------------------------------------------------------------------------------------

def upload(client, csrf, data: bytes, name: str = "daftar.csv"):
    return client.post(f"{PAGE}/preview", data={"csrf_token": csrf, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers={"Accept": "text/html"})


def test_preview_then_confirm_writes_the_list_and_the_public_page_shows_it(app, client, database, cleared, people):
    csrf = sign_in(app, client, people["ministry_verifier"][0])
    response, html = page(client, PAGE)
    assert response.status_code == 200 and "Daerah yang menjalankan 112 di luar Siaga112" in html

    preview = upload(client, csrf, GOOD)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Pratinjau: belum ada yang disimpan" in html
    assert re.findall(r'<tr data-region="([\d.]+)" data-change="(\w+)"', html) == [
        ("32.73", "new"), ("33.74", "new"), ("35.78", "new")]
    assert external(database) == {}  # a preview writes nothing
    plan = re.search(r'name="plan" type="hidden" value="([^"]+)"', html).group(1)

    done = client.post(f"{PAGE}/confirm", data={"csrf_token": csrf, "plan": plan}, headers={"Accept": "text/html"})
    assert done.status_code == 302 and done.headers["Location"].endswith(PAGE)
    _response, html = page(client, PAGE)
    assert "Diimpor: 3 baru, 0 berubah, 0 dihapus, 0 tetap." in html
    assert set(external(database)) == {"32.73", "33.74", "35.78"}

    public = app.test_client().get("/?q=Semarang").get_data(as_text=True)
    assert re.search(r'data-region="33.74" data-status="external"', public)
    assert "menjalankan 112 di luar Siaga112 sejak 1 Mei 2016" in public
    assert re.search(r'data-region="33.22" data-status="not_onboarded"', public)  # Kabupaten Semarang: not started


def test_a_bad_file_lists_its_rows_on_the_page_and_writes_nothing(app, client, database, cleared, people):
    csrf = sign_in(app, client, people["platform_admin"][0])
    response = upload(client, csrf, b"region_code;live_since;note\n33.74;2016-05-01;\n99.99;kemarin;\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'name="plan"' not in html
    assert "Berkas ini memuat 2 kesalahan; tidak ada yang diimpor." in html
    assert re.findall(r'<li data-line="(\d+)">', html) == ["3", "3"]
    assert "Baris 3: tidak ada kabupaten atau kota dengan kode 99.99." in html
    assert "Baris 3: tanggal &#39;kemarin&#39; tidak ditulis sebagai TTTT-BB-HH" in html
    assert external(database) == {}


def test_a_confirm_after_the_registry_changed_shows_the_new_preview(app, client, database, cleared, people):
    csrf = sign_in(app, client, people["platform_admin"][0])
    html = upload(client, csrf, GOOD).get_data(as_text=True)
    plan = re.search(r'name="plan" type="hidden" value="([^"]+)"', html).group(1)
    replace_with(database, b"region_code,live_since,note\n33.74,2016-05-01,Command center Semarang\n")
    stale = client.post(f"{PAGE}/confirm", data={"csrf_token": csrf, "plan": plan}, headers={"Accept": "text/html"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Daftar daerah berubah sejak pratinjau" in html
    assert re.findall(r'data-change="(\w+)"', html) == ["new", "new"]  # 33.74 is now unchanged
    assert set(external(database)) == {"33.74"}
    tampered = client.post(f"{PAGE}/confirm", data={"csrf_token": csrf, "plan": plan[:-2] + "xx"},
                           headers={"Accept": "text/html"})
    assert tampered.status_code == 302 and set(external(database)) == {"33.74"}


@pytest.mark.parametrize("role", ["national_monitor", "regional_admin"])
def test_other_roles_get_neither_the_page_nor_the_menu_entry(app, client, people, role):
    csrf = sign_in(app, client, people[role][0])
    assert page(client, PAGE)[0].status_code == 403
    assert upload(client, csrf, GOOD).status_code == 403
    assert f'href="{PAGE}"' not in page(client, "/home")[1]
    _headers = people[role][1]
    assert client.post("/api/v1/regions/external-112", headers=_headers,
                       data={"file": (io.BytesIO(GOOD), "x.csv")}).status_code in (403, 404)


def test_the_menu_leads_the_ministry_to_the_page(app, client, people):
    sign_in(app, client, people["ministry_verifier"][0])
    assert f'href="{PAGE}"' in page(client, "/home")[1]


# --- the API and the CLI -----------------------------------------------------------------------------

def test_the_api_previews_with_dry_run_and_imports_without(client, database, cleared, people):
    headers = people["platform_admin"][1]
    url = "/api/v1/regions/external-112"
    dry = client.post(f"{url}?dry_run=true", headers=headers, data={"file": (io.BytesIO(GOOD), "x.csv")})
    assert dry.status_code == 200, dry.json
    assert dry.json["dry_run"] is True and dry.json["counts"]["new"] == 3
    assert dry.json["changes"][0] == {"kind": "new", "region_code": "32.73", "region_name": "Kota Bandung",
                                      "live_since": "2019-03-01", "note": "Bandung Command Center",
                                      "before_since": None, "before_note": ""}
    assert external(database) == {}
    done = client.post(url, headers=headers, data={"file": (io.BytesIO(GOOD), "x.csv")})
    assert done.status_code == 200 and done.json["counts"]["new"] == 3
    assert set(external(database)) == {"32.73", "33.74", "35.78"}
    bad = client.post(url, headers=headers, data={"file": (io.BytesIO(b"region_code,live_since\n33,2016-01-01\n"),
                                                           "x.csv")})
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert bad.json["code"] == "invalid_rows" and bad.json["rows"][0]["line"] == 2
    assert "is a province" in bad.json["rows"][0]["detail"]
    assert set(external(database)) == {"32.73", "33.74", "35.78"}


def test_the_cli_imports_a_file_or_lists_its_errors(database, cleared, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(GOOD)
    bad.write_bytes(b"region_code,live_since\n33.74,2016-13-01\n")
    runner = CliRunner()
    result = runner.invoke(main, ["regions", "import-external", str(good), "--dry-run"], catch_exceptions=False)
    assert result.exit_code == 0 and "would change: 3 new" in result.output and external(database) == {}
    result = runner.invoke(main, ["regions", "import-external", str(good)], catch_exceptions=False)
    assert result.exit_code == 0 and "external 112: 3 new" in result.output
    assert len(external(database)) == 3
    result = runner.invoke(main, ["regions", "import-external", str(bad)])
    assert result.exit_code == 1 and "Row 2: 2016-13-01 is not a date." in result.output
    with database.transaction(PLATFORM) as session:
        assert session.scalar(select(func.count()).select_from(Region)
                              .where(Region.external_112_since.is_not(None))) == 3


@pytest.mark.browser
def test_the_import_on_a_phone(browser, live_server, database, cleared, tmp_path):
    from playwright.sync_api import expect

    from tests.conftest import RESULTS, open_page
    from tests.test_roster_helpers import PASSWORD, member

    verifier = member(database, None, "ministry_verifier", name="Verifikator Ponsel", password=PASSWORD)[0]
    csv_file = tmp_path / "daftar-112.csv"
    csv_file.write_bytes(b"\xef\xbb\xbf" + GOOD.replace(b",", b";"))
    page_, problems = open_page(browser, live_server)
    page_.set_viewport_size({"width": 390, "height": 844})
    try:
        page_.goto(PAGE)
        page_.get_by_label("Alamat e-mail").fill(verifier.email)
        page_.get_by_label("Kata sandi").fill(PASSWORD)
        page_.get_by_role("button", name="Masuk").click()
        expect(page_).to_have_url(re.compile(re.escape(PAGE) + "$"))
        page_.get_by_label("Berkas CSV (region_code,live_since,note)").set_input_files(str(csv_file))
        page_.get_by_role("button", name="Pratinjau").click()
        expect(page_.locator("#preview-changes tr[data-change='new']")).to_have_count(3)
        assert page_.evaluate("document.documentElement.scrollWidth") <= 390
        RESULTS.mkdir(exist_ok=True)
        page_.screenshot(path=str(RESULTS / "external-112-preview-390.png"), full_page=True)
        assert external(database) == {}
        page_.get_by_role("button", name="Impor perubahan ini").click()
        expect(page_.get_by_role("status").first).to_have_text("Diimpor: 3 baru, 0 berubah, 0 dihapus, 0 tetap.")
        expect(page_.locator("#current tr[data-region]")).to_have_count(3)
        assert page_.evaluate("document.documentElement.scrollWidth") <= 390
        assert set(external(database)) == {"32.73", "33.74", "35.78"}
        assert problems == []
    finally:
        page_.context.close()
