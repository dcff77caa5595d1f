"""Error pages in the reader's language with a way forward; the API keeps problem+json (both languages of a
refusal come from one template: English for the API, the reader's language on the page)."""

from __future__ import annotations

import pytest

from siaga112.platform.security import app_limiter
from tests.test_invitations import PASSWORD, person
from tests.test_sign_in import post_sign_in, text_of

HTML = {"Accept": "text/html"}


@pytest.fixture
def operator(app, database, tenants):
    app_limiter(app).reset()
    user = person(database, name="Operator Malam", role="operator", tenant=tenants["a"]["tenant"])
    browser = app.test_client()
    post_sign_in(browser, user.email, PASSWORD)
    return browser


def test_a_403_says_what_the_role_cannot_do_and_links_home(operator, tenants):
    refused = operator.get(f"/tenants/{tenants['a']['tenant'].slug}/people", headers=HTML)
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    text, html = text_of(refused), refused.get_data(as_text=True)
    assert "Anda tidak dapat melakukan ini di sini" in text
    assert "Hanya Admin platform atau Admin daerah yang boleh melakukan ini; Anda masuk sebagai Operator." in text
    assert 'href="/home"' in html and "Masuk sebagai orang lain" in text
    for code in ("regional_admin", "platform_admin", "operator", "Forbidden"):
        assert code not in text, code  # never a role code or the server's English

    operator.set_cookie("lang", "en")
    english = text_of(operator.get(f"/tenants/{tenants['a']['tenant'].slug}/people", headers=HTML))
    assert "Only Platform admin or Regional admin may do this; you are signed in as Operator." in english
    assert "Your home page" in english


def test_the_api_keeps_problem_json_with_the_role_codes_for_programs(client, database, tenants):
    from tests.test_invitations import bearer

    user = person(database, role="operator", tenant=tenants["a"]["tenant"])
    answer = client.get(f"/api/v1/tenants/{tenants['a']['tenant'].slug}/invitations", headers=bearer(database, user))
    assert answer.status_code == 403 and answer.mimetype == "application/problem+json"
    assert answer.json["code"] == "role_not_allowed"
    assert answer.json["roles_needed"] == ["regional_admin", "platform_admin"]
    assert answer.json["roles_held"] == ["operator"]
    assert answer.json["detail"] == "Only Platform admin or Regional admin may do this; you are signed in as Operator."


@pytest.mark.parametrize("lang, title, hint", [
    ("id", "Halaman ini tidak ada", "Alamatnya mungkin salah ketik"),
    ("en", "This page does not exist", "The address may be mistyped"),
])
def test_a_404_page_in_the_readers_language(client, lang, title, hint):
    client.set_cookie("lang", lang)
    missing = client.get("/tidak-ada-halaman-ini", headers=HTML)
    assert missing.status_code == 404
    text = text_of(missing)
    assert title in text and hint in text and "There is nothing at" not in text  # not the API's English
    assert 'href="/sign-in"' in missing.get_data(as_text=True)  # not signed in: the way in


def test_another_regions_page_is_a_404_that_names_no_one(operator, tenants):
    other = operator.get(f"/tenants/{tenants['b']['tenant'].slug}/roster", headers=HTML)
    assert other.status_code == 404
    assert "Tidak ada daerah “kota-metro” yang dapat Anda lihat di Siaga112." in text_of(other)
    assert 'href="/home"' in other.get_data(as_text=True)


def test_a_405_page_explains_the_form_address(operator, tenants):
    wrong = operator.get(f"/tenants/{tenants['a']['tenant'].slug}/people/members/"
                         "00000000-0000-0000-0000-000000000000/remove", headers=HTML)
    assert wrong.status_code == 405
    text = text_of(wrong)
    assert "Alamat ini tidak dapat dibuka dengan cara ini" in text and "Kembali ke halaman formulir itu" in text
    assert wrong.headers["Allow"]


def test_an_error_page_whose_database_session_is_broken_still_renders_without_the_menu(operator, monkeypatch):
    from sqlalchemy.exc import PendingRollbackError

    from siaga112.platform import navigation

    def broken(_principal):
        raise PendingRollbackError("the transaction failed before the page was drawn")

    monkeypatch.setattr(navigation, "_tenants_of", broken)
    page = operator.get("/tidak-ada", headers=HTML)
    assert page.status_code == 404 and "Halaman ini tidak ada" in text_of(page)
    assert 'id="menu"' not in page.get_data(as_text=True)
