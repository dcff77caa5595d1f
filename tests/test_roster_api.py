"""Shifts, assignments, the rotation generator and coverage through the API, as each role sees them."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text

from siaga112.platform.tenancy.context import PLATFORM
from tests.test_roster_helpers import JAYAWIJAYA, BOALEMO, BELITUNG, create_shifts, member, tenant_of

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def belitung(database):
    return tenant_of(database, BELITUNG)


@pytest.fixture(scope="module")
def admin(database, belitung):
    return member(database, belitung, "regional_admin")[1]


@pytest.fixture(scope="module")
def supervisor(database, belitung):
    return member(database, belitung, "supervisor")[1]


@pytest.fixture(scope="module")
def operator(database, belitung):
    return member(database, belitung, "operator")


@pytest.fixture(scope="module")
def shifts(client_module, belitung, admin):
    return {s["code"]: s for s in create_shifts(client_module, belitung.slug, admin)}


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


def shifts_url(tenant, *rest):
    return "/".join([f"/api/v1/tenants/{tenant.slug}/shifts", *rest])


def roster_url(tenant, rest=""):
    return f"/api/v1/tenants/{tenant.slug}/roster{rest}"


def field_errors(response):
    assert response.status_code == 422, response.json
    assert response.mimetype == PROBLEM
    return [error["field"] for error in response.json["errors"]]


# --- shifts --------------------------------------------------------------------------------------

def test_a_regional_admin_creates_a_shift_crossing_midnight(client, belitung, admin, shifts):
    night = shifts["M"]
    assert (night["start_time"], night["end_time"], night["crosses_midnight"]) == ("23:30", "07:30", True)
    assert night["duration_minutes"] == 480 and shifts["P"]["duration_minutes"] == 510
    listed = client.get(shifts_url(belitung), headers=admin)
    assert [s["code"] for s in listed.json] == ["P", "S", "M"]  # by local start time
    assert "X-Pagination" in listed.headers


@pytest.mark.parametrize("body, field", [
    ({"start_time": "07:30", "end_time": "07:30"}, "json.end_time"),
    ({"min_staff": 0}, "json.min_staff"),
    ({"min_staff": 1.5}, "json.min_staff"),
    ({"start_time": "7.30"}, "json.start_time"),
    ({"start_time": "24:00"}, "json.start_time"),
    ({"end_time": "07:30:00"}, "json.end_time"),
    ({"code": "too long"}, "json.code"),
    ({"name": ""}, "json.name"),
    ({"name": "Pagi\x00"}, "json.name"),
])
def test_bad_shift_input_is_422_naming_the_field(client, belitung, admin, body, field):
    shift = {"name": "Tengah", "code": "T", "start_time": "10:00", "end_time": "14:00", "min_staff": 1, **body}
    response = client.post(shifts_url(belitung), json=shift, headers=admin)
    assert field_errors(response) == [field]
    assert response.json["detail"]


def test_a_shift_code_is_unique_in_the_tenant(client, belitung, admin, shifts):
    again = client.post(shifts_url(belitung), headers=admin, json={
        "name": "Pagi lagi", "code": "p", "start_time": "08:00", "end_time": "12:00", "min_staff": 1})
    assert again.status_code == 409
    assert "code P" in again.json["detail"]


def test_shift_updates_need_a_fresh_etag(client, belitung, admin):
    created = client.post(shifts_url(belitung), headers=admin, json={
        "name": "Tengah", "code": "T", "start_time": "10:00", "end_time": "14:00", "min_staff": 1})
    path = shifts_url(belitung, created.json["id"])
    etag = client.get(path, headers=admin).headers["ETag"]
    assert client.patch(path, json={"min_staff": 2}, headers=admin).status_code == 428
    changed = client.patch(path, json={"min_staff": 2, "end_time": "15:00"}, headers={**admin, "If-Match": etag})
    assert changed.status_code == 200 and changed.json["min_staff"] == 2 and changed.json["end_time"] == "15:00"
    assert changed.headers["ETag"] != etag
    assert client.patch(path, json={"min_staff": 3}, headers={**admin, "If-Match": etag}).status_code == 412
    fresh = changed.headers["ETag"]
    assert field_errors(client.patch(path, json={"end_time": "10:00"}, headers={**admin, "If-Match": fresh})) \
        == ["json.end_time"]
    deleted = client.delete(path, headers={**admin, "If-Match": client.get(path, headers=admin).headers["ETag"]})
    assert deleted.status_code == 204
    assert client.get(path, headers=admin).status_code == 404


def test_who_may_read_and_write_shifts(client, database, belitung, admin, supervisor, operator, shifts):
    _user, operator_headers = operator
    monitor = member(database, None, "national_monitor")[1]
    for reader in (supervisor, operator_headers, monitor):
        assert client.get(shifts_url(belitung), headers=reader).status_code == 200
    body = {"name": "X", "code": "X", "start_time": "01:00", "end_time": "02:00", "min_staff": 1}
    for writer in (supervisor, operator_headers, monitor):
        assert client.post(shifts_url(belitung), json=body, headers=writer).status_code == 403
    assert client.get(shifts_url(belitung)).status_code == 401


def test_a_rostered_shift_cannot_be_deleted_only_deactivated(client, database, belitung, admin, supervisor):
    created = client.post(shifts_url(belitung), headers=admin, json={
        "name": "Cadangan", "code": "C", "start_time": "09:00", "end_time": "13:00", "min_staff": 1}).json
    person, _ = member(database, belitung, "operator")
    assert client.post(roster_url(belitung), headers=supervisor, json={
        "user_id": str(person.id), "shift_id": created["id"], "date": "2026-03-02"}).status_code == 201
    path = shifts_url(belitung, created["id"])
    etag = client.get(path, headers=admin).headers["ETag"]
    refused = client.delete(path, headers={**admin, "If-Match": etag})
    assert refused.status_code == 409 and "inactive" in refused.json["detail"]
    assert client.patch(path, json={"active": False}, headers={**admin, "If-Match": etag}).json["active"] is False
    inactive = client.post(roster_url(belitung), headers=supervisor, json={
        "user_id": str(person.id), "shift_id": created["id"], "date": "2026-03-03"})
    assert field_errors(inactive) == ["json.shift_id"]


# --- assignments ---------------------------------------------------------------------------------

def test_a_supervisor_assigns_a_member_and_lists_the_roster(client, belitung, supervisor, operator, shifts):
    user, operator_headers = operator
    body = {"user_id": str(user.id), "shift_id": shifts["M"]["id"], "date": "2026-02-10"}
    created = client.post(roster_url(belitung), json=body, headers=supervisor)
    assert created.status_code == 201, created.json
    night = created.json
    assert (night["shift_code"], night["date"], night["name"]) == ("M", "2026-02-10", user.name)
    assert night["start_local"] == "2026-02-10T23:30:00+07:00" and night["end_local"] == "2026-02-11T07:30:00+07:00"
    assert night["start"] == "2026-02-10T16:30:00+00:00"
    assert client.post(roster_url(belitung), json=body, headers=supervisor).status_code == 409

    listed = client.get(roster_url(belitung, "?from=2026-02-10&to=2026-02-10"), headers=operator_headers)
    assert [a["id"] for a in listed.json] == [night["id"]]
    assert client.get(roster_url(belitung, "?from=2026-02-11&to=2026-02-12"), headers=supervisor).json == []

    assert client.delete(roster_url(belitung, f"/{night['id']}"), headers=operator_headers).status_code == 403
    assert client.delete(roster_url(belitung, f"/{night['id']}"), headers=supervisor).status_code == 204
    assert client.delete(roster_url(belitung, f"/{night['id']}"), headers=supervisor).status_code == 404


def test_someone_who_is_not_a_member_cannot_be_rostered(client, database, belitung, supervisor, shifts, tenants):
    outsider, _ = member(database, tenants["b"]["tenant"], "operator")
    response = client.post(roster_url(belitung), headers=supervisor, json={
        "user_id": str(outsider.id), "shift_id": shifts["P"]["id"], "date": "2026-02-10"})
    assert field_errors(response) == ["json.user_id"]
    assert "not an operator, supervisor or regional admin of this tenant" in response.json["detail"]
    responder_shift = client.post(roster_url(belitung), headers=supervisor, json={
        "user_id": str(outsider.id), "shift_id": str(uuid.uuid4()), "date": "2026-02-10"})
    assert responder_shift.status_code == 422


def test_the_database_refuses_an_assignment_into_another_tenant(owner_database, database, belitung, shifts, tenants):
    """Even written past the service (as the owner, RLS aside), a row cannot name another tenant's member."""
    from sqlalchemy.exc import IntegrityError

    outsider, _ = member(database, tenants["b"]["tenant"], "operator")
    with owner_database.transaction(PLATFORM) as session:
        membership_id = session.execute(text("SELECT id FROM memberships WHERE user_id = :u"),
                                        {"u": outsider.id}).scalar_one()
    with pytest.raises(IntegrityError, match="fk_roster_assignments_tenant_membership"):
        with owner_database.transaction(PLATFORM) as session:
            session.execute(text(
                "INSERT INTO roster_assignments (tenant_id, shift_id, membership_id, user_id, local_date) "
                "VALUES (:t, :s, :m, :u, '2026-02-10')"),
                {"t": belitung.id, "s": shifts["P"]["id"], "m": membership_id, "u": outsider.id})


@pytest.mark.parametrize("body, field", [
    ({"date": "2026-02-30"}, "json.date"),
    ({"date": "1999-12-31"}, "json.date"),
    ({"user_id": "nobody"}, "json.user_id"),
    ({"shift_id": None}, "json.shift_id"),
])
def test_bad_assignment_input_is_422_naming_the_field(client, belitung, supervisor, operator, shifts, body, field):
    user, _ = operator
    assignment = {"user_id": str(user.id), "shift_id": shifts["P"]["id"], "date": "2026-02-10", **body}
    assert field_errors(client.post(roster_url(belitung), json=assignment, headers=supervisor)) == [field]


@pytest.mark.parametrize("query, field", [
    ("", "query.from"),
    ("?from=2026-02-01", "query.to"),
    ("?from=2026-02-10&to=2026-02-01", "query.to"),
    ("?from=2026-01-01&to=2026-03-05", "query.to"),
    ("?from=tomorrow&to=2026-02-01", "query.from"),
    ("?from=0001-01-01&to=0001-01-02", "query.from"),
    ("?from=9999-12-30&to=9999-12-31", "query.from"),
])
@pytest.mark.parametrize("path", ["", "/coverage"])
def test_a_bad_range_is_422_naming_the_field(client, belitung, supervisor, path, query, field):
    assert field in field_errors(client.get(roster_url(belitung, path + query), headers=supervisor))


def test_the_range_limit_says_how_far(client, belitung, supervisor):
    response = client.get(roster_url(belitung, "/coverage?from=2026-01-01&to=2026-03-05"), headers=supervisor)
    [error] = response.json["errors"]
    assert error["field"] == "query.to"
    assert "at most 62 days" in error["message"] and "2026-03-03" in error["message"]


# --- coverage ------------------------------------------------------------------------------------

def test_coverage_of_an_empty_roster_is_all_gap(client, belitung, supervisor, shifts):
    report = client.get(roster_url(belitung, "/coverage?from=2027-05-01&to=2027-05-01"), headers=supervisor).json
    assert report["day_starts_at"] == "07:30" and report["time_zone"] == "Asia/Jakarta"
    assert report["window"]["start_local"] == "2027-05-01T07:30:00+07:00"
    assert report["window"]["end"] == "2027-05-02T00:30:00+00:00"
    assert report["covered_percent"] == 0.0
    assert [(g["kind"], g["shift_codes"], g["start_local"][11:16]) for g in report["gaps"]][:3] == [
        ("understaffed", ["P"], "07:30"), ("understaffed", ["S"], "16:00"), ("understaffed", ["M"], "23:30")]
    assert sum(g["minutes"] for g in report["gaps"]) == 24 * 60


@pytest.fixture(scope="module")
def jayawijaya(database, client_module):
    """Kabupaten Jayawijaya (WIT, UTC+9) with the three usual shifts and eight operators."""
    tenant = tenant_of(database, JAYAWIJAYA)
    admin_headers = member(database, tenant, "regional_admin")[1]
    shifts = {s["code"]: s for s in create_shifts(client_module, tenant.slug, admin_headers, min_staff=2)}
    people = [member(database, tenant, "operator", name=f"Operator {n}")[0] for n in range(8)]
    return tenant, admin_headers, shifts, people


def test_a_rotation_in_jayapura_time_covers_the_month(client, jayawijaya):
    tenant, headers, shifts, people = jayawijaya
    rotation = {"from": "2026-12-01", "to": "2026-12-31"}
    preview = client.post(roster_url(tenant, "/rotation/preview"), json=rotation, headers=headers)
    assert preview.status_code == 200, preview.json
    plan = preview.json
    assert plan["to_add"] == len(plan["assignments"]) == 8 * 31 * 6 // 8  # 6 working days in a cycle of 8
    assert plan["coverage"]["covered_percent"] == 100.0 and plan["coverage"]["gaps"] == []
    assert plan["coverage"]["conflicts"] == []
    assert plan["coverage"]["window"]["start_local"] == "2026-12-01T07:30:00+09:00"
    assert plan["coverage"]["window"]["start"] == "2026-11-30T22:30:00+00:00"
    # Nothing written by the preview.
    assert client.get(roster_url(tenant, "?from=2026-12-01&to=2026-12-31"), headers=headers).json == []

    applied = client.post(roster_url(tenant, "/rotation/apply"), json={**rotation, "plan_digest": plan["plan_digest"]},
                          headers=headers)
    assert applied.status_code == 200, applied.json
    assert (applied.json["created"], applied.json["removed"]) == (plan["to_add"], 0)
    again = client.post(roster_url(tenant, "/rotation/apply"), json={**rotation, "plan_digest": plan["plan_digest"]},
                        headers=headers)
    assert (again.json["created"], again.json["unchanged"]) == (0, plan["to_add"])  # idempotent

    report = client.get(roster_url(tenant, "/coverage?from=2026-12-01&to=2026-12-31"), headers=headers).json
    assert report["covered_percent"] == 100.0 and report["conflicts"] == []
    assert all(day["covered_percent"] == 100.0 for day in report["days"])
    assert all(s["on_shift"] == s["min_staff"] == 2 for s in report["staffing"])
    listed = client.get(roster_url(tenant, "?from=2026-12-31&to=2026-12-31&page_size=50"), headers=headers).json
    night = next(a for a in listed if a["shift_code"] == "M")
    assert night["start_local"] == "2026-12-31T23:30:00+09:00" and night["end"] == "2026-12-31T22:30:00+00:00"


def test_apply_refuses_a_plan_that_changed_since_its_preview(client, database, jayawijaya):
    tenant, headers, shifts, people = jayawijaya
    rotation = {"from": "2027-01-01", "to": "2027-01-07"}
    digest = client.post(roster_url(tenant, "/rotation/preview"), json=rotation, headers=headers).json["plan_digest"]
    member(database, tenant, "operator", name="Operator baru")  # joins between preview and apply
    stale = client.post(roster_url(tenant, "/rotation/apply"), json={**rotation, "plan_digest": digest},
                        headers=headers)
    assert stale.status_code == 409 and "Preview it again" in stale.json["detail"]
    missing = client.post(roster_url(tenant, "/rotation/apply"), json=rotation, headers=headers)
    assert field_errors(missing) == ["json.plan_digest"]


def test_coverage_reports_conflicts_of_one_person(client, jayawijaya):
    tenant, headers, shifts, people = jayawijaya
    someone = str(people[0].id)

    def assign(code, day):
        response = client.post(roster_url(tenant), headers=headers,
                               json={"user_id": someone, "shift_id": shifts[code]["id"], "date": day})
        assert response.status_code == 201, response.json

    assign("P", "2027-03-01")
    assign("S", "2027-03-01")  # back to back: no rest at all
    assign("M", "2027-03-02")
    assign("P", "2027-03-03")  # 23:30–07:30, then 07:30: no rest again
    report = client.get(roster_url(tenant, "/coverage?from=2027-03-01&to=2027-03-03&max_weekly_hours=20"),
                        headers=headers).json
    kinds = [(c["kind"], c["hours"], c["start_local"][:16]) for c in report["conflicts"]]
    # 07:30–23:30 and 23:30–16:00 the next day: 16 + 16.5 hours on duty in the roster week from Monday 07:30.
    assert kinds == [("weekly_hours", 32.5, "2027-03-01T07:30"), ("short_rest", 0.0, "2027-03-01T16:00"),
                     ("short_rest", 0.0, "2027-03-03T07:30")]
    weekly = next(c for c in report["conflicts"] if c["kind"] == "weekly_hours")
    assert weekly["week_start"] == "2027-03-01" and weekly["limit_hours"] == 20
    assert {c["name"] for c in report["conflicts"]} == {people[0].name}
    for bad in ("0", "169", "1.5", "lots"):
        assert field_errors(client.get(roster_url(tenant, f"/coverage?from=2027-03-01&to=2027-03-03"
                                                          f"&max_weekly_hours={bad}"), headers=headers)) \
            == ["query.max_weekly_hours"]


def test_a_wita_tenant_reports_local_times_at_utc_plus_8(client, database):
    tenant = tenant_of(database, BOALEMO)
    headers = member(database, tenant, "regional_admin")[1]
    create_shifts(client, tenant.slug, headers, shifts=(("Malam", "M", "22:00", "06:00"),))
    report = client.get(roster_url(tenant, "/coverage?from=2026-06-01&to=2026-06-01"), headers=headers).json
    assert report["time_zone"] == "Asia/Makassar" and report["day_starts_at"] == "22:00"
    gaps = [(g["kind"], g["start_local"], g["end_local"], g["start"]) for g in report["gaps"]]
    assert gaps == [("understaffed", "2026-06-01T22:00:00+08:00", "2026-06-02T06:00:00+08:00",
                     "2026-06-01T14:00:00+00:00"),
                    ("uncovered", "2026-06-02T06:00:00+08:00", "2026-06-02T22:00:00+08:00",
                     "2026-06-01T22:00:00+00:00")]


def test_rotation_input_is_checked(client, database, jayawijaya, tenants):
    tenant, headers, shifts, people = jayawijaya
    url = roster_url(tenant, "/rotation/preview")
    outsider, _ = member(database, tenants["b"]["tenant"], "operator")
    cases = [
        ({"from": "2027-01-01", "to": "2027-04-01"}, "json.to"),
        ({"from": "2027-01-01", "to": "2027-01-31", "days_per_shift": 0}, "json.days_per_shift"),
        ({"from": "2027-01-01", "to": "2027-01-31", "days_off": -1}, "json.days_off"),
        ({"from": "2027-01-01", "to": "2027-01-31", "user_ids": [str(outsider.id)]}, "json.user_ids"),
        ({"from": "2027-01-01", "to": "2027-01-31", "user_ids": [str(people[0].id)] * 2}, "json.user_ids"),
        ({"from": "2027-01-01", "to": "2027-01-31", "shift_ids": [str(uuid.uuid4())]}, "json.shift_ids"),
        ({"to": "2027-01-31"}, "json.from"),
    ]
    for body, field in cases:
        assert field_errors(client.post(url, json=body, headers=headers)) == [field], body


def test_replace_mode_removes_only_the_plans_people_other_assignments(client, database, jayawijaya):
    tenant, headers, shifts, people = jayawijaya
    rotation = {"from": "2027-02-01", "to": "2027-02-03", "user_ids": [str(people[1].id)], "days_off": 0,
                "days_per_shift": 1, "shift_ids": [shifts["P"]["id"]], "replace": True}
    stray = client.post(roster_url(tenant), headers=headers, json={
        "user_id": str(people[1].id), "shift_id": shifts["M"]["id"], "date": "2027-02-02"}).json
    other = client.post(roster_url(tenant), headers=headers, json={
        "user_id": str(people[2].id), "shift_id": shifts["M"]["id"], "date": "2027-02-02"}).json
    plan = client.post(roster_url(tenant, "/rotation/preview"), json=rotation, headers=headers).json
    assert [r["assignment_id"] for r in plan["to_remove"]] == [stray["id"]]
    applied = client.post(roster_url(tenant, "/rotation/apply"), json={**rotation, "plan_digest": plan["plan_digest"]},
                          headers=headers).json
    assert (applied["created"], applied["removed"]) == (3, 1)
    left = {a["id"] for a in client.get(roster_url(tenant, "?from=2027-02-02&to=2027-02-02"), headers=headers).json}
    assert other["id"] in left and stray["id"] not in left


def test_the_people_on_the_roster_and_their_dates_can_be_listed_for_other_checks(database, jayawijaya):
    from siaga112.platform.tenancy.context import TenantContext
    from siaga112.tenants.roster.service import rostered_dates

    tenant, _headers, _shifts, people = jayawijaya
    with database.transaction(TenantContext(tenant.id)) as session:
        december = rostered_dates(session, tenant.id, date(2026, 12, 1), date(2026, 12, 31))
        assert set(december) == {p.id for p in people}
        assert all(days and all(day.year == 2026 and day.month == 12 for day in days) for days in december.values())
        first_week = rostered_dates(session, tenant.id, date(2026, 12, 1), date(2026, 12, 7))
        assert all(days <= december[person] for person, days in first_week.items())
        assert rostered_dates(session, tenant.id, date(2030, 1, 1), date(2030, 1, 31)) == {}


def test_every_roster_change_is_audited(client, jayawijaya):
    tenant, headers, _shifts, _people = jayawijaya
    actions = {entry["action"] for entry in
               client.get(f"/api/v1/tenants/{tenant.slug}/audit?page_size=500", headers=headers).json}
    assert {"shift.create", "roster.assign", "roster.rotation.apply"} <= actions


def test_another_tenants_principal_gets_404(client, database, belitung, shifts, tenants):
    outsider = member(database, tenants["b"]["tenant"], "regional_admin")[1]
    for path in (shifts_url(belitung), shifts_url(belitung, shifts["P"]["id"]),
                 roster_url(belitung, "/coverage?from=2026-01-01&to=2026-01-02")):
        response = client.get(path, headers=outsider)
        assert response.status_code == 404 and response.mimetype == PROBLEM


def test_an_unknown_shift_is_404(client, belitung, admin):
    assert client.get(shifts_url(belitung, str(uuid.uuid4())), headers=admin).status_code == 404
