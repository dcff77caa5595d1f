"""Generated from the app's own url map: every route with a {tenant} answers 404 to another tenant's principal.

New routes are covered without anyone touching this file: a principal holding
every tenant role in tenant A calls each method of each route on tenant B, by
bearer token (API) and by signed-in browser session (pages), and must get 404
with nothing changed in the database.
"""

import uuid

import pytest
from sqlalchemy import text

from siaga112.platform.identity.access import ALLOWED_ROLES_ATTRIBUTE, PUBLIC_ATTRIBUTE
from siaga112.platform.identity.roles import TENANT_ROLES
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM

UNGUARDED_BLUEPRINTS = {"api-docs", "static"}  # flask-smorest's spec and docs, static files
SAMPLE_VALUES = {"uuid": str(uuid.uuid4()), "int": "1", "default": "x"}


def tenant_routes(app):
    for rule in app.url_map.iter_rules():
        if "tenant" in rule.arguments:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def concrete_path(rule, tenant_slug):
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__.lower().replace("converter", "") if name in rule._converters else "default"
        values[name] = tenant_slug if name == "tenant" else SAMPLE_VALUES.get(converter, "x")
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture(scope="module")
def insider_of_a(database, tenants):
    """A person holding every tenant role in tenant A (an agency responder for A's agency too)."""
    a = tenants["a"]
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"insider-{uuid.uuid4().hex[:6]}@example.go.id", "Insider A",
                           "correct horse battery staple")
        for role in TENANT_ROLES:
            grant_role(session, user, role, a["tenant"].id, a["agency_id"] if role == "agency_responder" else None)
        token = issue_access_token(session, user)
    return user, token


def table_counts(database):
    """Rows per table; web_sessions is left out, as it holds the test's own browser session."""
    with database.transaction(PLATFORM) as session:
        tables = session.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename NOT IN ('alembic_version', 'web_sessions')")).scalars()
        return {table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in tables}


def test_there_are_tenant_routes_to_check(app):
    assert len(list(tenant_routes(app))) >= 8


def test_every_route_states_its_allowed_roles(app):
    unstated = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in UNGUARDED_BLUEPRINTS or rule.endpoint.endswith(".static"):
            continue  # static files of the app and of blueprints (stylesheets, scripts)
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower(), None) if view_class else view
            if not (getattr(handler, ALLOWED_ROLES_ATTRIBUTE, None) or getattr(handler, PUBLIC_ATTRIBUTE, False)):
                unstated.append(f"{method} {rule.rule}")
    assert unstated == [], "declare @roles_allowed(...) or @public on these"


def signed_in_browser(app, client, user):
    """A browser session of `user` with a valid CSRF token, so a refused write is refused for the tenant."""
    from itsdangerous import URLSafeTimedSerializer

    raw = uuid.uuid4().hex
    with client.session_transaction() as browser_session:
        browser_session["user_id"] = str(user.id)
        browser_session["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def test_a_principal_of_tenant_a_gets_404_on_tenant_b_everywhere(app, client, database, tenants, insider_of_a):
    user, token = insider_of_a
    b_slug = tenants["b"]["tenant"].slug
    before = table_counts(database)
    answers = {}
    for rule, method in tenant_routes(app):
        path = concrete_path(rule, b_slug)
        if rule.rule.startswith("/api/"):
            response = client.open(path, method=method, json={}, headers={
                "Authorization": f"Bearer {token}", "If-Match": '"x"', "Accept": "application/json"})
        else:
            csrf = signed_in_browser(app, client, user)
            response = client.open(path, method=method, data={"csrf_token": csrf},
                                   headers={"Accept": "text/html", "X-CSRFToken": csrf})
        answers[f"{method} {rule.rule}"] = response.status_code
    assert {route: status for route, status in answers.items() if status != 404} == {}
    assert table_counts(database) == before


def test_the_api_does_not_accept_the_browser_session(app, client, tenants, insider_of_a):
    user, _token = insider_of_a
    signed_in_browser(app, client, user)
    response = client.get(f"/api/v1/tenants/{tenants['a']['tenant'].slug}")
    assert response.status_code == 401


def test_the_same_principal_reaches_its_own_tenant(client, tenants, insider_of_a):
    _user, token = insider_of_a
    response = client.get(f"/api/v1/tenants/{tenants['a']['tenant'].slug}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json["slug"] == "kota-pekalongan"
