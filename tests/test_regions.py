"""The region registry: all 514 kabupaten/kota, the right time zones, and the public API."""

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
