"""The public home page: search first, the national figures, every region by province or all at once with its
112 status, the language switch, and its answers served from the process's copy (ETag, 304)."""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from html.parser import HTMLParser

import pytest

REGIONS = 514
PROVINCES = 38


@dataclass
class Page:
    lang: str = ""
    provinces: list[str] = field(default_factory=list)
    regions: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (name, status label)
    region_province: dict[str, str] = field(default_factory=dict)  # code -> province heading
    text: str = ""


class HomeParser(HTMLParser):
    """Reads provinces (h2 of section.province) and region rows (tr[data-region]) off the page."""

    def __init__(self):
        super().__init__()
        self.page = Page()
        self._in_h2 = False
        self._h2_text = ""
        self._in_small = False
        self._row: str | None = None
        self._cells: list[str] = []
        self._in_td = False
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.page.lang = attrs.get("lang", "")
        elif tag == "h2":
            self._in_h2, self._h2_text = True, ""
        elif tag == "small" and self._in_h2:
            self._in_small = True
        elif tag == "tr" and "data-region" in attrs:
            self._row, self._cells = attrs["data-region"], []
        elif tag == "td" and self._row:
            self._in_td = True
            self._cells.append("")

    def handle_endtag(self, tag):
        if tag == "h2" and self._in_h2:
            self._in_h2 = False
            self.page.provinces.append(self._h2_text.strip())
        elif tag == "small":
            self._in_small = False
        elif tag == "td":
            self._in_td = False
        elif tag == "tr" and self._row:
            name, code, status = (cell.strip() for cell in self._cells)
            assert code == self._row
            self.page.regions[code] = (name, status)
            self.page.region_province[code] = self.page.provinces[-1]
            self._row = None

    def handle_data(self, data):
        self._text.append(data)
        if self._in_h2 and not self._in_small:
            self._h2_text += data
        if self._in_td:
            self._cells[-1] += data

    def close(self):
        super().close()
        self.page.text = " ".join(" ".join(self._text).split())


def parse(response) -> Page:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    parser = HomeParser()
    parser.feed(response.get_data(as_text=True))
    parser.close()
    return parser.page


def test_all_regions_are_listed_under_their_province_in_bahasa_indonesia(client, database):
    from sqlalchemy import select

    from siaga112.platform.regions.models import Region
    from siaga112.platform.tenancy.context import PUBLIC
    from siaga112.platform.tenancy.models import Tenant

    with database.transaction(PUBLIC) as session:
        tenant_statuses = dict(session.execute(select(Tenant.region_code, Tenant.status)).all())
        external = set(session.scalars(select(Region.code).where(Region.external_112_since.is_not(None))))
    page = parse(client.get("/?all=1"))

    assert page.lang == "id"
    for indonesian in ("Layanan darurat 112 di seluruh Indonesia", "Cari", "Kabupaten/Kota", "Status 112",
                       "Langsung ke konten", "514 daerah"):
        assert indonesian in page.text
    for english in ("Not onboarded", "Search a kabupaten", "112 emergency service across Indonesia"):
        assert english not in page.text

    assert len(page.provinces) == PROVINCES
    assert len(set(page.provinces)) == PROVINCES
    assert len(page.regions) == REGIONS
    # A region without a tenant is "not onboarded" (or runs 112 outside Siaga112); one with a tenant shows the
    # tenant's status.
    labels = {"prospect": "Prospek", "onboarding": "Proses bergabung", "live": "112 aktif", "suspended": "Ditangguhkan"}
    for code, (_name, status) in page.regions.items():
        fallback = "112 di luar Siaga112" if code in external else "Belum bergabung"
        assert status.startswith(labels.get(tenant_statuses.get(code), fallback)), code
    assert page.regions["33.75"][0] == "Kota Pekalongan"
    assert page.region_province["33.75"] == "Jawa Tengah"
    assert page.region_province["18.72"] == "Lampung"
    assert page.regions["91.71"][0] == "Kota Jayapura" and page.region_province["91.71"] == "Papua"
    # Regions sit under the province whose code they start with.
    for code, province in page.region_province.items():
        first_of_province = min(c for c, p in page.region_province.items() if p == province)
        assert code[:2] == first_of_province[:2]


def test_the_home_page_is_search_first_with_the_figures_and_the_provinces(client):
    response = client.get("/")
    page = parse(response)
    html = response.get_data(as_text=True)
    assert page.regions == {}  # no list of 514 rows for a phone to load
    assert len(response.get_data()) < 20_000
    assert 'type="search"' in html and "Daerah per provinsi" in page.text
    provinces = re.findall(r'<li data-province="(\d\d)"><a href="/\?province=\1">', html)
    assert len(provinces) == PROVINCES
    figures = dict(re.findall(r'<li data-figure="(\w+)"><strong>([\d.]+)</strong>', html))
    assert figures["total"] == "514"
    assert sum(int(figures[name].replace(".", "")) for name in ("live", "onboarding", "external", "not_started")) <= REGIONS
    assert 'href="/?all=1"' in html and "Tampilkan semua 514 daerah" in page.text


def test_a_province_lists_its_regions(client):
    page = parse(client.get("/?province=18"))
    assert page.provinces == ["Lampung"] and len(page.regions) == 15
    assert all(code.startswith("18.") for code in page.regions)
    assert "15 daerah di Lampung." in page.text
    assert parse(client.get("/?province=99")).regions == {}  # an unknown province: the search-first page


def test_the_page_carries_validators_and_answers_304(client):
    first = client.get("/?q=Metro")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert "Cookie" in first.headers["Vary"]
    again = client.get("/?q=Metro", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/?q=Metro", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/?q=Pekalongan", headers={"If-None-Match": etag}).status_code == 200
    client.set_cookie("lang", "en")  # the same address in another language is another answer
    english = client.get("/?q=Metro", headers={"If-None-Match": etag})
    assert english.status_code == 200 and english.headers["ETag"] != etag and "Metro" in english.get_data(as_text=True)


def test_a_signed_in_person_gets_their_own_page_never_a_shared_one(app, database):
    client = app.test_client()
    from tests.test_onboarding_helpers import person
    from tests.test_roster_pages import sign_in

    anonymous = client.get("/?q=Metro")
    user, _headers = person(database, "national_monitor", None, "Pemantau Beranda")
    sign_in(app, client, user)
    response = client.get("/?q=Metro", headers={"If-None-Match": anonymous.headers["ETag"]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and "ETag" not in response.headers
    assert '<form id="account"' in response.get_data(as_text=True)  # their header: the sign-out button


def test_search_finds_both_pekalongan_and_nothing_else(client):
    page = parse(client.get("/", query_string={"q": "Pekalongan"}))

    assert {name for name, _status in page.regions.values()} == {"Kota Pekalongan", "Kabupaten Pekalongan"}
    assert "Kota Metro" not in page.text
    assert page.provinces == ["Jawa Tengah"]
    assert "2 dari 514 daerah sesuai dengan “Pekalongan”." in page.text
    assert "2 daerah" in page.text


def test_search_is_case_insensitive_and_matches_part_of_a_name(client):
    page = parse(client.get("/?q=pekALONgan"))
    assert set(page.regions) == {"33.26", "33.75"}
    page = parse(client.get("/?q=Metro"))
    assert [name for name, _status in page.regions.values()] == ["Kota Metro"]


def test_search_matching_nothing_says_so(client):
    page = parse(client.get("/?q=Atlantis"))

    assert page.regions == {}
    assert page.provinces == []
    assert "Tidak ada daerah yang sesuai dengan “Atlantis”." in page.text


@pytest.mark.parametrize("term", ["%", "_", "\\", "100%_\\"])
def test_search_treats_like_wildcards_as_plain_characters(client, term):
    page = parse(client.get("/", query_string={"q": term}))
    assert page.regions == {}
    assert "Tidak ada daerah yang sesuai dengan" in page.text


def test_search_term_is_escaped_in_the_page(client):
    response = client.get("/", query_string={"q": '<script>alert("x")</script>'})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize("term", [
    "Pekalongan\x00\x01\x1b[31m\x7f",
    "\x00",
    "\u202ePekalongan\u200b",
    "x" * 10_000,
    "Pekalongan" * 1_000,
])
def test_odd_search_terms_do_not_fail(client, term):
    response = client.get("/", query_string={"q": term})
    assert response.status_code == 200
    page = parse(response)
    assert len(page.regions) <= REGIONS


def test_control_characters_are_dropped_from_the_search_term(client):
    page = parse(client.get("/", query_string={"q": "Peka\x00\x07longan\x1b"}))
    assert set(page.regions) == {"33.26", "33.75"}


def test_switching_to_english_sets_the_cookie_and_returns_to_the_page(client):
    response = client.get("/language/en?next=/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "en"
    assert cookie.http_only
    assert cookie.expires is not None  # persists across browser restarts

    page = parse(client.get("/?all=1"))
    assert page.lang == "en"
    for english in ("112 emergency service across Indonesia", "Search", "Not onboarded", "514 regions", "112 status"):
        assert english in page.text
    assert "Belum bergabung" not in page.text
    assert {status for _name, status in page.regions.values()} <= {"Not onboarded", "Prospect", "Onboarding",
                                                                   "112 live", "Suspended"}

    page = parse(client.get("/?q=Metro"))
    assert "1 of 514 regions match “Metro”." in page.text
    assert "1 region" in page.text and "1 regions" not in page.text

    response = client.get("/language/id?next=/%3Fq%3DPekalongan")
    assert response.headers["Location"] == "/?q=Pekalongan"
    page = parse(client.get(response.headers["Location"]))
    assert page.lang == "id"
    assert "2 dari 514 daerah sesuai dengan “Pekalongan”." in page.text


def test_language_links_come_back_to_the_same_search(client):
    body = client.get("/?q=Pekalongan").get_data(as_text=True)
    assert 'href="/language/en?next=/?q%3DPekalongan"' in body
    body = client.get("/").get_data(as_text=True)
    assert 'href="/language/en?next=/"' in body


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    " //evil.example",
])
def test_language_switch_never_redirects_off_the_site(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_without_next_goes_home(client):
    response = client.get("/language/en")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("code", ["fr", "EN", "id-ID", "x" * 300])
def test_unknown_language_code_is_ignored(client, code):
    response = client.get(f"/language/{code}?next=/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get_cookie("lang") is None
    assert parse(client.get("/")).lang == "id"


def test_unknown_language_in_the_cookie_falls_back_to_bahasa_indonesia(client):
    client.set_cookie("lang", "fr")
    page = parse(client.get("/?q=Bantaeng"))  # a region no test gives a tenant
    assert page.lang == "id"
    assert "Belum bergabung" in page.text


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/%20/evil.example"])
def test_language_switch_refuses_whitespace_tricks_in_next(client, target):
    response = client.get(f"/language/en?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
