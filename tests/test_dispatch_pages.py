"""The dispatch pages: the operator dispatches from the incident page, a responder acknowledges and reports on its
phone page, and an agency without an account does both through the e-mailed link, which serves that one dispatch
only, for a while, until revoked."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.mail import OutgoingMail
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.tenants.dispatch.models import DispatchLink
from tests.test_dispatch import (LINK, PNG, an_incident, api, back_to_the_national_default, dispatch, headers, pbx,  # noqa: F401
                                 region, web)
from tests.test_roster_pages import sign_in


def page(region, path=""):
    return f"/tenants/{region['tenant'].slug}{path}"


def link_token(database, incident, address):
    with database.transaction(PLATFORM) as session:
        body = session.scalar(select(OutgoingMail.body).where(
            OutgoingMail.recipient == address, OutgoingMail.subject.contains(incident["number"]))
            .order_by(OutgoingMail.id.desc()))
    return LINK.search(body).group(1)


def test_the_operator_dispatches_from_the_incident_page_with_the_categorys_agencies_ticked(app, web, pbx, region):  # noqa: F811
    incident = an_incident(web, pbx, region)
    csrf = sign_in(app, web, region["people"]["operator"][0])
    shown = web.get(page(region, f"/incidents/{incident['id']}"))
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "Polresta Banyumas" in html and html.count("checked") >= 2  # both proposed by the fire category
    empty = web.post(page(region, f"/incidents/{incident['id']}/dispatch"), data={"csrf_token": csrf,
                                                                                 "channel": "platform"})
    assert empty.status_code == 422
    sent = web.post(page(region, f"/incidents/{incident['id']}/dispatch"), data={
        "csrf_token": csrf, "channel": "phone", "agency_ids": [str(region["agencies"]["police"])]})
    assert sent.status_code == 302
    after = web.get(page(region, f"/incidents/{incident['id']}")).get_data(as_text=True)
    assert 'data-agency="Polresta Banyumas"' in after and "Menunggu konfirmasi" in after
    printable = web.get(page(region, f"/incidents/{incident['id']}/timeline"))
    assert printable.status_code == 200 and incident["number"] in printable.get_data(as_text=True)


def test_a_responder_acknowledges_and_reports_with_a_photo_on_its_page(app, web, pbx, region):  # noqa: F811
    incident = an_incident(web, pbx, region)
    item = dispatch(web, region, incident, "police", "fire")
    csrf = sign_in(app, web, region["people"]["police"][0])
    listed = web.get(page(region, "/agency")).get_data(as_text=True)
    assert f'data-dispatch="{item["polresta"]["id"]}"' in listed
    assert item["damkar"]["id"] not in listed  # the fire service's dispatch is not the police's to see
    base = page(region, f"/agency/dispatches/{item['polresta']['id']}")
    assert web.post(f"{base}/acknowledge", data={"csrf_token": csrf}).status_code == 302
    reported = web.post(f"{base}/report", data={"csrf_token": csrf, "text": "Pelaku diamankan",
                                                "photo": (io.BytesIO(PNG), "tkp.png")},
                        content_type="multipart/form-data")
    assert reported.status_code == 302
    assert web.post(f"{base}/done", data={"csrf_token": csrf}).status_code == 302
    other = page(region, f"/agency/dispatches/{item['damkar']['id']}/acknowledge")
    assert web.post(other, data={"csrf_token": csrf}).status_code == 404
    shown = web.get(api(region, f"/incidents/{incident['id']}/dispatches/{item['polresta']['id']}"),
                    headers=headers(region, "operator")).json
    assert shown["status"] == "done" and len(shown["photos"]) == 1 and shown["report_text"] == "Pelaku diamankan"


def test_the_emailed_link_acknowledges_and_reports_without_an_account_and_serves_nothing_else(app, pbx, region,  # noqa: F811
                                                                                         database):
    web = app.test_client()  # nobody signed in
    incident = an_incident(app.test_client(), pbx, region)
    item = dispatch(app.test_client(), region, incident, "fire", "police")
    token = link_token(database, incident, "damkar@banyumas.example.go.id")
    base = f"/respond/{region['tenant'].slug}/{token}"
    shown = web.get(base)
    assert shown.status_code == 200 and incident["number"] in shown.get_data(as_text=True)
    csrf = _anonymous_csrf(app, web)
    assert web.post(f"{base}/acknowledge", data={"csrf_token": csrf}).status_code == 302
    assert web.post(f"{base}/report", data={"csrf_token": csrf, "text": "Api padam", "name": "Regu 2 Damkar"},
                    content_type="multipart/form-data").status_code == 302
    fire = app.test_client().get(api(region, f"/incidents/{incident['id']}/dispatches/{item['damkar']['id']}"),
                                 headers=headers(region, "operator")).json
    assert fire["acknowledged_via"] == "link" and fire["acknowledged_name"] == "Regu 2 Damkar"
    assert fire["reported_via"] == "link"
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        kinds = set(session.scalars(select(AuditEntry.actor_kind).where(AuditEntry.target_id == item["damkar"]["id"])))
    assert "link" in kinds
    # Not a key to anything else: the API and the region's pages do not know it.
    assert web.get(api(region, "/dispatches"), headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert web.get(page(region, "/agency")).status_code == 302  # to sign in
    assert web.get(f"/respond/{region['tenant'].slug}/{token}x").status_code == 404
    assert web.get(f"/respond/kota-surakarta/{token}").status_code == 404  # another region's address


def test_an_expired_or_revoked_link_is_refused_in_plain_words(app, pbx, region, database):  # noqa: F811
    incident = an_incident(app.test_client(), pbx, region)
    dispatch(app.test_client(), region, incident, "police")
    token = link_token(database, incident, "spkt@polres.example.go.id")
    base = f"/respond/{region['tenant'].slug}/{token}"
    web = app.test_client()
    assert web.get(base).status_code == 200
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        session.execute(update(DispatchLink).where(DispatchLink.tenant_id == region["tenant"].id)
                        .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1),
                                created_at=datetime.now(timezone.utc) - timedelta(hours=73)))
    gone = web.get(base, headers={"Accept": "text/html"})
    assert gone.status_code == 404 and "tidak berlaku lagi" in gone.get_data(as_text=True)


def test_the_call_centre_revokes_a_link_sent_to_a_wrong_address(app, pbx, region, database):  # noqa: F811
    incident = an_incident(app.test_client(), pbx, region)
    police = dispatch(app.test_client(), region, incident, "police")["polresta"]
    token = link_token(database, incident, "spkt@polres.example.go.id")
    holder = app.test_client()
    assert holder.get(f"/respond/{region['tenant'].slug}/{token}").status_code == 200
    revoked = app.test_client().delete(api(region, f"/incidents/{incident['id']}/dispatches/{police['id']}/links"),
                                       headers=headers(region, "operator"))
    assert revoked.status_code == 204
    assert holder.get(f"/respond/{region['tenant'].slug}/{token}").status_code == 404
    with database.transaction(TenantContext(region["tenant"].id)) as session:
        assert session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == police["id"],
                                                              AuditEntry.action == "dispatch.links_revoke"))


def _anonymous_csrf(app, client) -> str:
    """The CSRF token of an anonymous browser session (a link's holder has no account)."""
    from itsdangerous import URLSafeTimedSerializer

    raw = "anonymous-csrf-token-for-the-link"
    with client.session_transaction() as browser_session:
        browser_session["csrf_token"] = raw
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def test_the_regional_admin_edits_the_escalation_steps_on_a_page_and_the_board_shows_whats_unacknowledged(
        app, web, pbx, region, database):  # noqa: F811
    back_to_the_national_default(database, region)
    csrf = sign_in(app, web, region["people"]["admin"][0])
    shown = web.get(page(region, "/escalation-policy")).get_data(as_text=True)
    assert 'id="national-default"' in shown and 'value="5"' in shown
    form = {"csrf_token": csrf, "steps-0-after_minutes": "7", "steps-0-action": "agency_again",
            "steps-1-after_minutes": "3", "steps-1-action": "regional_admin"}
    refused = web.post(page(region, "/escalation-policy"), data=form)
    assert refused.status_code == 422 and "lebih lambat" in refused.get_data(as_text=True)
    form["steps-1-after_minutes"] = "12"
    assert web.post(page(region, "/escalation-policy"), data=form).status_code == 302
    saved = web.get(api(region, "/escalation-policy"), headers=headers(region, "admin")).json
    assert saved["steps"] == [{"after_minutes": 7, "action": "agency_again"},
                              {"after_minutes": 12, "action": "regional_admin"}]
    etag = web.get(api(region, "/escalation-policy"), headers=headers(region, "admin")).headers["ETag"]
    web.put(api(region, "/escalation-policy"), headers={**headers(region, "admin"), "If-Match": etag}, json={"steps": [
        {"after_minutes": 5, "action": "agency_again"}, {"after_minutes": 10, "action": "supervisor_on_duty"},
        {"after_minutes": 20, "action": "regional_admin"}]})
    incident = an_incident(web, pbx, region)
    fire = dispatch(web, region, incident, "fire")["damkar"]
    sign_in(app, web, region["people"]["supervisor"][0])
    board = web.get(page(region, "/board")).get_data(as_text=True)
    assert f'data-dispatch="{fire["id"]}"' in board and "Belum dikonfirmasi" in board
    assert web.get(page(region, "/escalation-policy")).status_code == 200  # a supervisor reads it
