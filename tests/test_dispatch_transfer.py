"""An incident in the neighbouring kabupaten: handed to it when it is live on Siaga112 (its own incident, its
supervisors told, both sides audited and linked), referred with its 112 status otherwise; and nothing else of the
source crosses over."""

from __future__ import annotations

from sqlalchemy import select, text

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.identity import roles
from siaga112.platform.identity.service import grant_role
from siaga112.platform.mail import OutgoingMail
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.categories.service import ensure_national_categories
from tests.test_dispatch import an_incident, api, dispatch, headers, pbx, region, web  # noqa: F401
from tests.test_invitations import bearer, person
from tests.test_onboarding_helpers import tenant_of
from tests.test_roster_pages import sign_in

PURBALINGGA = "33.03"  # Banyumas's neighbour, live on the platform in this test
BANJARNEGARA = "33.04"  # another neighbour, not on the platform


def live_neighbour(database):
    tenant = tenant_of(database, PURBALINGGA)
    with database.transaction(PLATFORM) as session:
        session.get(Tenant, tenant.id).status = "live"
    with database.transaction(TenantContext(tenant.id)) as session:
        ensure_national_categories(session, tenant.id)
    supervisor = person(database, name="Supervisor Purbalingga")
    with database.transaction(PLATFORM) as session:
        grant_role(session, supervisor, roles.SUPERVISOR, tenant.id)
    return tenant, supervisor, bearer(database, supervisor)


def test_an_incident_across_the_border_goes_to_the_live_neighbour_with_only_what_it_needs(web, pbx, region,  # noqa: F811
                                                                                          database):
    neighbour, supervisor, their_token = live_neighbour(database)
    listed = web.get(api(region, "/neighbours"), headers=headers(region, "operator")).json
    assert {"code": PURBALINGGA, "name": "Kabupaten Purbalingga", "status": "live"} in listed
    incident = an_incident(web, pbx, region)
    with database.transaction(TenantContext(region["tenant"].id)) as session:  # what must not cross over
        session.execute(text("UPDATE calls SET notes = 'catatan internal operator' WHERE incident_id = :i"),
                        {"i": incident["id"]})
    path = api(region, f"/incidents/{incident['id']}/transfer")
    sent = web.post(path, headers=headers(region, "operator"), json={"region_code": PURBALINGGA,
                                                                      "note": "Api di perbatasan, Desa Kalimanah"})
    assert sent.status_code == 201, sent.json
    assert sent.json["kind"] == "transferred" and sent.json["peer_status"] == "open"
    number = sent.json["peer_incident_number"]
    assert number.startswith("PRB-")  # the receiving region's own number
    ours = web.get(api(region, f"/incidents/{incident['id']}"), headers=headers(region, "operator")).json
    assert ours["status"] == "closed" and number in ours["closed_reason"]

    # The receiving region: its own incident, the fields it needs, none of the source's calls or notes.
    theirs = web.get(f"/api/v1/tenants/{neighbour.slug}/incidents?status=open", headers=their_token).json
    received = next(item for item in theirs if item["number"] == number)
    assert received["summary"] == incident["summary"] and received["category"] == "fire"
    assert received["call_ids"] == [] and received["location"]["text"] == "Jl. Merdeka 12, Purwokerto"
    link = web.get(f"/api/v1/tenants/{neighbour.slug}/incidents/{received['id']}/transfers", headers=their_token).json
    assert link[0]["direction"] == "in" and link[0]["peer_incident_number"] == incident["number"]
    assert link[0]["peer_region"]["code"] == "33.02"
    with database.transaction(TenantContext(neighbour.id)) as session:
        rows = " ".join(str(row) for row in session.execute(text("SELECT * FROM incidents WHERE id = :i"),
                                                             {"i": received["id"]}).all())
        assert "catatan internal" not in rows
        assert session.scalar(text("SELECT count(*) FROM calls")) == 0  # not one call of Banyumas crossed over
    with database.transaction(PLATFORM) as session:
        told = session.scalar(select(OutgoingMail.subject).where(OutgoingMail.recipient == supervisor.email))
        assert number in told
        audited = {(entry.tenant_id, entry.action) for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(("incident.transfer_out", "incident.transfer_in"))))}
        assert {(region["tenant"].id, "incident.transfer_out"), (neighbour.id, "incident.transfer_in")} <= audited

    # Both sides see the other's state as it changes.
    etag = web.get(f"/api/v1/tenants/{neighbour.slug}/incidents/{received['id']}", headers=their_token).headers["ETag"]
    web.patch(f"/api/v1/tenants/{neighbour.slug}/incidents/{received['id']}", headers={**their_token, "If-Match": etag},
              json={"status": "closed", "closed_reason": "Ditangani Damkar Purbalingga"})
    seen = web.get(api(region, f"/incidents/{incident['id']}/transfers"), headers=headers(region, "operator")).json
    assert seen[0]["peer_status"] == "closed"
    # And the neighbour's people still cannot read the source region.
    assert web.get(api(region, f"/incidents/{incident['id']}"), headers=their_token).status_code == 404


def test_a_neighbour_not_on_the_platform_gets_the_call_referred_with_its_status_shown(app, web, pbx, region):  # noqa: F811
    incident = an_incident(web, pbx, region)
    csrf = sign_in(app, web, region["people"]["operator"][0])
    page = f"/tenants/{region['tenant'].slug}/incidents/{incident['id']}"
    shown = web.get(page).get_data(as_text=True)
    assert "Kabupaten Banjarnegara · belum ada 112 di Siaga112" in shown
    answer = web.post(page + "/transfer", data={"csrf_token": csrf, "region_code": BANJARNEGARA, "note": ""})
    assert answer.status_code == 302
    after = web.get(page).get_data(as_text=True)
    assert 'data-transfer="referred"' in after and "Dirujuk ke Kabupaten Banjarnegara" in after
    status = web.get(api(region, f"/incidents/{incident['id']}"), headers=headers(region, "operator")).json["status"]
    assert status == "open"  # still this region's to handle: the caller was referred


def test_an_incident_with_agencies_at_work_is_not_handed_over(web, pbx, region, database):  # noqa: F811
    live_neighbour(database)
    incident = an_incident(web, pbx, region)
    dispatch(web, region, incident, "police")
    refused = web.post(api(region, f"/incidents/{incident['id']}/transfer"), headers=headers(region, "operator"),
                       json={"region_code": PURBALINGGA})
    assert refused.status_code == 409 and refused.json["code"] == "dispatches_live"
    own = web.post(api(region, f"/incidents/{incident['id']}/transfer"), headers=headers(region, "operator"),
                   json={"region_code": "33.02"})
    assert own.status_code == 422 and own.json["code"] == "unknown_region"
