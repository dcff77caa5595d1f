"""The agencies and numbers pages: Indonesian by default, CSRF forms, the same rules as the API."""

import re
import uuid

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant
from siaga112.tenants.directory.forms import AFFILIATION_LABELS, KIND_LABELS, NUMBER_KIND_LABELS
from siaga112.tenants.directory.models import AFFILIATIONS, AGENCY_KINDS, NUMBER_KINDS, Agency, PhoneNumber


def tenant_of(database, region_code):
    with database.transaction(PLATFORM) as session:
        found = session.scalar(select(Tenant).where(Tenant.region_code == region_code))
        return found or create_tenant(session, region_code, Actor.system("tests"))


def person(database, role, tenant):
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.go.id", f"{role} person", None)
        grant_role(session, user, role, tenant.id)
        return user


def sign_in(app, client, user) -> str:
    """A signed-in browser session; returns a CSRF token valid for it."""
    raw = uuid.uuid4().hex
    with client.session_transaction() as browser:
        browser["user_id"] = str(user.id)
        browser["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


@pytest.fixture(scope="module")
def denpasar(database):
    return tenant_of(database, "51.71")


@pytest.fixture
def admin_browser(app, client, database, denpasar):
    return sign_in(app, client, person(database, "regional_admin", denpasar))


def page_text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def contact_numbers(database, tenant, agency_name):
    with database.transaction(TenantContext(tenant.id)) as session:
        agency = session.scalar(select(Agency).where(Agency.tenant_id == tenant.id, Agency.name == agency_name))
        return None if agency is None else [(n.e164, n.kind, n.label) for n in agency.contacts]


def test_every_kind_has_a_label():
    assert set(KIND_LABELS) == set(AGENCY_KINDS)
    assert set(AFFILIATION_LABELS) == set(AFFILIATIONS)
    assert set(NUMBER_KIND_LABELS) == set(NUMBER_KINDS)


def test_the_agencies_page_speaks_indonesian_and_has_stable_form_ids(client, denpasar, admin_browser):
    response = client.get(f"/tenants/{denpasar.slug}/agencies")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Instansi</h1>" in html
    for element_id in ("agency-form", "agency-name", "agency-kind", "agency-affiliation", "agency-email",
                       "agency-contact-number", "agency-submit"):
        assert f'id="{element_id}"' in html, element_id
    assert 'name="csrf_token"' in html


def test_a_regional_admin_adds_an_agency_with_a_contact_number(client, database, denpasar, admin_browser):
    response = client.post(f"/tenants/{denpasar.slug}/agencies", data={
        "csrf_token": admin_browser, "name": "Polresta Denpasar", "kind": "police", "affiliation": "",
        "email": "polresta@example.go.id", "contact_number": "(0361) 227711", "contact_label": "SPKT"})
    assert response.status_code == 302, page_text(response)
    listed = client.get(response.headers["Location"])
    assert "Instansi Polresta Denpasar ditambahkan." in page_text(listed)
    assert "(0361) 227711" in page_text(listed)
    assert contact_numbers(database, denpasar, "Polresta Denpasar") == [("+62361227711", "agency_contact", "SPKT")]


def test_a_bad_contact_number_keeps_the_agency_out_too(client, database, denpasar, admin_browser):
    response = client.post(f"/tenants/{denpasar.slug}/agencies", data={
        "csrf_token": admin_browser, "name": "Damkar Denpasar", "kind": "fire", "contact_number": "12 ab"})
    assert response.status_code == 422
    assert "bukan nomor telepon Indonesia yang valid" in page_text(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert contact_numbers(database, denpasar, "Damkar Denpasar") is None


def test_a_contact_number_already_on_the_agency_list_rolls_back_the_new_agency(client, database, denpasar,
                                                                                admin_browser):
    data = {"csrf_token": admin_browser, "name": "BPBD Kota Denpasar", "kind": "disaster"}
    assert client.post(f"/tenants/{denpasar.slug}/agencies", data=data).status_code == 302
    again = client.post(f"/tenants/{denpasar.slug}/agencies", data=data | {"name": "bpbd kota denpasar"})
    assert again.status_code == 409
    assert "Sudah ada instansi bernama" in page_text(again)


def test_a_form_without_its_csrf_token_is_refused(client, database, denpasar, admin_browser):
    response = client.post(f"/tenants/{denpasar.slug}/agencies", data={"name": "Sneaky", "kind": "fire"})
    assert response.status_code == 400
    assert contact_numbers(database, denpasar, "Sneaky") is None


def test_an_operator_reads_the_pages_without_forms_and_cannot_post(app, client, database, denpasar):
    token = sign_in(app, client, person(database, "operator", denpasar))
    listed = client.get(f"/tenants/{denpasar.slug}/agencies")
    assert listed.status_code == 200 and 'id="agency-form"' not in listed.get_data(as_text=True)
    refused = client.post(f"/tenants/{denpasar.slug}/agencies", data={"csrf_token": token, "name": "X", "kind": "fire"})
    assert refused.status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(client, denpasar):
    response = client.get(f"/tenants/{denpasar.slug}/numbers")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_agency_page_changes_an_agency_with_its_version(client, database, denpasar, admin_browser):
    client.post(f"/tenants/{denpasar.slug}/agencies", data={"csrf_token": admin_browser, "name": "PLN Denpasar",
                                                             "kind": "utility"})
    with database.transaction(TenantContext(denpasar.id)) as session:
        agency = session.scalar(select(Agency).where(Agency.name == "PLN Denpasar"))
    path = f"/tenants/{denpasar.slug}/agencies/{agency.id}"
    form = client.get(path).get_data(as_text=True)
    assert 'id="agency-edit-form"' in form and "Lainnya (BUMN, PMI, swasta)" in form
    changed = client.post(path, data={"csrf_token": admin_browser, "name": "PLN UP3 Bali Selatan", "kind": "utility",
                                      "affiliation": "other", "email": "", "active": "y", "version": agency.version})
    assert changed.status_code == 302
    stale = client.post(path, data={"csrf_token": admin_browser, "name": "Old", "kind": "utility",
                                    "affiliation": "other", "version": agency.version})
    assert stale.status_code == 409 and "Orang lain mengubahnya" in page_text(stale)


def test_numbers_page_registers_a_line_once_on_the_whole_platform(app, client, database, denpasar, admin_browser,
                                                                  tenants):
    line = f"(0361) 4{uuid.uuid4().int % 100000:05d}"
    added = client.post(f"/tenants/{denpasar.slug}/numbers", data={"csrf_token": admin_browser, "number": line,
                                                                    "kind": "inbound_line", "label": "Utama"})
    assert added.status_code == 302
    assert line in page_text(client.get(added.headers["Location"]))
    elsewhere = tenants["a"]["tenant"]
    token = sign_in(app, client, person(database, "regional_admin", elsewhere))
    refused = client.post(f"/tenants/{elsewhere.slug}/numbers", data={"csrf_token": token, "number": line,
                                                                      "kind": "backup_line"})
    assert refused.status_code == 409
    text = page_text(refused)
    assert "Saluran ini sudah terdaftar" in text and "Denpasar" not in text


def test_number_rows_can_be_deactivated_and_removed(client, database, denpasar, admin_browser):
    line = f"0361 4{uuid.uuid4().int % 100000:05d}"
    client.post(f"/tenants/{denpasar.slug}/numbers", data={"csrf_token": admin_browser, "number": line,
                                                            "kind": "backup_line"})
    with database.transaction(TenantContext(denpasar.id)) as session:
        number = session.scalar(select(PhoneNumber).where(PhoneNumber.e164 == "+62" + line[1:].replace(" ", "")))
    base = f"/tenants/{denpasar.slug}/numbers/{number.id}"
    assert client.post(f"{base}/active", data={"csrf_token": admin_browser, "version": number.version}).status_code == 302
    stale = client.post(f"{base}/delete", data={"csrf_token": admin_browser, "version": number.version}, follow_redirects=True)
    assert "Orang lain mengubahnya" in page_text(stale)
    assert client.post(f"{base}/delete", data={"csrf_token": admin_browser, "version": number.version + 1}).status_code == 302
    with database.transaction(TenantContext(denpasar.id)) as session:
        assert session.get(PhoneNumber, number.id) is None


def test_the_pages_switch_to_english(client, denpasar, admin_browser):
    client.set_cookie("lang", "en")
    response = client.get(f"/tenants/{denpasar.slug}/numbers")
    assert "<h1>Numbers</h1>" in response.get_data(as_text=True)


def test_control_characters_in_a_form_are_refused_not_a_crash(client, denpasar, admin_browser):
    response = client.post(f"/tenants/{denpasar.slug}/agencies", data={
        "csrf_token": admin_browser, "name": "Nul\x00Agency", "kind": "fire", "contact_label": "a\x07"})
    assert response.status_code == 422
    assert page_text(response).count("Hapus karakter kontrol dari teks ini.") == 2


def test_removing_a_number_asks_first_and_looks_like_danger(app, client, database, tenants):
    from tests.test_sign_in import post_sign_in

    from tests.test_sign_in import csrf_token

    post_sign_in(client, tenants["a"]["admin"].email, "correct horse battery staple")
    path = f"/tenants/{tenants['a']['tenant'].slug}/numbers"
    added = client.post(path, data={"csrf_token": csrf_token(client.get(path).get_data(as_text=True)),
                                    "number": "0285 4210 999", "kind": "backup_line", "label": "Cadangan"})
    assert added.status_code in (302, 409)  # added now, or by an earlier run of this test
    html = client.get(path).get_data(as_text=True)
    rows = re.findall(r'<tr data-e164=.*?</tr>', html, re.S)
    assert rows
    for row in rows:
        # the remove button is inside a disclosure that asks, and is styled apart from the safe ones
        assert re.search(r'<details class="confirm">\s*<summary class="danger">Hapus</summary>', row), row
        assert "akan dihapus dari daftar nomor daerah ini" in row
