"""The region registry: all 514 kabupaten/kota, the right time zones, and the public API."""

import json

import pytest

from siaga112.platform.tenancy.context import PLATFORM
from sqlalchemy import delete, func, select

from siaga112.platform.regions.models import Province, Region
from siaga112.platform.regions.service import (
    UnknownProvince,
    registry_rows,
    sync_regions,
    time_zone_of_province,
)

EXPECTED_ZONES = {
    "Bali": "Asia/Makassar",
    "Nusa Tenggara Barat": "Asia/Makassar",
    "Nusa Tenggara Timur": "Asia/Makassar",
    "Kalimantan Barat": "Asia/Jakarta",
    "Kalimantan Tengah": "Asia/Jakarta",
    "Kalimantan Selatan": "Asia/Makassar",
    "Kalimantan Timur": "Asia/Makassar",
    "Kalimantan Utara": "Asia/Makassar",
    "Sulawesi Utara": "Asia/Makassar",
    "Gorontalo": "Asia/Makassar",
    "Sulawesi Barat": "Asia/Makassar",
    "Maluku": "Asia/Jayapura",
    "Maluku Utara": "Asia/Jayapura",
    "Papua": "Asia/Jayapura",
    "Papua Barat Daya": "Asia/Jayapura",
    "Papua Pegunungan": "Asia/Jayapura",
    "Papua Selatan": "Asia/Jayapura",
    "Papua Tengah": "Asia/Jayapura",
    "Papua Barat": "Asia/Jayapura",
    "Aceh": "Asia/Jakarta",
    "Daerah Khusus Ibukota Jakarta": "Asia/Jakarta",
    "Kepulauan Riau": "Asia/Jakarta",
}


def test_registry_has_38_provinces_and_514_regions():
    provinces, regions = registry_rows()
    assert len(provinces) == 38
    assert len(regions) == 514
    assert sum(r["kind"] == "kabupaten" for r in regions) == 416
    assert sum(r["kind"] == "kota" for r in regions) == 98
    by_code = {r["code"]: r for r in regions}
    assert by_code["33.75"]["name"] == "Kota Pekalongan"
    assert by_code["18.04"]["name"] == "Kabupaten Lampung Barat"
    assert by_code["18.72"]["name"] == "Kota Metro"


@pytest.mark.parametrize("province, zone", sorted(EXPECTED_ZONES.items()))
def test_time_zone_follows_the_province(province, zone):
    provinces, _ = registry_rows()
    assert {p["name"]: p["time_zone"] for p in provinces}[province] == zone


def test_an_unknown_province_is_not_guessed_into_a_time_zone():
    with pytest.raises(UnknownProvince, match="99"):
        time_zone_of_province("99")


def test_sync_fills_an_empty_registry_and_is_idempotent(owner_database):
    with owner_database.transaction(PLATFORM) as session:
        session.execute(delete(Region).where(Region.province_code == "94"))
        session.execute(delete(Province).where(Province.code == "94"))
        papua_tengah_regions = 8
        report = sync_regions(session)
        assert (report.inserted, report.updated) == (1 + papua_tengah_regions, 0)
        session.execute(Region.__table__.update().where(Region.code == "33.75").values(name="Kota Salah"))
        report = sync_regions(session)
        assert (report.inserted, report.updated, report.unchanged) == (0, 1, 551)
        again = sync_regions(session)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 552)
        assert session.scalar(select(func.count()).select_from(Region)) == 514
        assert session.get(Region, "33.75").name == "Kota Pekalongan"


def test_list_filters_by_province_kind_and_name(client):
    response = client.get("/api/v1/regions?province=33&kind=kota&q=pekalongan")
    assert response.status_code == 200
    assert [r["code"] for r in response.json] == ["33.75"]
    region = response.json[0]
    assert region == {"code": "33.75", "name": "Kota Pekalongan", "kind": "kota",
                      "province": {"code": "33", "name": "Jawa Tengah"}, "time_zone": "Asia/Jakarta"}


def test_list_paginates_with_totals_in_the_header(client):
    first = client.get("/api/v1/regions?page_size=100")
    last = client.get("/api/v1/regions?page_size=100&page=6")
    assert len(first.json) == 100 and len(last.json) == 14
    assert first.json[0]["code"] == "11.01"
    import json

    assert json.loads(first.headers["X-Pagination"])["total"] == 514
    assert client.get("/api/v1/regions?page=7&page_size=100").json == []


def test_name_search_treats_wildcards_literally(client):
    assert client.get("/api/v1/regions?q=%25").json == []
    assert client.get("/api/v1/regions?q=_").json == []


def test_papua_tengah_regions_are_in_jayapura_time(client):
    response = client.get("/api/v1/regions?province=94&page_size=100")
    assert len(response.json) == 8
    assert {r["time_zone"] for r in response.json} == {"Asia/Jayapura"}


def test_one_region_by_code(client):
    response = client.get("/api/v1/regions/18.04")
    assert response.status_code == 200
    assert response.json["name"] == "Kabupaten Lampung Barat"


@pytest.mark.parametrize("code", ["99.99", "3375", "33.750", "x"])
def test_unknown_code_is_404_problem(client, code):
    response = client.get(f"/api/v1/regions/{code}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404
    assert "33.75" in response.json["detail"]  # says what a code looks like


@pytest.mark.parametrize("query, field", [
    ("kind=desa", "query.kind"),
    ("province=Jawa", "query.province"),
    ("q=%00", "query.q"),
    ("page=0", "query.page"),
    ("page_size=100000", "query.page_size"),
])
def test_bad_filters_are_422_naming_the_field(client, query, field):
    response = client.get(f"/api/v1/regions?{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.json["errors"]] == [field]
    assert field in response.json["detail"]


# --- served from the process's copy of the registry (published.py) -----------------------------

def _announced(app) -> None:
    """Wait until PostgreSQL has delivered the writer's NOTIFY to this process's listening connection."""
    from siaga112.platform.regions.published import published

    with app.app_context():
        assert published().wait_for_news(10)


def _rename(owner_database, code: str, name: str, announce: bool) -> None:
    from siaga112.platform.regions.service import bump_registry_version

    with owner_database.transaction(PLATFORM) as session:
        session.execute(Region.__table__.update().where(Region.code == code).values(name=name))
        if announce:
            bump_registry_version(session)


def test_a_sync_in_another_connection_changes_what_the_next_request_serves(app, client, owner_database):
    url = "/api/v1/regions?province=33&q=pekalongan"
    first = client.get(url)
    assert [r["name"] for r in first.json] == ["Kabupaten Pekalongan", "Kota Pekalongan"]
    try:
        # A change the registry's version does not announce is not seen: the answer is the process's copy.
        _rename(owner_database, "33.75", "Kota Pekalongan Lama", announce=False)
        assert client.get(url).get_data() == first.get_data()
        # A sync that changes a region (here: a rename) bumps the version in its transaction; every process
        # is told when it commits, and its next answer is the new one.
        _rename(owner_database, "33.26", "Kabupaten Pekalongan Baru", announce=True)
        _announced(app)
        renamed = client.get(url)
        assert [r["name"] for r in renamed.json] == ["Kabupaten Pekalongan Baru", "Kota Pekalongan Lama"]
        assert renamed.headers["ETag"] != first.headers["ETag"]
    finally:
        with owner_database.transaction(PLATFORM) as session:  # the real sync, from another connection
            report = sync_regions(session)
    assert report.updated == 2
    _announced(app)
    assert client.get(url).get_data() == first.get_data()


def test_a_sync_that_changes_nothing_keeps_the_answers(app, client, owner_database):
    url = "/api/v1/regions?province=18"
    etag = client.get(url).headers["ETag"]
    with owner_database.transaction(PLATFORM) as session:
        assert sync_regions(session).updated == 0
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_the_list_carries_validators_and_answers_304(client):
    url = "/api/v1/regions?province=34"
    first = client.get(url)
    assert first.status_code == 200 and len(first.json) == 5
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert json.loads(first.headers["X-Pagination"])["total"] == 5
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    other = client.get("/api/v1/regions?province=34&page_size=2")
    assert other.headers["ETag"] != etag and len(other.json) == 2
    assert json.loads(other.headers["X-Pagination"])["total_pages"] == 3


def test_a_new_tenant_shows_on_the_home_page_at_once(app, client, database):
    from tests.test_onboarding_helpers import tenant_of

    before = client.get("/?q=Kepulauan Aru")
    assert "Belum bergabung" in before.get_data(as_text=True)
    tenant_of(database, "81.07")  # Kabupaten Kepulauan Aru: its tenant is created in another connection
    _announced(app)
    after = client.get("/?q=Kepulauan Aru", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and "Prospek" in after.get_data(as_text=True)


def test_the_copy_answers_what_the_schema_and_the_query_would(client, database):
    from siaga112.platform.regions.schemas import RegionSchema
    from siaga112.platform.regions.service import region_query
    from siaga112.platform.tenancy.context import PUBLIC

    for query, filters in [("province=91&page_size=100", {"province": "91"}), ("kind=kota&q=Ja&page_size=600",
                                                                               {"kind": "kota", "q": "Ja"})]:
        with database.transaction(PUBLIC) as session:
            expected = RegionSchema(many=True).dump(session.scalars(region_query(**filters)).all())
        assert client.get(f"/api/v1/regions?{query}").json == expected
