"""A region's People page: a regional admin invites, resends, withdraws, changes and removes roles, sends a
link to set a new password and lifts a sign-in lock — from the page, audited, in the region only."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.identity.models import Invitation, Membership, User
from siaga112.platform.identity.service import grant_role
from siaga112.platform.mail import OutgoingMail
from siaga112.platform.security import app_limiter
from siaga112.platform.tenancy.context import PLATFORM
from tests.test_invitations import PASSWORD, accept_by_password, invitation_link, person
from tests.test_sign_in import csrf_token, post_sign_in, text_of

RESET_LINK = re.compile(r"/password-reset/([A-Za-z0-9_-]{20,})")


@pytest.fixture
def admin(app, database, tenants):
    """A browser signed in as Kota Pekalongan's regional admin, on the People page."""
    app_limiter(app).reset()
    browser = app.test_client()
    assert post_sign_in(browser, tenants["a"]["admin"].email, PASSWORD).status_code == 302
    return browser


def people_path(tenants, key="a"):
    return f"/tenants/{tenants[key]['tenant'].slug}/people"


def page_token(browser, path):
    page = browser.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return csrf_token(page.get_data(as_text=True))


def invite(browser, tenants, email, role="operator", name="Siti Rahma", agency=""):
    path = people_path(tenants)
    return browser.post(path, data={"csrf_token": page_token(browser, path), "email": email, "name": name,
                                    "role": role, "agency_id": agency})


def newest_mail(database, email):
    with database.transaction(PLATFORM) as session:
        return session.scalar(select(OutgoingMail.body).where(OutgoingMail.recipient == email)
                              .order_by(OutgoingMail.id.desc()))


def actions_on(database, tenant, target_id):
    with database.transaction(PLATFORM) as session:
        return list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.tenant_id == tenant.id, AuditEntry.target_id == str(target_id)).order_by(AuditEntry.seq)))


def test_the_admin_invites_from_the_page_and_the_person_accepts(app, admin, database, tenants):
    email = f"siti-{uuid.uuid4().hex[:6]}@example.go.id"
    answer = invite(admin, tenants, email)
    assert answer.status_code == 302 and answer.headers["Location"] == people_path(tenants)
    page = admin.get(people_path(tenants))
    assert f"Undangan telah dikirim ke {email}" in text_of(page)
    assert f'data-email="{email}" data-status="pending"' in page.get_data(as_text=True)
    body = newest_mail(database, email)
    assert "Anda diundang sebagai operator" in body and "You are invited as operator" in body

    _browser, accepted = accept_by_password(app, invitation_link(database, email))
    assert accepted.status_code == 302
    html = admin.get(people_path(tenants)).get_data(as_text=True)
    assert f'data-email="{email}" data-role="operator"' in html  # a member now, no longer pending
    assert f'data-email="{email}" data-status' not in html


def test_a_refused_invitation_keeps_what_was_typed_on_a_page_that_reloads(admin, database, tenants):
    refused = invite(admin, tenants, "bukan-alamat", name="Budi Santoso")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "bukan alamat e-mail" in text_of(refused)
    email_input = re.search(r'<input[^>]*id="invite-email"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in email_input and " autofocus " in email_input  # the focus goes to it
    assert 'value="Budi Santoso"' in html  # nothing typed is lost
    assert admin.get(people_path(tenants)).status_code == 200  # the refused form's address reloads as the page

    no_agency = invite(admin, tenants, f"x-{uuid.uuid4().hex[:6]}@example.go.id", role="agency_responder")
    assert no_agency.status_code == 422 and "invite-agency-error" in no_agency.get_data(as_text=True)


def test_resend_gives_a_new_link_and_the_old_one_stops_working(app, admin, database, tenants):
    email = f"ulang-{uuid.uuid4().hex[:6]}@example.go.id"
    invite(admin, tenants, email, role="supervisor")
    first = invitation_link(database, email)
    with database.transaction(PLATFORM) as session:
        invitation = session.scalar(select(Invitation).where(Invitation.email == email))
    path = f"{people_path(tenants)}/invitations/{invitation.id}/resend"
    assert admin.post(path, data={"csrf_token": page_token(admin, people_path(tenants))}).status_code == 302
    second = invitation_link(database, email)
    assert second != first
    assert app.test_client().get(f"/invitations/{first}").status_code == 404
    assert app.test_client().get(f"/invitations/{second}").status_code == 200
    assert actions_on(database, tenants["a"]["tenant"], invitation.id) == ["invitation.create", "invitation.resend"]

    withdraw = f"{people_path(tenants)}/invitations/{invitation.id}/withdraw"
    assert admin.post(withdraw, data={"csrf_token": page_token(admin, people_path(tenants))}).status_code == 302
    assert app.test_client().get(f"/invitations/{second}").status_code == 404
    again = admin.post(path, data={"csrf_token": page_token(admin, people_path(tenants))})
    assert again.status_code == 302
    assert "diterima atau ditarik" in text_of(admin.get(people_path(tenants)))  # the refusal, on the page


def test_change_a_role_and_the_region_always_keeps_one_regional_admin(admin, database, tenants):
    tenant = tenants["a"]["tenant"]
    someone = person(database, name="Rina Wati", role="operator", tenant=tenant)
    with database.transaction(PLATFORM) as session:
        membership = session.scalar(select(Membership).where(Membership.user_id == someone.id))
        others = session.scalar(select(func.count()).select_from(Membership).where(
            Membership.tenant_id == tenant.id, Membership.role == "regional_admin"))
        own = session.scalar(select(Membership).where(Membership.user_id == tenants["a"]["admin"].id))
    token = page_token(admin, people_path(tenants))
    changed = admin.post(f"{people_path(tenants)}/members/{membership.id}/role",
                         data={"csrf_token": token, "role": "supervisor", "agency_id": ""})
    assert changed.status_code == 302
    assert "Rina Wati kini Supervisor" in text_of(admin.get(people_path(tenants)))
    assert actions_on(database, tenant, membership.id)[-1] == "member.change"

    if others == 1:  # the fixture's admin is the only one: removing them is refused, with the reason
        refused = admin.post(f"{people_path(tenants)}/members/{own.id}/remove", data={"csrf_token": token})
        assert refused.status_code == 302
        assert "satu-satunya admin daerah" in text_of(admin.get(people_path(tenants)))
        with database.transaction(PLATFORM) as session:
            assert session.get(Membership, own.id) is not None

    removed = admin.post(f"{people_path(tenants)}/members/{membership.id}/remove", data={"csrf_token": token})
    assert removed.status_code == 302
    with database.transaction(PLATFORM) as session:
        assert session.get(Membership, membership.id) is None


def test_a_password_reset_link_sets_a_new_password_once_and_ends_other_sessions(app, admin, database, tenants):
    tenant = tenants["a"]["tenant"]
    someone = person(database, name="Agus Salim", role="operator", tenant=tenant)
    elsewhere = app.test_client()
    assert post_sign_in(elsewhere, someone.email, PASSWORD).status_code == 302
    with database.transaction(PLATFORM) as session:
        membership = session.scalar(select(Membership).where(Membership.user_id == someone.id))
    asked = admin.post(f"{people_path(tenants)}/members/{membership.id}/password-reset",
                       data={"csrf_token": page_token(admin, people_path(tenants))})
    assert asked.status_code == 302
    body = newest_mail(database, someone.email)
    assert "kata sandi baru" in body and "choose a new password" in body
    token = RESET_LINK.search(body).group(1)

    browser = app.test_client()
    form = browser.get(f"/password-reset/{token}")
    assert form.status_code == 200 and someone.email in text_of(form)
    short = browser.post(f"/password-reset/{token}", data={"csrf_token": csrf_token(form.get_data(as_text=True)),
                                                           "password": "pendek", "confirm": "pendek"})
    assert short.status_code == 422  # the same link still works after a refused form
    new_password = "kata sandi baru yang panjang"
    done = browser.post(f"/password-reset/{token}", data={"csrf_token": csrf_token(short.get_data(as_text=True)),
                                                          "password": new_password, "confirm": new_password})
    assert done.status_code == 302 and done.headers["Location"] == "/home"
    assert browser.get("/home").status_code == 200  # signed in with it
    assert elsewhere.get("/home").status_code == 302  # the other session ended
    assert app.test_client().get(f"/password-reset/{token}").status_code == 404  # single use
    assert post_sign_in(app.test_client(), someone.email, new_password).status_code == 302
    with database.transaction(PLATFORM) as session:
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(someone.id))))
    assert {"user.password_reset_request", "user.password_reset"} <= actions


def test_a_newer_reset_voids_the_older_link(admin, app, database, tenants):
    someone = person(database, name="Dian Sastro", role="supervisor", tenant=tenants["a"]["tenant"])
    with database.transaction(PLATFORM) as session:
        membership = session.scalar(select(Membership).where(Membership.user_id == someone.id))
    path = f"{people_path(tenants)}/members/{membership.id}/password-reset"
    admin.post(path, data={"csrf_token": page_token(admin, people_path(tenants))})
    first = RESET_LINK.search(newest_mail(database, someone.email)).group(1)
    admin.post(path, data={"csrf_token": page_token(admin, people_path(tenants))})
    second = RESET_LINK.search(newest_mail(database, someone.email)).group(1)
    assert app.test_client().get(f"/password-reset/{first}").status_code == 404
    assert app.test_client().get(f"/password-reset/{second}").status_code == 200


def test_the_people_page_is_the_regions_own(admin, app, database, tenants):
    """Another region's People page is a 404 for this admin; its members' actions too; operators get none."""
    assert admin.get(people_path(tenants, "b")).status_code == 404
    with database.transaction(PLATFORM) as session:
        theirs = session.scalar(select(Membership).where(Membership.user_id == tenants["b"]["admin"].id))
    token = page_token(admin, people_path(tenants))
    crossed = admin.post(f"{people_path(tenants, 'b')}/members/{theirs.id}/password-reset", data={"csrf_token": token})
    assert crossed.status_code == 404
    into_own = admin.post(f"{people_path(tenants)}/members/{theirs.id}/password-reset", data={"csrf_token": token})
    assert into_own.status_code == 302  # answered on this region's page …
    assert "Daerah ini tidak memiliki anggota tersebut." in text_of(admin.get(people_path(tenants)))
    assert "/password-reset/" not in (newest_mail(database, tenants["b"]["admin"].email) or "")  # nothing was sent

    operator = person(database, name="Operator Satu", role="operator", tenant=tenants["a"]["tenant"])
    browser = app.test_client()
    post_sign_in(browser, operator.email, PASSWORD)
    refused = browser.get(people_path(tenants), headers={"Accept": "text/html"})
    assert refused.status_code == 403
    assert "Hanya Admin platform atau Admin daerah yang boleh melakukan ini; Anda masuk sebagai Operator." in \
        text_of(refused)
    assert "regional_admin" not in refused.get_data(as_text=True)  # never a role code
    assert people_path(tenants) not in browser.get("/home").get_data(as_text=True)  # and no menu entry


def test_an_agency_responder_is_invited_with_the_agency(admin, database, tenants):
    email = f"polres-{uuid.uuid4().hex[:6]}@example.go.id"
    answer = invite(admin, tenants, email, role="agency_responder", agency=str(tenants["a"]["agency_id"]))
    assert answer.status_code == 302
    with database.transaction(PLATFORM) as session:
        invitation = session.scalar(select(Invitation).where(Invitation.email == email))
    assert invitation.role == "agency_responder" and invitation.agency_id == tenants["a"]["agency_id"]
    other_region = invite(admin, tenants, f"y-{uuid.uuid4().hex[:6]}@example.go.id", role="agency_responder",
                          agency=str(tenants["b"]["agency_id"]))
    assert other_region.status_code == 422  # an agency of another region is not offered, nor accepted
