"""Dispatch: an incident sent to agencies, acknowledged and reported on to closure; agency responders see their own
agency's dispatches only (the database says so too); the e-mailed link; escalation that fires once, on time, and
never after an acknowledgement or a closed incident."""

from __future__ import annotations

import io
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, text

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.identity import roles
from siaga112.platform.identity.service import grant_role
from siaga112.platform.mail import OutgoingMail
from siaga112.platform.tenancy.context import PLATFORM, AgencyContext, TenantContext
from siaga112.tenants.categories.models import CategoryAgency, IncidentCategory
from siaga112.tenants.categories.service import ensure_national_categories
from siaga112.tenants.directory.models import Agency
from siaga112.tenants.dispatch import service
from siaga112.tenants.dispatch.models import Dispatch, Escalation, EscalationPolicy
from tests.test_invitations import bearer, person
from tests.test_onboarding_helpers import tenant_of
from tests.test_telephony_intake import add_line, machine_token

BANYUMAS = "33.02"  # Kabupaten Banyumas: a region no other module uses
LINE = "+62281112112"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
LINK = re.compile(r"/respond/[a-z0-9-]+/([A-Za-z0-9_-]+)")


@pytest.fixture(scope="module")
def web(app):
    return app.test_client()


@pytest.fixture(scope="module")
def region(database):
    """Banyumas with police and fire, its fire category going to both, and its call centre's people (the region and
    its agencies made once for every module that uses it)."""
    tenant = tenant_of(database, BANYUMAS)
    add_line(database, tenant, LINE)
    with database.transaction(TenantContext(tenant.id)) as session:
        ensure_national_categories(session, tenant.id)
        agencies = {key: _agency(session, tenant.id, name, kind, email).id for key, name, kind, email in (
            ("police", "Polresta Banyumas", "police", "spkt@polres.example.go.id"),
            ("fire", "Damkar Banyumas", "fire", "damkar@banyumas.example.go.id"))}
        fire_category = session.scalar(select(IncidentCategory).where(IncidentCategory.tenant_id == tenant.id,
                                                                      IncidentCategory.code == "fire"))
        routed = set(session.scalars(select(CategoryAgency.agency_id).where(
            CategoryAgency.category_id == fire_category.id)))
        session.add_all(CategoryAgency(tenant_id=tenant.id, category_id=fire_category.id, agency_id=agency_id)
                        for agency_id in agencies.values() if agency_id not in routed)
    people = {}
    for name, role, agency in (("operator", roles.OPERATOR, None), ("supervisor", roles.SUPERVISOR, None),
                               ("admin", roles.REGIONAL_ADMIN, None), ("police", roles.AGENCY_RESPONDER, "police"),
                               ("fire", roles.AGENCY_RESPONDER, "fire")):
        user = person(database, name=f"{name.title()} Banyumas")
        with database.transaction(PLATFORM) as session:
            grant_role(session, user, role, tenant.id, agencies[agency] if agency else None)
        people[name] = (user, bearer(database, user))
    return {"tenant": tenant, "agencies": agencies, "people": people}


def _agency(session, tenant_id, name, kind, email) -> Agency:
    found = session.scalar(select(Agency).where(Agency.tenant_id == tenant_id, Agency.name == name))
    if found is None:
        found = Agency(tenant_id=tenant_id, name=name, kind=kind, email=email)
        session.add(found)
        session.flush()
    return found


@pytest.fixture(scope="module")
def pbx(web, database, region):
    return machine_token(web, database, region["tenant"])


def api(region, path=""):
    return f"/api/v1/tenants/{region['tenant'].slug}{path}"


def headers(region, who):
    return region["people"][who][1]


def an_incident(web, pbx, region, category="fire"):
    """A call answered now, and an incident opened from it by the operator."""
    call_id = f"d-{uuid.uuid4().hex[:12]}"
    at = datetime.now(timezone.utc).isoformat()
    for sequence, kind in enumerate(("offered", "answered")):
        answer = web.post("/api/v1/telephony/events", headers=pbx, json={
            "event": kind, "call_id": call_id, "dialed": LINE, "caller": "+6281234500077", "at": at,
            "sequence": sequence})
        assert answer.status_code == 201, answer.json
    call = answer.json["call"]
    made = web.post(api(region, "/incidents"), headers=headers(region, "operator"), json={
        "call_id": call["id"], "summary": "Rumah terbakar di Jl. Merdeka", "category": category,
        "location_text": "Jl. Merdeka 12, Purwokerto"})
    assert made.status_code == 201, made.json
    return made.json


def dispatch(web, region, incident, *agencies, channel="platform"):
    answer = web.post(api(region, f"/incidents/{incident['id']}/dispatches"), headers=headers(region, "operator"),
                      json={"agency_ids": [str(region["agencies"][a]) for a in agencies], "channel": channel})
    assert answer.status_code == 201, answer.json
    return {item["agency"]["name"].split()[0].lower(): item for item in answer.json}


def act(web, region, who, incident, item, action, **fields):
    return web.post(api(region, f"/incidents/{incident['id']}/dispatches/{item['id']}/actions"),
                    headers=headers(region, who), json={"action": action, **fields})


def incident_status(web, region, incident):
    return web.get(api(region, f"/incidents/{incident['id']}"), headers=headers(region, "operator")).json["status"]


def test_the_category_proposes_its_agencies_and_the_operator_dispatches(web, pbx, region, database):
    incident = an_incident(web, pbx, region)
    proposal = web.get(api(region, f"/incidents/{incident['id']}/dispatch-proposal"), headers=headers(region, "operator"))
    assert {a["name"] for a in proposal.json["proposed"]} == {"Polresta Banyumas", "Damkar Banyumas"}
    sent = dispatch(web, region, incident, "police", "fire")
    assert {item["status"] for item in sent.values()} == {"sent"}
    assert incident_status(web, region, incident) == "dispatched"
    with database.transaction(PLATFORM) as session:
        mails = session.scalars(select(OutgoingMail).where(OutgoingMail.body.contains(incident["number"]))).all()
        assert {mail.recipient for mail in mails} == {"spkt@polres.example.go.id", "damkar@banyumas.example.go.id"}
        assert all(LINK.search(mail.body) for mail in mails)
        audited = session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == region["tenant"].id,
                                                                  AuditEntry.action == "dispatch.create")).all()
        assert len(audited) >= 2
    again = web.post(api(region, f"/incidents/{incident['id']}/dispatches"), headers=headers(region, "operator"),
                     json={"agency_ids": [str(region["agencies"]["police"])]})
    assert again.status_code == 409 and again.json["code"] == "already_dispatched"


def test_a_responder_acknowledges_reports_with_a_photo_and_the_incident_closes_when_all_are_done(web, pbx, region):
    incident = an_incident(web, pbx, region)
    sent = dispatch(web, region, incident, "police", "fire")
    police, fire = sent["polresta"], sent["damkar"]
    assert act(web, region, "police", incident, police, "acknowledge").json["acknowledged_via"] == "user"
    assert act(web, region, "police", incident, police, "acknowledge").status_code == 200  # a second tap: no error
    assert incident_status(web, region, incident) == "dispatched"  # the fire service has not acknowledged
    refused = act(web, region, "police", incident, police, "done")
    assert refused.status_code == 409 and refused.json["code"] == "report_first"
    empty = act(web, region, "police", incident, police, "report", text="  ")
    assert empty.status_code == 422 and empty.json["errors"][0]["field"] == "json.text"
    photo = web.post(api(region, f"/incidents/{incident['id']}/dispatches/{police['id']}/photos"),
                     headers=headers(region, "police"), data={"file": (io.BytesIO(PNG), "tkp.png")},
                     content_type="multipart/form-data")
    assert photo.status_code == 201, photo.json
    not_a_photo = web.post(api(region, f"/incidents/{incident['id']}/dispatches/{police['id']}/photos"),
                           headers=headers(region, "police"), data={"file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")},
                           content_type="multipart/form-data")
    assert not_a_photo.status_code == 415
    assert act(web, region, "police", incident, police, "report", text="Api padam, 1 luka ringan").status_code == 200
    assert act(web, region, "police", incident, police, "done").json["status"] == "done"
    assert incident_status(web, region, incident) == "dispatched"  # the police's part alone does not close it
    assert act(web, region, "fire", incident, fire, "acknowledge").status_code == 200
    assert incident_status(web, region, incident) == "responding"
    act(web, region, "fire", incident, fire, "report", text="Pemadaman selesai pukul 03.40")
    assert act(web, region, "fire", incident, fire, "done").status_code == 200
    assert incident_status(web, region, incident) == "closed"
    kinds = [entry["kind"] for entry in web.get(api(region, f"/incidents/{incident['id']}/timeline"),
                                                headers=headers(region, "supervisor")).json]
    for kind in ("incident_opened", "call_answered", "dispatch_sent", "acknowledged", "photo", "reported", "done",
                 "incident_closed"):
        assert kind in kinds
    assert kinds.index("dispatch_sent") < kinds.index("acknowledged") < kinds.index("incident_closed")


def test_a_responder_never_sees_another_agencys_dispatch(web, pbx, region):
    incident = an_incident(web, pbx, region)
    fire = dispatch(web, region, incident, "police", "fire")["damkar"]
    path = api(region, f"/incidents/{incident['id']}/dispatches/{fire['id']}")
    assert web.get(path, headers=headers(region, "police")).status_code == 404
    assert act(web, region, "police", incident, fire, "acknowledge").status_code == 404
    listed = web.get(api(region, "/dispatches"), headers=headers(region, "police")).json
    assert listed and {item["agency"]["name"] for item in listed} == {"Polresta Banyumas"}
    assert web.get(api(region, "/calls"), headers=headers(region, "police")).status_code == 403


def test_the_database_itself_hides_other_agencies_dispatches_from_a_responder(web, pbx, region, database):
    """As the runtime role, in the agency context a responder's request gets: no query can reach the other rows."""
    incident = an_incident(web, pbx, region)
    dispatch(web, region, incident, "police", "fire")
    tenant_id, police = region["tenant"].id, region["agencies"]["police"]
    with database.transaction(AgencyContext(tenant_id, (police,))) as session:
        assert session.scalar(text("SELECT current_user")) == database.engine.url.username
        agencies = set(session.scalars(text("SELECT DISTINCT agency_id FROM dispatches")))
        assert agencies == {police}
        assert session.scalar(text("SELECT count(*) FROM escalations WHERE agency_id <> :p"), {"p": police}) == 0
        assert session.scalar(text("SELECT count(*) FROM calls")) == 0  # the call floor, callers' numbers among it
        seen = set(session.scalars(text("SELECT id FROM incidents")))
        assert uuid.UUID(incident["id"]) in seen
    with database.transaction(AgencyContext(tenant_id, ())) as session:  # an agency context naming no agency
        assert session.scalar(text("SELECT count(*) FROM dispatches")) == 0
        assert session.scalar(text("SELECT count(*) FROM incidents")) == 0
    with database.transaction(TenantContext(tenant_id)) as session:  # the call centre sees every agency's
        assert set(session.scalars(text("SELECT DISTINCT agency_id FROM dispatches"))) >= {police,
                                                                                          region["agencies"]["fire"]}


def test_cancelling_is_the_call_centres_and_needs_a_reason(web, pbx, region):
    incident = an_incident(web, pbx, region)
    police = dispatch(web, region, incident, "police")["polresta"]
    assert act(web, region, "police", incident, police, "cancel", reason="x").status_code == 403
    assert act(web, region, "operator", incident, police, "cancel").status_code == 422
    assert act(web, region, "operator", incident, police, "cancel", reason="Salah instansi").json["status"] == "cancelled"
    assert incident_status(web, region, incident) == "open"
    assert dispatch(web, region, incident, "police")["polresta"]["status"] == "sent"  # sent again after a cancel


# --- escalation ---------------------------------------------------------------------------------------------

def _dispatch_row(database, region, item) -> Dispatch:
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        row = session.get(Dispatch, uuid.UUID(item["id"]))
        session.expunge(row)
        return row


def sweep_at(database, moment) -> int:
    with database.transaction(PLATFORM) as session:
        return service.sweep(session, "http://siaga112.test", now=moment)


def steps(database, region, item) -> list[Escalation]:
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        rows = session.scalars(select(Escalation).where(Escalation.dispatch_id == uuid.UUID(item["id"]))
                               .order_by(Escalation.position)).all()
        session.expunge_all()
        return rows


def mails_to(database, address, incident) -> int:
    """Mails to `address` about this incident (the sweep fires the other tests' due steps too)."""
    with database.transaction(PLATFORM) as session:
        return session.scalar(select(text("count(*)")).select_from(OutgoingMail).where(
            OutgoingMail.recipient == address, OutgoingMail.subject.contains(incident["number"])))


def test_each_step_fires_once_at_its_time_and_reaches_the_supervisor_and_the_admin(web, pbx, region, database):
    incident = an_incident(web, pbx, region)
    fire = dispatch(web, region, incident, "fire")["damkar"]
    sent_at = _dispatch_row(database, region, fire).sent_at
    assert [(s.action, s.due_at - sent_at) for s in steps(database, region, fire)] == [
        ("agency_again", timedelta(minutes=5)), ("supervisor_on_duty", timedelta(minutes=10)),
        ("regional_admin", timedelta(minutes=20))]
    supervisor, admin = region["people"]["supervisor"][0].email, region["people"]["admin"][0].email
    before = mails_to(database, supervisor, incident), mails_to(database, admin, incident)
    sweep_at(database, sent_at + timedelta(minutes=4, seconds=59))
    assert [s.fired_at for s in steps(database, region, fire)] == [None, None, None]  # nothing before its time
    sweep_at(database, sent_at + timedelta(minutes=10))
    fired = steps(database, region, fire)
    assert [s.fired_at is not None for s in fired] == [True, True, False]
    assert mails_to(database, supervisor, incident) == before[0] + 1  # no supervisor rostered: every supervisor is told
    sweep_at(database, sent_at + timedelta(minutes=11))
    assert mails_to(database, supervisor, incident) == before[0] + 1  # a step fires once
    sweep_at(database, sent_at + timedelta(minutes=20))
    assert mails_to(database, admin, incident) == before[1] + 1


def test_nothing_fires_after_the_acknowledgement(web, pbx, region, database):
    incident = an_incident(web, pbx, region)
    police = dispatch(web, region, incident, "police")["polresta"]
    act(web, region, "police", incident, police, "acknowledge")
    sent_at = _dispatch_row(database, region, police).sent_at
    sweep_at(database, sent_at + timedelta(hours=1))
    assert all(s.fired_at is None and s.cancelled_at is not None for s in steps(database, region, police))


def test_nothing_fires_for_a_closed_incident_however_old(web, pbx, region, database):
    incident = an_incident(web, pbx, region)
    fire = dispatch(web, region, incident, "fire")["damkar"]
    path = api(region, f"/incidents/{incident['id']}")
    etag = web.get(path, headers=headers(region, "supervisor")).headers["ETag"]
    closed = web.patch(path, headers={**headers(region, "supervisor"), "If-Match": etag},
                       json={"status": "closed", "closed_reason": "Laporan ganda"})
    assert closed.status_code == 200, closed.json
    sweep_at(database, datetime.now(timezone.utc) + timedelta(days=400))
    assert all(s.fired_at is None and s.cancelled_at is not None for s in steps(database, region, fire))


def test_two_sweeps_at_once_never_send_the_same_step_twice(web, pbx, region, database):
    incident = an_incident(web, pbx, region)
    fire = dispatch(web, region, incident, "fire")["damkar"]
    sent_at = _dispatch_row(database, region, fire).sent_at
    before = mails_to(database, "damkar@banyumas.example.go.id", incident)
    barrier, counts = threading.Barrier(2), []

    def one_sweep():
        barrier.wait()
        counts.append(sweep_at(database, sent_at + timedelta(minutes=6)))

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert steps(database, region, fire)[0].fired_at is not None
    assert mails_to(database, "damkar@banyumas.example.go.id", incident) == before + 1  # the reminder, once


def back_to_the_national_default(database, region) -> None:
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        session.execute(delete(EscalationPolicy).where(EscalationPolicy.tenant_id == region["tenant"].id))


def test_the_regional_admin_sets_the_regions_steps(web, region, database):
    back_to_the_national_default(database, region)
    path = api(region, "/escalation-policy")
    admin = headers(region, "admin")
    shown = web.get(path, headers=admin)
    assert shown.json["national_default"] is True and len(shown.json["steps"]) == 3
    disordered = web.put(path, headers={**admin, "If-Match": shown.headers["ETag"]}, json={"steps": [
        {"after_minutes": 10, "action": "agency_again"}, {"after_minutes": 5, "action": "regional_admin"}]})
    assert disordered.status_code == 422 and disordered.json["errors"][0]["field"] == "json.steps"
    assert web.put(path, headers=headers(region, "supervisor"), json={"steps": []}).status_code == 403
    saved = web.put(path, headers={**admin, "If-Match": shown.headers["ETag"]}, json={"steps": [
        {"after_minutes": 3, "action": "agency_again"}, {"after_minutes": 8, "action": "supervisor_on_duty"},
        {"after_minutes": 15, "action": "regional_admin"}]})
    assert saved.status_code == 200 and saved.json["national_default"] is False
    stale = web.put(path, headers={**admin, "If-Match": shown.headers["ETag"]}, json={"steps": []})
    assert stale.status_code == 412
    restored = web.put(path, headers={**admin, "If-Match": saved.headers["ETag"]}, json={"steps": [
        {"after_minutes": 5, "action": "agency_again"}, {"after_minutes": 10, "action": "supervisor_on_duty"},
        {"after_minutes": 20, "action": "regional_admin"}]})
    assert restored.status_code == 200
