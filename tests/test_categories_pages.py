"""The incident categories pages: national defaults listed in Indonesian, renamed and mapped through forms."""

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
from siaga112.tenants.categories.defaults import NATIONAL_CATEGORIES
from siaga112.tenants.categories.service import get_category
from siaga112.tenants.directory.service import create_agency


@pytest.fixture(scope="module")
def kupang(database):
    with database.transaction(PLATFORM) as session:
        found = session.scalar(select(Tenant).where(Tenant.region_code == "53.71"))
        return found or create_tenant(session, "53.71", Actor.system("tests"))


def sign_in(app, client, database, tenant, role):
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.go.id", role, None)
        grant_role(session, user, role, tenant.id)
    raw = uuid.uuid4().hex
    with client.session_transaction() as browser:
        browser["user_id"] = str(user.id)
        browser["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def text_of(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_the_list_shows_every_national_category_in_indonesian(app, client, database, kupang):
    sign_in(app, client, database, kupang, "operator")
    response = client.get(f"/tenants/{kupang.slug}/categories")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Kategori kejadian</h1>" in html
    assert all(f'data-category="{c.code}"' in html for c in NATIONAL_CATEGORIES)
    assert "Banjir rob" in text_of(response) and 'id="category-form"' not in html  # operators only read


def test_a_regional_admin_renames_and_maps_a_category(app, client, database, kupang):
    token = sign_in(app, client, database, kupang, "regional_admin")
    with database.transaction(TenantContext(kupang.id)) as session:
        bpbd = create_agency(session, kupang.id, {"name": "BPBD Kota Kupang", "kind": "disaster"}, Actor.system("t"))
    path = f"/tenants/{kupang.slug}/categories/flood"
    form = client.get(path)
    assert 'id="category-edit-form"' in form.get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form.get_data(as_text=True)).group(1)
    saved = client.post(path, data={"csrf_token": token, "name_id": "Banjir dan genangan", "name_en": "Flood",
                                    "active": "y", "agency_ids": [str(bpbd.id)], "version": version})
    assert saved.status_code == 302, text_of(saved)
    listed = client.get(saved.headers["Location"])
    assert "Kategori Banjir dan genangan disimpan." in text_of(listed)
    with database.transaction(TenantContext(kupang.id)) as session:
        flood = get_category(session, kupang.id, "flood")
        assert flood.agency_ids == [bpbd.id] and flood.emergency is True  # the national flag stays
    stale = client.post(path, data={"csrf_token": token, "name_id": "X", "name_en": "X", "version": version})
    assert stale.status_code == 409


def test_a_region_adds_its_own_category_through_the_form(app, client, database, kupang):
    token = sign_in(app, client, database, kupang, "regional_admin")
    data = {"csrf_token": token, "code": "gas_leak", "name_id": "Kebocoran gas", "name_en": "Gas leak",
            "emergency": "y"}
    assert client.post(f"/tenants/{kupang.slug}/categories", data=data).status_code == 302
    again = client.post(f"/tenants/{kupang.slug}/categories", data=data)
    assert again.status_code == 409 and "sudah memiliki kategori dengan kode ini" in text_of(again)
    bad = client.post(f"/tenants/{kupang.slug}/categories", data=data | {"code": "Gas Leak"})
    assert bad.status_code == 422 and "Huruf kecil" in text_of(bad)


def test_an_unknown_category_page_is_404(app, client, database, kupang):
    sign_in(app, client, database, kupang, "supervisor")
    assert client.get(f"/tenants/{kupang.slug}/categories/no_such_thing").status_code == 404
