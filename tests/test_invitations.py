"""Adding a person to a region is an invitation they accept: no oracle for accounts, no silent grants.

Reproduces [W2 1/6] item 4: a regional admin could attach any account of the platform by its e-mail
(201 with that person's real name and id), and revoking that membership revoked all of that person's
refresh tokens platform-wide.
"""

import re
import uuid

import pytest
from sqlalchemy import select

from siaga112.platform.audit.models import AuditEntry
from siaga112.platform.identity.models import Invitation, Membership, User
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.mail import OutgoingMail
from siaga112.platform.tenancy.context import PLATFORM
from tests.test_sign_in import csrf_token, post_sign_in, sign_in_form

PASSWORD = "correct horse battery staple"
LINK = re.compile(r"/invitations/([A-Za-z0-9_-]{20,})")


def person(database, email=None, name="Dewi Lestari", role=None, tenant=None, password=PASSWORD):
    with database.transaction(PLATFORM) as session:
        user = create_user(session, email or f"p-{uuid.uuid4().hex[:8]}@example.go.id", name, password)
        if role:
            grant_role(session, user, role, tenant.id if tenant else None)
        return user


def bearer(database, user):
    with database.transaction(PLATFORM) as session:
        return {"Authorization": f"Bearer {issue_access_token(session, session.get(User, user.id))}"}


def invitation_link(database, email) -> str:
    """The token of the newest invitation e-mail to `email`, as the person would click it."""
    with database.transaction(PLATFORM) as session:
        body = session.scalar(select(OutgoingMail.body).where(OutgoingMail.recipient == email)
                              .order_by(OutgoingMail.id.desc()))
    return LINK.search(body).group(1)


def accept_by_password(app, token, name="Siti Rahma", password=PASSWORD):
    """Open the link in a fresh browser, choose a password, accept: (browser, answer)."""
    browser = app.test_client()
    page = browser.get(f"/invitations/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)
    answer = browser.post(f"/invitations/{token}", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                          "name": name, "password": password, "confirm": password})
    return browser, answer


@pytest.fixture(scope="module")
def admin_a(database, tenants):
    return bearer(database, tenants["a"]["admin"])


def members_url(tenants, key="a"):
    return f"/api/v1/tenants/{tenants[key]['tenant'].slug}/members"


def test_an_account_of_another_region_is_invited_and_nothing_about_it_is_revealed(client, database, tenants, admin_a):
    outsider = tenants["b"]["admin"]  # exists, with a name, in Kota Metro
    nobody = f"nobody-{uuid.uuid4().hex[:6]}@example.go.id"
    existing = client.post(members_url(tenants), json={"email": outsider.email, "name": "Typed Name", "role": "operator"},
                           headers=admin_a)
    unknown = client.post(members_url(tenants), json={"email": nobody, "name": "Typed Name", "role": "operator"},
                          headers=admin_a)
    assert existing.status_code == unknown.status_code == 202
    assert set(existing.json) == set(unknown.json)
    assert existing.json["name"] == "Typed Name" and existing.json["status"] == "pending"
    assert outsider.name not in existing.get_data(as_text=True) and str(outsider.id) not in existing.get_data(as_text=True)
    with database.transaction(PLATFORM) as session:  # no silent grant
        assert session.scalar(select(Membership).where(Membership.user_id == outsider.id,
                                                       Membership.tenant_id == tenants["a"]["tenant"].id)) is None


def test_the_invited_account_signs_in_accepts_and_holds_the_role(app, client, database, tenants, admin_a):
    invitee = person(database, name="Rudi Hartono")
    client.post(members_url(tenants), json={"email": invitee.email, "name": "Rudi", "role": "supervisor"},
                headers=admin_a)
    token = invitation_link(database, invitee.email)

    browser = app.test_client()
    page = browser.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Kota Pekalongan" in page and invitee.email in page
    assert "/sign-in?next=" in page  # an account with a password signs in first
    refused = browser.post(f"/invitations/{token}", data={"csrf_token": sign_in_form(browser)})
    assert refused.status_code == 409 and "Masuk sebagai" in refused.get_data(as_text=True)

    assert post_sign_in(browser, invitee.email, PASSWORD).status_code == 302
    page = browser.get(f"/invitations/{token}").get_data(as_text=True)
    accepted = browser.post(f"/invitations/{token}", data={"csrf_token": csrf_token(page)})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/home"
    with database.transaction(PLATFORM) as session:
        granted = session.scalar(select(Membership).where(Membership.user_id == invitee.id))
        assert granted.role == "supervisor" and granted.tenant_id == tenants["a"]["tenant"].id
        actions = set(session.scalars(select(AuditEntry.action).where(
            AuditEntry.tenant_id == tenants["a"]["tenant"].id, AuditEntry.after["email"].astext == invitee.email)))
    assert {"invitation.create", "invitation.accept"} <= actions
    assert browser.get(f"/invitations/{token}").status_code == 404  # single use


def test_a_new_person_chooses_a_password_and_is_signed_in(app, client, database, tenants, admin_a):
    email = f"baru-{uuid.uuid4().hex[:6]}@example.go.id"
    client.post(members_url(tenants), json={"email": email, "name": "Siti", "role": "operator"}, headers=admin_a)
    browser, answer = accept_by_password(app, invitation_link(database, email), name="Siti Rahma")
    assert answer.status_code == 302
    home = browser.get("/home").get_data(as_text=True)
    assert "Siti Rahma" in home and "Selamat datang: kini Anda Operator di Kota Pekalongan" in home
    with database.transaction(PLATFORM) as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user.name == "Siti Rahma" and user.password_hash is not None


def test_a_weak_password_is_refused_on_the_form_and_nothing_is_granted(app, client, database, tenants, admin_a):
    email = f"lemah-{uuid.uuid4().hex[:6]}@example.go.id"
    client.post(members_url(tenants), json={"email": email, "name": "Lemah", "role": "operator"}, headers=admin_a)
    token = invitation_link(database, email)
    _browser, answer = accept_by_password(app, token, password="short")
    assert answer.status_code == 422
    assert "12" in answer.get_data(as_text=True)
    with database.transaction(PLATFORM) as session:
        assert session.scalar(select(User).where(User.email == email)) is None
    assert accept_by_password(app, token)[1].status_code == 302  # the link still works


def test_withdrawn_and_unknown_links_say_so_in_the_readers_language(app, client, database, tenants, admin_a):
    email = f"tarik-{uuid.uuid4().hex[:6]}@example.go.id"
    invited = client.post(members_url(tenants), json={"email": email, "name": "X", "role": "operator"}, headers=admin_a)
    token = invitation_link(database, email)
    path = f"/api/v1/tenants/{tenants['a']['tenant'].slug}/invitations/{invited.json['id']}"
    assert client.delete(path, headers=admin_a).status_code == 204
    gone = app.test_client().get(f"/invitations/{token}", headers={"Accept": "text/html"})
    assert gone.status_code == 404 and "Tautan undangan ini sudah tidak berlaku" in gone.get_data(as_text=True)
    assert app.test_client().get("/invitations/not-a-real-token").status_code == 404


def test_inviting_twice_is_409_and_a_member_of_the_region_gets_the_role_at_once(client, database, tenants, admin_a):
    email = f"dua-{uuid.uuid4().hex[:6]}@example.go.id"
    body = {"email": email, "name": "Dua", "role": "operator"}
    assert client.post(members_url(tenants), json=body, headers=admin_a).status_code == 202
    assert client.post(members_url(tenants), json=body, headers=admin_a).status_code == 409

    member = person(database, role="operator", tenant=tenants["a"]["tenant"])
    granted = client.post(members_url(tenants), json={"email": member.email, "name": "x", "role": "supervisor"},
                          headers=admin_a)
    assert granted.status_code == 201 and granted.json["user_id"] == str(member.id)


def test_revoking_a_membership_ends_only_that_regions_grants(client, database, tenants, admin_a):
    both = person(database, role="operator", tenant=tenants["a"]["tenant"])
    with database.transaction(PLATFORM) as session:
        grant_role(session, session.get(User, both.id), "operator", tenants["b"]["tenant"].id)
    token = bearer(database, both)
    membership = next(m for m in client.get(members_url(tenants), headers=admin_a,
                                            query_string={"page_size": 500}).json if m["user_id"] == str(both.id))
    path = f"{members_url(tenants)}/{membership['id']}"
    etag = client.get(path, headers=admin_a).headers["ETag"]
    assert client.delete(path, headers=admin_a | {"If-Match": etag}).status_code == 204

    in_force = client.application.extensions["siaga112.in_force"]
    in_force.forget()  # what the next poll of the grants epoch does on every process (tests/test_revocation.py)
    assert client.get(f"/api/v1/tenants/{tenants['a']['tenant'].slug}", headers=token).status_code == 404
    assert client.get(f"/api/v1/tenants/{tenants['b']['tenant'].slug}", headers=token).status_code == 200
