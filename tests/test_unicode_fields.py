"""Arbitrary Unicode in every string field of every POST, PUT and PATCH: never a 5xx.

Lone surrogates and NUL (which PostgreSQL cannot store) are refused with 422 naming the field, before
any handler; everything else a person could paste — RTL and zero-width marks, byte-order marks, any
script — either passes validation or is refused by it. The operations and their fields come from the
app's own OpenAPI document, so a new endpoint is covered without anyone touching this file.
"""

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM

WRITES = ("post", "put", "patch")
TRICKY = ["\x00", "\ud800", "\udfff", "\u200f", "\u202e", "\u200b", "\ufeff", "\u0301", "مركز", "🚒", "\r\n", " "]
TEXT = st.lists(st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from(TRICKY)),
                max_size=12).map("".join)


def resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def plausible(spec, schema):
    """A value the schema accepts in shape (not necessarily one the rules accept)."""
    schema = resolve(spec, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind, form = schema.get("type"), schema.get("format")
    if kind == "string":
        return {"uuid": str(uuid.uuid4()), "date": "2026-12-01", "date-time": "2026-12-01T07:30:00Z",
                "email": "warga@example.go.id"}.get(form, "Siaga")
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    return {}


def json_writes(spec):
    """(method, path, body schema) of every JSON write in the document."""
    for path, item in spec["paths"].items():
        for method in WRITES:
            body = item.get(method, {}).get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                yield method, path, resolve(spec, body["schema"])


def string_fields(spec, schema):
    return sorted(name for name, field in schema.get("properties", {}).items()
                  if resolve(spec, field).get("type") == "string" and not field.get("readOnly"))


@pytest.fixture(scope="module")
def everyone(database, tenants):
    """Every tenant role in tenant A and the platform admin: whatever the route, the body is read."""
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"unicode-{uuid.uuid4().hex[:8]}@example.go.id", "Unicode", None)
        for role in ("regional_admin", "supervisor", "operator"):
            grant_role(session, user, role, tenants["a"]["tenant"].id)
        grant_role(session, user, "platform_admin")
        return {"Authorization": f"Bearer {issue_access_token(session, user)}", "If-Match": "*",
                "Content-Type": "application/json"}


def concrete(path, slug):
    parts = []
    for part in path.split("/"):
        if part == "{tenant}":
            parts.append(slug)
        elif part.startswith("{"):
            parts.append("fire" if part == "{code}" else str(uuid.uuid4()))
        else:
            parts.append(part)
    return "/".join(parts)


def unstorable(text: str) -> bool:
    """What the server will refuse: a NUL, or a surrogate still alone once JSON has joined the escaped pairs
    (a high and a low surrogate escaped side by side are one character, e.g. an emoji)."""
    seen = json.loads(json.dumps(text, ensure_ascii=True))
    return "\x00" in seen or any(0xD800 <= ord(char) <= 0xDFFF for char in seen)


def test_there_are_string_fields_to_throw_at(client):
    spec = client.get("/api/v1/openapi.json").json
    assert sum(len(string_fields(spec, schema)) for _m, _p, schema in json_writes(spec)) >= 30


def test_arbitrary_unicode_in_any_string_field_never_ends_in_a_server_error(client, tenants, everyone):
    spec = client.get("/api/v1/openapi.json").json
    slug = tenants["a"]["tenant"].slug
    for method, path, schema in json_writes(spec):
        base = {name: plausible(spec, field) for name, field in schema.get("properties", {}).items()
                if not field.get("readOnly")}
        for name in string_fields(spec, schema):

            @given(text=TEXT)
            @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def check(text):
                body = json.dumps(base | {name: text}, ensure_ascii=True)  # lone surrogates as \\udXXX escapes
                response = client.open(concrete(path, slug), method=method.upper(), data=body, headers=everyone)
                assert response.status_code < 500, f"{method.upper()} {path} {name}={text!r}: {response.data[:300]}"
                if unstorable(text):
                    assert response.status_code == 422, f"{method.upper()} {path} {name}={text!r}"
                    assert f"json.{name}" in {error["field"] for error in response.json["errors"]}

            check()
