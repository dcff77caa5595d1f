"""Security headers on pages, the API and downloads; nothing personal is cached; nothing inline for the CSP to refuse."""

import re
from pathlib import Path

import pytest

from siaga112.platform.identity.models import User
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM
from tests.test_sign_in import PASSWORD, make_person, post_sign_in

ROOT = Path(__file__).resolve().parent.parent
EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@pytest.fixture(scope="module")
def admin_token(database, tenants):
    with database.transaction(PLATFORM) as session:
        return issue_access_token(session, session.get(User, tenants["a"]["admin"].id))


def csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/sign-in", "/api/v1/regions/33.75", "/api/v1/docs", "/no-such-page"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    for name, value in EVERY_ANSWER.items():
        assert response.headers.get(name) == value, name
    policy = csp(response)
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"  # nothing inline runs
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://siaga112.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_api_answers_are_never_stored(client, tenants, admin_token):
    public = client.get("/api/v1/regions/33.75")
    private = client.get(f"/api/v1/tenants/{tenants['a']['tenant'].slug}/agencies",
                         headers={"Authorization": f"Bearer {admin_token}"})
    refused = client.get(f"/api/v1/tenants/{tenants['b']['tenant'].slug}/agencies",
                         headers={"Authorization": f"Bearer {admin_token}"})
    assert private.status_code == 200 and refused.status_code == 404
    for response in (public, private, refused):
        assert response.headers["Cache-Control"] == "no-store"


def test_pages_of_a_signed_in_person_are_never_stored(app, database):
    anonymous = app.test_client()
    assert "no-store" not in (anonymous.get("/").headers.get("Cache-Control") or "")  # the public registry
    person = app.test_client()
    post_sign_in(person, make_person(database, "national_monitor"), PASSWORD)
    for path in ("/", "/home"):
        assert person.get(path).headers["Cache-Control"] == "no-store", path


def test_the_api_docs_start_swagger_from_a_static_script(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert 'data-spec-url="/api/v1/openapi.json"' in page
    assert "js/swagger-init.js" in page
    assert client.get("/static/js/swagger-init.js").status_code == 200


TEMPLATES = sorted(path for top in ("platform", "tenants", "onboarding") for path in (ROOT / top).rglob("templates/**/*.html"))
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\sstyle=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "an inline event handler"),
]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_has_inline_script_or_style(template):
    """The CSP refuses them, so the browser would silently drop them (and the page would break)."""
    text = template.read_text()
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert found == [], f"{template.relative_to(ROOT)} has {', '.join(found)}: move it into a static file"


def test_a_download_is_saved_never_rendered_and_never_stored(client, database):
    from tests.test_training_api import PDF, member, new_record, tenant_of, upload, url

    tenant = tenant_of(database, "35.79")  # Kota Batu, as the training tests
    _admin, admin = member(database, tenant, "regional_admin")
    person, _operator = member(database, tenant, "operator")
    created = new_record(client, tenant, admin, person)
    path = url(tenant, f"/{created.json['id']}/certificate")
    upload(client, path, admin, created.headers["ETag"], PDF)
    download = client.get(path, headers=admin)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"  # nothing in it runs
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Cache-Control"] == "private, no-store"
    assert download.headers["X-Frame-Options"] == "DENY"
