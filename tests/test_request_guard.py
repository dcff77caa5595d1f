"""Bodies that once ended in a 500: refused, before any handler, with an answer a client can act on."""

import io

import pytest

from siaga112.platform.request_guard import MAX_JSON_DEPTH, json_depth
from siaga112.platform.identity.models import User
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM

PROBLEM = "application/problem+json"
SURROGATE = '"s\\ud800"'  # a JSON escape of a lone UTF-16 surrogate: valid JSON, not storable text


@pytest.fixture(scope="module")
def admin(database, tenants):
    with database.transaction(PLATFORM) as session:
        user = session.get(User, tenants["a"]["admin"].id)
        return {"Authorization": f"Bearer {issue_access_token(session, user)}"}


def post_raw(client, path, text, headers, method="post"):
    return getattr(client, method)(path, data=text.encode(), headers=headers | {"Content-Type": "application/json"})


# The seven writes that answered 500 with a lone surrogate: bodies valid but for it (the field named last).
SURROGATE_CASES = [
    ("post", "/agencies", '{"name": %s, "kind": "fire"}', "name"),
    ("post", "/members", '{"email": "surrogate@example.go.id", "name": %s, "role": "operator"}', "name"),
    ("post", "/categories", '{"code": "flood_x", "name_id": %s, "name_en": "Flood", "emergency": true}', "name_id"),
    ("post", "/shifts", '{"name": %s, "code": "X", "start_time": "07:30", "end_time": "16:00", "min_staff": 1}',
     "name"),
    ("post", "/numbers", '{"number": "0285 421119", "kind": "inbound_line", "label": %s}', "label"),
    ("post", "/training-records", '{"user_id": "{admin}", "course": %s, "provider": "BPBD", '
     '"completed_on": "2026-01-05"}', "course"),
    ("patch", "", '{"address": %s}', "address"),
]


@pytest.mark.parametrize("method, rest, template, field", SURROGATE_CASES, ids=[c[1] or "tenant" for c in SURROGATE_CASES])
def test_a_lone_surrogate_is_422_naming_the_field(client, tenants, admin, method, rest, template, field):
    path = f"/api/v1/tenants/{tenants['a']['tenant'].slug}{rest}"
    headers = admin | {"If-Match": client.get(path, headers=admin).headers["ETag"]} if method == "patch" else admin
    body = (template % SURROGATE).replace("{admin}", str(tenants["a"]["admin"].id))
    response = post_raw(client, path, body, headers, method)
    assert response.status_code == 422, response.data
    assert response.mimetype == PROBLEM
    assert response.json["errors"][0]["field"] == f"json.{field}"
    assert "surrogate" in response.json["errors"][0]["message"]


def test_a_nul_anywhere_in_the_json_is_422_naming_where(client, tenants, admin):
    path = f"/api/v1/tenants/{tenants['a']['tenant'].slug}/agencies"
    response = post_raw(client, path, '{"name": "Pemadam", "kind": "fire", "tags": [{"x\\u0000": 1}]}', admin)
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "json.tags.0.x\x00"
    assert "NUL" in response.json["errors"][0]["message"]


def test_json_nested_a_thousand_deep_is_refused_without_recursing(client, tenants, admin):
    path = f"/api/v1/tenants/{tenants['a']['tenant'].slug}/agencies"
    response = post_raw(client, path, "[" * 1000 + "]" * 1000, admin)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert f"deeper than {MAX_JSON_DEPTH} levels" in response.json["detail"]


def test_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": "[[[[{{{{", "b": [1, {"c": "\\"]]"}]}') == 3
    assert json_depth("[]") == 1 and json_depth('"x"') == 0


def test_a_chunked_json_body_beyond_the_limit_is_413(client, tenants, admin):
    path = f"/api/v1/tenants/{tenants['a']['tenant'].slug}/agencies"
    body = b'{"name": "' + b"x" * (30 * 1024 * 1024) + b'", "kind": "fire"}'
    # No Content-Length: the size is known only as the body is read, as with Transfer-Encoding: chunked.
    response = client.post(path, input_stream=io.BytesIO(body), headers=admin | {"Content-Type": "application/json"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413 and response.mimetype == PROBLEM
    assert "larger than 1024 KB" in response.json["detail"]


def test_a_json_body_with_content_length_beyond_the_limit_is_413(client, tenants, admin):
    path = f"/api/v1/tenants/{tenants['a']['tenant'].slug}/agencies"
    response = post_raw(client, path, '{"name": "%s", "kind": "fire"}' % ("x" * (2 * 1024 * 1024)), admin)
    assert response.status_code == 413 and response.mimetype == PROBLEM


def test_text_people_really_type_passes(client, tenants, admin):
    path = f"/api/v1/tenants/{tenants['a']['tenant'].slug}/agencies"
    name = "Damkar \u200fمركز\u200e Kota 🚒 Pekalongan"  # RTL and LTR marks, Arabic script, an emoji
    response = client.post(path, json={"name": name, "kind": "fire"}, headers=admin)
    assert response.status_code == 201, response.json
    assert response.json["name"] == name
