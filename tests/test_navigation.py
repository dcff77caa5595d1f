"""Every role lands on its work and reaches each page it may use from the menu; no menu entry is refused.

The menu is built from what each view allows (platform/navigation.py), so these tests walk it as each
role: every link of the header's menu and of the tenant's sections must answer 200, and each role must
find the pages of its work there (and not the others').
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from siaga112.platform.identity.roles import ROLES
from siaga112.platform.security import app_limiter
from siaga112.platform.tenancy.context import PLATFORM
from tests.test_invitations import PASSWORD, person
from tests.test_sign_in import post_sign_in

MENUS = (re.compile(r'<nav id="menu".*?</nav>', re.S), re.compile(r'<nav class="tenant-nav".*?</nav>', re.S))
HREF = re.compile(r'<a href="([^"]+)"[^>]*>\s*([^<]+?)\s*</a>')


def menu_links(html: str) -> dict[str, str]:
    """href → label of every link in the page's menus."""
    found = {}
    for menu in MENUS:
        for block in menu.findall(html):
            found.update({unescape(href): unescape(label) for href, label in HREF.findall(block)})
    return found


@pytest.fixture(scope="module")
def people(database, tenants):
    """One person per role; tenant roles in Kota Pekalongan (the agency responder for its police)."""
    from siaga112.platform.identity.service import grant_role

    made = {}
    tenant = tenants["a"]["tenant"]
    for role in ROLES:
        user = person(database, name=f"Nav {role}")
        with database.transaction(PLATFORM) as session:
            from siaga112.platform.identity.models import User

            grant_role(session, session.get(User, user.id), role, None if role in (
                "platform_admin", "ministry_verifier", "national_monitor") else tenant.id,
                tenants["a"]["agency_id"] if role == "agency_responder" else None)
        made[role] = user
    return made


def walk(client) -> dict[str, tuple[str, int]]:
    """Every page reachable from /home through the menus alone: href → (label, status)."""
    seen: dict[str, tuple[str, int]] = {}
    queue = ["/home"]
    labels = {"/home": "home"}
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        answer = client.get(path, headers={"Accept": "text/html"})
        seen[path] = (labels.get(path, ""), answer.status_code)
        if answer.status_code == 200:
            for href, label in menu_links(answer.get_data(as_text=True)).items():
                if href not in seen and href not in queue:
                    labels[href] = label
                    queue.append(href)
    return seen


EXPECTED = {  # pages each role must find in its menus (by path end), and pages it must not be offered
    "platform_admin": ({"/admin/tenants", "/admin/people", "/admin/clients", "/onboarding/pipeline",
                        "/onboarding/queue"}, set()),
    "ministry_verifier": ({"/onboarding/queue", "/onboarding/pipeline"}, {"/admin/tenants", "/admin/people"}),
    "national_monitor": ({"/onboarding/pipeline"}, {"/onboarding/queue", "/admin/people"}),
    "regional_admin": ({"/onboarding", "/people", "/agencies", "/numbers", "/categories", "/shifts", "/roster",
                        "/training", "/board", "/escalation-policy"}, {"/admin/tenants", "/onboarding/queue", "/console"}),
    "supervisor": ({"/console", "/board", "/roster", "/shifts", "/agencies", "/training", "/escalation-policy"},
                   {"/people", "/onboarding"}),
    "operator": ({"/console", "/roster", "/shifts", "/agencies"}, {"/people", "/onboarding", "/training", "/board",
                                                                  "/escalation-policy", "/agency"}),
    "agency_responder": ({"/agency"}, {"/people", "/roster", "/agencies", "/onboarding", "/console", "/board"}),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_link_of_every_role_answers_200(app, people, role):
    app_limiter(app).reset()
    client = app.test_client()
    assert post_sign_in(client, people[role].email, PASSWORD).status_code == 302
    reached = walk(client)
    refused = {path: found for path, found in reached.items() if found[1] != 200}
    assert not refused, f"{role}: menu links that do not answer 200: {refused}"
    must, must_not = EXPECTED[role]
    paths = set(reached)
    missing = {end for end in must if not any(path.endswith(end) for path in paths)}
    assert not missing, f"{role} cannot reach {missing} from the menu; it reached {sorted(paths)}"
    offered = {end for end in must_not if any(path.endswith(end) for path in paths)}
    assert not offered, f"{role} is offered {offered}, which are not its work"


LANDING = {  # the panel each role lands on, and a phrase of its work (Bahasa Indonesia)
    "platform_admin": ('id="platform-admin"', "Tenant"),
    "ministry_verifier": ('id="verification"', "Antrean verifikasi"),
    "national_monitor": ('id="pipeline-summary"', "Alur persiapan 112"),
    "regional_admin": ('id="readiness"', "Langkah berikutnya"),
    "supervisor": ('id="call-floor"', "Buka papan pantau"),
    "operator": ('id="call-floor"', "Buka konsol"),
    "agency_responder": ('id="agency-dispatches"', "Buka penugasan"),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_work(app, people, role):
    app_limiter(app).reset()
    client = app.test_client()
    post_sign_in(client, people[role].email, PASSWORD)
    html = client.get("/home").get_data(as_text=True)
    marker, phrase = LANDING[role]
    assert marker in html and phrase in unescape(html), f"{role}'s landing page lacks its panel"


def test_the_regional_admins_landing_names_the_next_thing_to_do(app, people, tenants):
    client = app.test_client()
    post_sign_in(client, people["regional_admin"].email, PASSWORD)
    html = client.get("/home").get_data(as_text=True)
    panel = re.search(r'<section class="panel" id="readiness".*?</section>', html, re.S).group(0)
    step = re.search(r'data-next="(\w+)"', panel).group(1)
    assert step in {"item", "submit", "wait", "approved", "live"} or "Buka daftar periksa" in panel
    if step == "item":  # a link straight to the item on the checklist
        assert re.search(r'href="/tenants/[a-z-]+/onboarding#item-[\w.-]+"', panel)
    assert "<progress" in panel
