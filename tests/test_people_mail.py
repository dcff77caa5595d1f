"""The invitation and the password reset, end to end through a real SMTP server (aiosmtpd) and the mail job:
the admin acts on the page, rq's job sends the e-mail in both languages, the person clicks the link."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.test_invitations import PASSWORD
from tests.test_mail import mail_env, mail_queue, run_mail_jobs, smtp_port, smtp_server, smtp_url  # noqa: F401
from tests.test_people_pages import admin, invite, page_token, people_path  # noqa: F401
from tests.test_sign_in import csrf_token, post_sign_in, text_of

pytestmark = pytest.mark.services


def link_in(message, kind: str) -> str:
    body = message.get_content()
    return re.search(rf"https?://[^\s]+(/{kind}/[A-Za-z0-9_-]{{20,}})", body).group(1)


def test_an_invitation_e_mailed_through_smtp_is_accepted_from_its_link(app, admin, tenants, mail_env, mail_queue,
                                                                         smtp_server, smtp_port):
    mail_env(smtp_url(smtp_port))
    email = f"smtp-{uuid.uuid4().hex[:6]}@example.go.id"
    assert invite(admin, tenants, email, role="supervisor", name="Wulan Sari").status_code == 302
    run_mail_jobs(mail_queue)

    [message] = [m for m in smtp_server.messages() if email in m["To"]]
    assert message["Subject"].strip() == "Undangan Siaga112: Kota Pekalongan / Siaga112 invitation: Kota Pekalongan"
    body = message.get_content()
    assert body.index("Anda diundang sebagai supervisor") < body.index("You are invited as supervisor")
    path = link_in(message, "invitations")

    person = app.test_client()
    page = person.get(path)
    assert page.status_code == 200 and "Kota Pekalongan" in text_of(page)
    accepted = person.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "name": "Wulan Sari",
                                       "password": PASSWORD, "confirm": PASSWORD})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/home"
    assert "Selamat datang: kini Anda Supervisor di Kota Pekalongan" in text_of(person.get("/home"))
    assert person.get(path).status_code == 404  # the link worked once


def test_a_password_reset_e_mailed_through_smtp_sets_a_new_password(app, admin, database, tenants, mail_env,
                                                                      mail_queue, smtp_server, smtp_port):
    from sqlalchemy import select

    from siaga112.platform.identity.models import Membership
    from siaga112.platform.tenancy.context import PLATFORM
    from tests.test_invitations import person

    mail_env(smtp_url(smtp_port))
    someone = person(database, name="Yusuf Maulana", role="operator", tenant=tenants["a"]["tenant"])
    with database.transaction(PLATFORM) as session:
        membership = session.scalar(select(Membership).where(Membership.user_id == someone.id))
    admin.post(f"{people_path(tenants)}/members/{membership.id}/password-reset",
               data={"csrf_token": page_token(admin, people_path(tenants))})
    run_mail_jobs(mail_queue)
    [message] = [m for m in smtp_server.messages() if someone.email in m["To"]]
    assert message["Subject"].strip() == "Kata sandi baru Siaga112 / New Siaga112 password"
    path = link_in(message, "password-reset")

    browser = app.test_client()
    page = browser.get(path)
    new = "sandi baru dari tautan e-mail"
    assert browser.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "password": new,
                                    "confirm": new}).status_code == 302
    assert post_sign_in(app.test_client(), someone.email, new).status_code == 302
    assert post_sign_in(app.test_client(), someone.email, PASSWORD).status_code == 200  # the old one is gone
