"""Property tests of number parsing: every usual way of writing a number gives one E.164; garbage is a 422."""

import uuid

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant
from siaga112.tenants.directory.phone import InvalidNumber, national_format, parse_number

# Area codes of the three time zones (Jakarta, Pekalongan, Metro, Denpasar, Makassar, Jayapura) and mobile prefixes.
AREA_CODES = ("21", "285", "725", "361", "411", "967")
MOBILE_PREFIXES = ("811", "812", "813", "821", "852", "857", "878", "895")
SEPARATORS = ("", " ", "-", ".", "  ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@st.composite
def indonesian_numbers(draw):
    """(prefix, subscriber digits) of a number phonenumbers calls valid for Indonesia."""
    if draw(st.booleans()):
        prefix, length = draw(st.sampled_from(AREA_CODES)), draw(st.integers(5, 8))
    else:
        prefix, length = draw(st.sampled_from(MOBILE_PREFIXES)), draw(st.integers(6, 9))
    subscriber = draw(st.text("0123456789", min_size=length, max_size=length).filter(lambda s: s[0] != "0"))
    number = phonenumbers.parse("+62" + prefix + subscriber)
    assume(phonenumbers.is_valid_number(number))
    return prefix, subscriber


@st.composite
def written_forms(draw, prefix, subscriber):
    """One way a person might write +62 prefix subscriber."""
    separator = draw(st.sampled_from(SEPARATORS))
    cut = draw(st.integers(1, len(subscriber) - 1))
    groups = separator.join((subscriber[:cut], subscriber[cut:])) if draw(st.booleans()) else subscriber
    lead = draw(st.sampled_from(("0{p}", "(0{p})", "+62 {p}", "+62{p}", "+62 ({p})", "+62 (0){p}", "+62-{p}")))
    text = lead.format(p=prefix) + draw(st.sampled_from((" ", "-", ""))) + groups
    if draw(st.integers(0, 9)) == 0:
        text = text.translate(ARABIC_INDIC)  # phones and some keyboards send these digits
    return draw(st.sampled_from(("", " ", "\t"))) + text + draw(st.sampled_from(("", " ")))


@given(data=st.data(), number=indonesian_numbers())
@settings(max_examples=300, deadline=None)
def test_every_written_form_of_a_number_gives_one_e164(data, number):
    prefix, subscriber = number
    canonical = "+62" + prefix + subscriber
    forms = [data.draw(written_forms(prefix, subscriber)) for _ in range(4)]
    assert {parse_number(form) for form in forms} == {canonical}, forms
    assert parse_number(national_format(canonical)) == canonical  # what the pages show reads back the same


@given(text=st.text(max_size=60))
@settings(max_examples=500, deadline=None)
def test_any_text_either_parses_to_indonesian_e164_or_says_why_not(text):
    try:
        e164 = parse_number(text)
    except InvalidNumber as refused:
        assert str(refused) and refused.reason
    else:
        assert e164.startswith("+62") and e164[1:].isdigit() and len(e164) <= 16


# --- through the API: no input is a 500 -------------------------------------------------------------

@pytest.fixture(scope="module")
def headers(database):
    with database.transaction(PLATFORM) as session:
        tenant = session.scalar(select(Tenant).where(Tenant.region_code == "35.78")) \
            or create_tenant(session, "35.78", Actor.system("tests"))
        user = create_user(session, f"admin-{uuid.uuid4().hex[:6]}@example.go.id", "Admin Surabaya", None)
        grant_role(session, user, "regional_admin", tenant.id)
        verifier = create_user(session, f"verifier-{uuid.uuid4().hex[:6]}@example.go.id", "Verifier", None)
        grant_role(session, verifier, "ministry_verifier")
        return {"slug": tenant.slug,
                "admin": {"Authorization": f"Bearer {issue_access_token(session, user)}"},
                "verifier": {"Authorization": f"Bearer {issue_access_token(session, verifier)}"}}


# No digits (so nothing can be a number) and no lone surrogates (no client can send those as JSON).
NOT_DIGITS = st.text(st.characters(blacklist_categories=("Nd", "Nl", "No", "Cs"), blacklist_characters="0123456789"), max_size=50)


@given(garbage=NOT_DIGITS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_garbage_is_a_422_naming_the_number_field(client, headers, garbage):
    response = client.post(f"/api/v1/tenants/{headers['slug']}/numbers",
                           json={"number": garbage, "kind": "inbound_line"}, headers=headers["admin"])
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [error["field"] for error in response.json["errors"]] == ["json.number"]


@given(dialed=st.text(max_size=60))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_dialed_text_is_answered_without_a_server_error(client, headers, dialed):
    response = client.get("/api/v1/routing/lookup", query_string={"dialed": dialed}, headers=headers["verifier"])
    assert response.status_code in (200, 404, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert [error["field"] for error in response.json["errors"]] == ["query.dialed"]
