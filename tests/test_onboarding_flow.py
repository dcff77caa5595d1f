"""A region from draft to live through the API, and the guards on the way: visits, approval, routing, monitoring."""

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from siaga112.onboarding import service
from siaga112.onboarding.checklist import checklist
from siaga112.onboarding.models import TELCOS, OnboardingTransition
from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.audit.service import verify_chains
from siaga112.platform.jobs.models import OutboxEvent
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from tests.test_onboarding_helpers import (PDF, PNG, actor_of, make_ready, person, reset_application, run,
                                           set_line_active, status_of, take_to_visited, tenant_of)

PROBLEM = "application/problem+json"


def url(tenant, rest=""):
    return f"/api/v1/tenants/{tenant.slug}/onboarding{rest}"


def upload(client, path, headers, content=PDF, filename="bukti.pdf"):
    return client.post(path, data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data",
                       headers=headers)


def act(client, tenant, headers, action, note=None, expect=200):
    response = client.post(url(tenant, "/actions"), json={"action": action, "note": note}, headers=headers)
    assert response.status_code == expect, response.json
    return response.json


@pytest.fixture(scope="module")
def verifiers(database):
    return [person(database, "ministry_verifier", None, name) for name in ("Verifier Satu", "Verifier Dua")]


# --- the whole way, through the API -----------------------------------------------------------

def test_a_region_goes_from_draft_to_live_through_the_api(client, database, verifiers):
    pekanbaru = tenant_of(database, "14.71")
    reset_application(database, pekanbaru)
    admin_user, admin = person(database, "regional_admin", pekanbaru, "Admin Pekanbaru")
    (verifier_user, verifier), (second_user, _second) = verifiers
    monitor = person(database, "national_monitor")[1]

    # Draft: the region readies its data and works through the checklist.
    draft = client.get(url(pekanbaru), headers=admin).json
    assert draft["status"] == "draft"
    make_ready(database, pekanbaru)
    for item in checklist().declared:
        path = url(pekanbaru, f"/items/{item.code}")
        etag = client.get(path, headers=admin).headers["ETag"]
        answered = client.put(path, json={"answer": "yes", "note": f"Siap: {item.code}"},
                              headers={**admin, "If-Match": etag})
        assert answered.status_code == 200, answered.json
        if item.evidence_required:
            assert upload(client, f"{path}/evidence", admin).status_code == 201
    ready = client.get(url(pekanbaru), headers=admin).json
    assert ready["missing_for_submit"] == [] and ready["progress"]["percent"] == 100.0
    assert all(item["ready"] for item in ready["items"])

    # Submitted: the tenant is onboarding; the ministry reviews and schedules a visit.
    submitted = act(client, pekanbaru, admin, "submit", "Mohon diverifikasi")
    assert submitted["status"] == "submitted" and submitted["tenant_status"] == "onboarding"
    assert act(client, pekanbaru, verifier, "start_review")["status"] == "in_review"
    scheduled = client.post(url(pekanbaru, "/visits"), json={
        "scheduled_for": (date.today() + timedelta(days=7)).isoformat(), "place": "Command Center 112, Jl. Sudirman",
        "verifier_ids": [str(verifier_user.id), str(second_user.id)], "note": "Bawa dokumen asli"}, headers=verifier)
    assert scheduled.status_code == 201, scheduled.json
    visit = scheduled.json
    assert {v["name"] for v in visit["verifiers"]} == {"Verifier Satu", "Verifier Dua"}
    assert client.get(url(pekanbaru), headers=admin).json["status"] == "visit_scheduled"
    moved = client.patch(url(pekanbaru, f"/visits/{visit['id']}"), json={"place": "Ruang Command Center lt. 2"},
                         headers={**verifier, "If-Match": scheduled.headers["ETag"]})
    assert moved.status_code == 200 and moved.json["place"] == "Ruang Command Center lt. 2"

    # The visit: a verdict on every item (with a photo), then complete.
    for item in checklist().items:
        path = url(pekanbaru, f"/visits/{visit['id']}/verdicts/{item.code}")
        current = client.get(path, headers=verifier)
        assert current.status_code == 200 and current.json["verdict"] is None
        recorded = client.put(path, json={"verdict": "pass", "note": "Sesuai"},
                              headers={**verifier, "If-Match": current.headers["ETag"]})
        assert recorded.status_code == 200, recorded.json
    photo = upload(client, url(pekanbaru, f"/visits/{visit['id']}/verdicts/control_room/photos"), verifier, PNG,
                   "ruang.png")
    assert photo.status_code == 201 and photo.json["visit_id"] == visit["id"]
    assert client.get(url(pekanbaru, f"/visits/{visit['id']}/verdicts/control_room/photos/{photo.json['id']}"),
                      headers=admin).data == PNG
    completed = client.post(url(pekanbaru, f"/visits/{visit['id']}/actions"), json={"action": "complete"},
                            headers=verifier)
    assert completed.status_code == 200 and completed.json["status"] == "completed"
    assert len(completed.json["verdicts"]) == len(checklist().items)
    assert client.get(url(pekanbaru), headers=admin).json["status"] == "visited"

    # Approval asks every telco; each activates and passes a test call; the last one makes the region live.
    approved = act(client, pekanbaru, verifier, "approve", "Memenuhi syarat")
    assert approved["status"] == "approved" and approved["approved_at"]
    routing = client.get(url(pekanbaru, "/routing"), headers=admin).json
    assert [r["telco"] for r in routing] == list(TELCOS) and {r["status"] for r in routing} == {"requested"}
    assert routing[1]["telco_name"] == "Indosat Ooredoo Hutchison"
    called_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    for row in routing:
        path = url(pekanbaru, f"/routing/{row['telco']}/actions")
        assert client.post(path, json={"action": "activate"}, headers=verifier).json["status"] == "active"
        passed = client.post(path, json={"action": "pass_test_call", "from_number": "0812-3456-7890",
                                         "called_at": called_at.isoformat(), "note": "Diterima operator"},
                             headers=verifier)
        assert passed.status_code == 200, passed.json
        assert passed.json["test_call_from"] == "+6281234567890"
        assert passed.json["test_call_by"] == str(verifier_user.id)
    live = client.get(url(pekanbaru), headers=admin).json
    assert live["status"] == "live" and live["tenant_status"] == "live" and live["live_at"]
    assert client.get(f"/api/v1/tenants/{pekanbaru.slug}", headers=admin).json["status"] == "live"

    # After go-live: a monitoring visit records findings and recommendations.
    monitoring = client.post(url(pekanbaru, "/visits"), json={
        "kind": "monitoring", "scheduled_for": (date.today() + timedelta(days=1)).isoformat(), "place": "Command Center 112"},
        headers=verifier)
    assert monitoring.status_code == 201, monitoring.json
    assert monitoring.json["verifiers"][0]["id"] == str(verifier_user.id)  # default: whoever schedules it
    without = client.post(url(pekanbaru, f"/visits/{monitoring.json['id']}/actions"), json={"action": "complete"},
                          headers=verifier)
    assert without.status_code == 422 and [e["field"] for e in without.json["errors"]] == ["json.findings"]
    done = client.post(url(pekanbaru, f"/visits/{monitoring.json['id']}/actions"), json={
        "action": "complete", "findings": "62% panggilan iseng", "recommendations": "Edukasi masyarakat"},
        headers=verifier)
    assert done.status_code == 200 and done.json["findings"] == "62% panggilan iseng"
    assert done.json["recommendations"] == "Edukasi masyarakat"
    visits = client.get(url(pekanbaru, "/visits"), headers=monitor).json
    assert {v["kind"] for v in visits} == {"verification", "monitoring"}

    # Every transition is in the history, the audit log and the outbox, in order.
    history = [(h["subject"], h["action"]) for h in reversed(live["history"])]
    assert history[:7] == [("application", "create"), ("application", "submit"), ("application", "start_review"),
                           ("visit", "schedule"), ("application", "schedule_visit"), ("visit", "complete"),
                           ("application", "record_visit")]
    assert history[7] == ("application", "approve") and history[-1] == ("application", "go_live")
    assert history.count(("routing", "request")) == 5 and history.count(("routing", "pass_test_call")) == 5
    with database.transaction(PLATFORM) as session:
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "onboarding.transition")
                                 .order_by(OutboxEvent.id)).all()
        mine = [e.payload for e in events if e.payload["application_id"] == live["id"]]
        audit = session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == pekanbaru.id)).all()
        _checked, problems = verify_chains(session)
    assert [(p["subject"], p["action"]) for p in mine] == history + [("visit", "schedule"), ("visit", "complete")]
    go_live = next(p for p in mine if p["action"] == "go_live")
    assert go_live["from"] == "approved" and go_live["to"] == "live" and go_live["tenant"] == "kota-pekanbaru"
    assert go_live["actor_role"] == "ministry_verifier" and go_live["telcos"] == sorted(TELCOS)
    for action in ("onboarding.submit", "onboarding.approve", "onboarding.go_live", "onboarding.visit.complete",
                   "onboarding.routing.pass_test_call", "onboarding.verdict", "onboarding.evidence.add",
                   "tenant.update"):
        assert action in audit, action
    assert [p for p in problems if p.tenant_id == pekanbaru.id] == []  # (other tests tamper with their own chains)

    # The pipeline shows the region as live.
    pipeline = client.get("/api/v1/onboarding?stage=live&province=14", headers=monitor).json
    assert [row["tenant"] for row in pipeline] == ["kota-pekanbaru"]


# --- the guards on the way --------------------------------------------------------------------

@pytest.fixture(scope="module")
def palembang(database):
    tenant = tenant_of(database, "16.71")
    return tenant, make_ready(database, tenant)


@pytest.fixture
def visited(database, services, palembang, verifiers):
    tenant, made = palembang
    reset_application(database, tenant)
    set_line_active(database, tenant, made["lines"][0], True)
    admin = person(database, "regional_admin", tenant)
    take_to_visited(database, services, tenant, actor_of(admin[0], "regional_admin"),
                    actor_of(verifiers[0][0], "ministry_verifier"))
    return tenant, admin, made


def test_a_failed_item_blocks_approval_and_changes_lead_back_to_submission(client, database, services, visited,
                                                                          verifiers):
    tenant, (admin_user, admin), _made = visited
    verifier = verifiers[0][1]
    actor = actor_of(verifiers[0][0], "ministry_verifier")
    # A second round's visit: fail one item.
    act(client, tenant, verifier, "request_changes", "Perbaiki SOP")
    assert status_of(database, tenant) == ("changes_requested", "onboarding")
    sop = url(tenant, "/items/sop")
    assert client.put(sop, json={"answer": "yes", "note": "SOP revisi"},
                      headers={**admin, "If-Match": client.get(sop, headers=admin).headers["ETag"]}).status_code == 200
    assert upload(client, f"{sop}/evidence", admin).status_code == 201
    assert act(client, tenant, admin, "submit")["status"] == "submitted"
    act(client, tenant, verifier, "start_review")
    visit = client.post(url(tenant, "/visits"), json={"scheduled_for": (date.today() + timedelta(days=1)).isoformat(), "place": "Kantor"},
                        headers=verifier).json
    for item in checklist().mandatory:
        run(database, tenant, service.record_verdict, visit["id"], item.code,
            "fail" if item.code == "power_backup" else "pass", "genset rusak" if item.code == "power_backup" else None,
            actor)
    assert client.post(url(tenant, f"/visits/{visit['id']}/actions"), json={"action": "complete"},
                       headers=verifier).status_code == 200
    refused = client.post(url(tenant, "/actions"), json={"action": "approve"}, headers=verifier)
    assert refused.status_code == 409 and refused.mimetype == PROBLEM
    assert [(m["item"], m["code"], m["params"]["verdict"]) for m in refused.json["missing"]] == [
        ("power_backup", "not_passed", "fail")]
    assert status_of(database, tenant) == ("visited", "onboarding")
    assert act(client, tenant, verifier, "request_changes", "Genset diperbaiki dulu")["status"] == "changes_requested"


def test_a_computed_item_turning_red_blocks_approval(client, database, visited, verifiers):
    tenant, _admin, made = visited
    set_line_active(database, tenant, made["lines"][0], False)
    try:
        refused = client.post(url(tenant, "/actions"), json={"action": "approve"}, headers=verifiers[0][1])
        assert refused.status_code == 409
        assert [(m["item"], m["code"]) for m in refused.json["missing"]] == [("inbound_lines", "too_few_inbound_lines")]
        assert refused.json["missing"][0]["params"] == {"count": 1, "required": 2}
    finally:
        set_line_active(database, tenant, made["lines"][0], True)
    assert act(client, tenant, verifiers[0][1], "approve")["status"] == "approved"
    assert status_of(database, tenant) == ("approved", "onboarding")


def test_completing_a_visit_needs_every_mandatory_verdict(client, database, services, palembang, verifiers):
    tenant, _made = palembang
    reset_application(database, tenant)
    admin_user, admin = person(database, "regional_admin", tenant)
    from tests.test_onboarding_helpers import answer_everything

    answer_everything(database, services, tenant, actor_of(admin_user, "regional_admin"))
    verifier = verifiers[0][1]
    act(client, tenant, admin, "submit")
    early = client.post(url(tenant, "/visits"), json={"scheduled_for": "2099-05-01", "place": "Kantor"},
                        headers=verifier)
    assert early.status_code == 409 and early.json["missing"][0]["params"]["status"] == "submitted"
    act(client, tenant, verifier, "start_review")
    for body, field in (({"place": "Kantor"}, "json.scheduled_for"), ({"scheduled_for": "2099-05-01"}, "json.place"),
                        ({"scheduled_for": "1999-12-31", "place": "x"}, "json.scheduled_for"),
                        ({"scheduled_for": "2099-05-01", "place": "x", "verifier_ids": [str(admin_user.id)]},
                         "json.verifier_ids"),
                        ({"scheduled_for": "2099-05-01", "place": "x", "kind": "party"}, "json.kind")):
        response = client.post(url(tenant, "/visits"), json=body, headers=verifier)
        assert response.status_code == 422, (body, response.json)
        assert [e["field"] for e in response.json["errors"]] == [field]
    assert client.post(url(tenant, "/visits"), json={"scheduled_for": "2099-05-01", "place": "x"},
                       headers=admin).status_code == 403
    before = client.post(url(tenant, "/visits"), json={"scheduled_for": "2020-01-02", "place": "Kantor"},
                         headers=verifier)  # before the application was submitted: refused with the reason
    assert before.status_code == 422 and before.json["code"] == "before_submission"
    assert [e["field"] for e in before.json["errors"]] == ["json.scheduled_for"]
    assert "cannot be before the application was submitted" in before.json["detail"]
    visit = client.post(url(tenant, "/visits"), json={"scheduled_for": "2099-05-01", "place": "Kantor"},
                        headers=verifier).json
    second = client.post(url(tenant, "/visits"), json={"scheduled_for": "2099-05-02", "place": "Kantor"},
                         headers=verifier)
    assert second.status_code == 409
    path = url(tenant, f"/visits/{visit['id']}/verdicts/sop")
    not_applicable = client.put(path, json={"verdict": "not_applicable"}, headers={**verifier, "If-Match": "*"})
    assert not_applicable.status_code == 422 and [e["field"] for e in not_applicable.json["errors"]] == ["json.verdict"]
    optional = url(tenant, f"/visits/{visit['id']}/verdicts/neighbour_agreements")
    assert client.put(optional, json={"verdict": "not_applicable"}, headers={**verifier, "If-Match": "*"}).status_code \
        == 200
    assert client.put(path, json={"verdict": "pass"}, headers=verifier).status_code == 428
    assert client.put(path, json={"verdict": "pass"}, headers={**verifier, "If-Match": '"stale"'}).status_code == 412
    assert client.put(url(tenant, f"/visits/{visit['id']}/verdicts/nope"), json={"verdict": "pass"},
                      headers={**verifier, "If-Match": "*"}).status_code == 404
    incomplete = client.post(url(tenant, f"/visits/{visit['id']}/actions"), json={"action": "complete"},
                             headers=verifier)
    assert incomplete.status_code == 409
    assert {m["item"] for m in incomplete.json["missing"]} == {item.code for item in checklist().mandatory}
    assert {m["code"] for m in incomplete.json["missing"]} == {"no_verdict"}
    # Cancelling the visit returns the application to review; the visit can no longer change.
    cancelled = client.post(url(tenant, f"/visits/{visit['id']}/actions"), json={"action": "cancel", "note": "Banjir"},
                            headers=verifier)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert status_of(database, tenant) == ("in_review", "onboarding")
    assert client.put(path, json={"verdict": "pass"}, headers={**verifier, "If-Match": "*"}).status_code == 409
    etag = client.get(url(tenant, f"/visits/{visit['id']}"), headers=verifier).headers["ETag"]
    assert client.patch(url(tenant, f"/visits/{visit['id']}"), json={"place": "Lain"},
                        headers={**verifier, "If-Match": etag}).status_code == 409


def test_withdrawing_cancels_the_visit_and_returns_the_region_to_prospect(client, database, services, palembang,
                                                                         verifiers):
    tenant, _made = palembang
    reset_application(database, tenant)
    admin_user, admin = person(database, "regional_admin", tenant)
    from tests.test_onboarding_helpers import answer_everything

    answer_everything(database, services, tenant, actor_of(admin_user, "regional_admin"))
    verifier = verifiers[0][1]
    act(client, tenant, admin, "submit")
    act(client, tenant, verifier, "start_review")
    visit = client.post(url(tenant, "/visits"), json={"scheduled_for": "2099-06-01", "place": "Kantor"},
                        headers=verifier).json
    withdrawn = act(client, tenant, admin, "withdraw", "Anggaran belum turun")
    assert withdrawn["status"] == "withdrawn" and withdrawn["tenant_status"] == "prospect"
    assert client.get(url(tenant, f"/visits/{visit['id']}"), headers=verifier).json["status"] == "cancelled"
    assert act(client, tenant, verifier, "start_review", expect=409)["code"] == "status"
    assert act(client, tenant, admin, "reopen")["status"] == "draft"
    assert status_of(database, tenant) == ("draft", "prospect")
    # The answers and evidence stay for the new round: it can be submitted again at once.
    assert act(client, tenant, admin, "submit")["status"] == "submitted"
    assert act(client, tenant, verifier, "reject", "Belum ditinjau", expect=409)["code"] == "status"
    act(client, tenant, verifier, "start_review")
    rejected = act(client, tenant, verifier, "reject", "Tidak memenuhi syarat")
    assert rejected["tenant_status"] == "prospect" and rejected["actions"] == []
    assert act(client, tenant, admin, "reopen")["status"] == "draft"


def test_routing_guards(client, database, services, visited, verifiers):
    tenant, _admin, _made = visited
    verifier = verifiers[0][1]
    telkomsel = url(tenant, "/routing/telkomsel/actions")
    early = client.post(telkomsel, json={"action": "activate"}, headers=verifier)
    assert early.status_code == 409 and early.json["missing"][0]["params"]["status"] == "visited"
    assert client.get(url(tenant, "/routing"), headers=verifier).json == []
    assert client.get(url(tenant, "/routing/telkomsel"), headers=verifier).status_code == 404
    act(client, tenant, verifier, "approve")
    assert client.get(url(tenant, "/routing/nokia"), headers=verifier).status_code == 404
    assert client.post(url(tenant, "/routing/nokia/actions"), json={"action": "activate"},
                       headers=verifier).status_code == 404
    too_soon = client.post(telkomsel, json={"action": "pass_test_call", "from_number": "0812-3456-7890"},
                           headers=verifier)
    assert too_soon.status_code == 409 and too_soon.json["code"] == "routing_status"
    assert client.post(telkomsel, json={"action": "activate"}, headers=verifier).status_code == 200
    again = client.post(telkomsel, json={"action": "activate"}, headers=verifier)
    assert again.status_code == 409
    for body, field in (({"action": "pass_test_call"}, "json.from_number"),
                        ({"action": "pass_test_call", "from_number": "12345"}, "json.from_number"),
                        ({"action": "pass_test_call", "from_number": "+1 202 555 0143"}, "json.from_number"),
                        ({"action": "pass_test_call", "from_number": "0812-3456-7890",
                          "called_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()}, "json.called_at"),
                        ({"action": "pass_test_call", "from_number": "0812-3456-7890",
                          "called_at": "2026-05-01T10:00:00"}, "json.called_at"),
                        ({"action": "pass_test_call", "from_number": "0812-3456-7890",
                          "called_at": "0001-01-01T00:00:00+07:00"}, "json.called_at"),
                        ({"action": "exclude"}, "json.note"), ({"action": "teleport"}, "json.action")):
        response = client.post(telkomsel, json=body, headers=verifier)
        assert response.status_code == 422, (body, response.json)
        assert [e["field"] for e in response.json["errors"]] == [field]
    admin_headers = _admin[1]
    assert client.post(telkomsel, json={"action": "activate"}, headers=admin_headers).status_code == 403
    etag = client.get(url(tenant, "/routing/telkomsel"), headers=verifier).headers["ETag"]
    assert client.post(telkomsel, json={"action": "pass_test_call", "from_number": "0812-3456-7890"},
                       headers={**verifier, "If-Match": '"old"'}).status_code == 412
    passed = client.post(telkomsel, json={"action": "pass_test_call", "from_number": "+62 812 3456 7890"},
                         headers={**verifier, "If-Match": etag})
    assert passed.status_code == 200 and passed.json["status"] == "test_call_passed"
    # Smartfren does not serve the region: excluded with a note; the others pass; the region is live.
    excluded = client.post(url(tenant, "/routing/smartfren/actions"),
                           json={"action": "exclude", "note": "Tidak ada BTS di wilayah ini"}, headers=verifier)
    assert excluded.status_code == 200 and excluded.json["required"] is False
    for telco in ("indosat", "xl"):
        path = url(tenant, f"/routing/{telco}/actions")
        client.post(path, json={"action": "activate"}, headers=verifier)
        client.post(path, json={"action": "pass_test_call", "from_number": "0856 1234 5678"}, headers=verifier)
    assert status_of(database, tenant) == ("approved", "onboarding")
    with database.transaction(TenantContext(tenant.id)) as session:
        row = session.get(type(tenant), tenant.id)
        application = service.find_application(session, tenant.id)
        gaps = service.routing_gaps(session, row, application)
    assert [m.params["telco"] for m in gaps] == ["telkom"]
    telkom = url(tenant, "/routing/telkom/actions")
    client.post(telkom, json={"action": "activate"}, headers=verifier)
    client.post(telkom, json={"action": "pass_test_call", "from_number": "(0711) 352112"}, headers=verifier)
    assert status_of(database, tenant) == ("live", "live")
    after = client.post(url(tenant, "/routing/smartfren/actions"), json={"action": "include"}, headers=verifier)
    assert after.status_code == 409
    for action in ("withdraw", "reopen"):
        assert client.post(url(tenant, "/actions"), json={"action": action}, headers=_admin[1]).status_code == 409
    with database.transaction(TenantContext(tenant.id)) as session:
        transitions = session.scalars(select(OnboardingTransition.action).where(
            OnboardingTransition.tenant_id == tenant.id, OnboardingTransition.subject == "routing")).all()
    assert transitions.count("pass_test_call") == 4 and "exclude" not in transitions
