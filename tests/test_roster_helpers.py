"""Shared set-up of the roster tests (no tests here): tenants of their own, members and their bearer tokens."""

from __future__ import annotations

import uuid

from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.tenancy.context import PLATFORM
from siaga112.platform.regions.models import Region
from siaga112.platform.tenancy.service import create_tenant, find_tenant, slug_for

PASSWORD = "correct horse battery staple"
# Regions no other test module creates a tenant for (WIB, WITA, WIT; then the pages' and the browser's).
BELITUNG, BOALEMO, JAYAWIJAYA, BANGKA_SELATAN, MALINAU = "19.02", "75.02", "95.01", "19.03", "65.02"
STANDARD_SHIFTS = (("Pagi", "P", "07:30", "16:00"), ("Siang", "S", "16:00", "23:30"), ("Malam", "M", "23:30", "07:30"))


def tenant_of(database, region_code):
    """The tenant of a region, created on first use (tests in one session share the database)."""
    with database.transaction(PLATFORM) as session:
        slug = slug_for(session.get(Region, region_code).name)
        return find_tenant(session, slug) or create_tenant(session, region_code, Actor.system("tests"))


def member(database, tenant, role="operator", name=None, password=PASSWORD):
    """A new person holding `role` in `tenant` (None: a platform role); returns (user, bearer headers)."""
    with database.transaction(PLATFORM) as session:
        name = name or f"{role.replace('_', ' ').title()} {uuid.uuid4().hex[:4]}"
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:10]}@example.go.id", name, password)
        grant_role(session, user, role, tenant.id if tenant is not None else None)
        return user, {"Authorization": f"Bearer {issue_access_token(session, user)}"}


def create_shifts(client, slug, headers, shifts=STANDARD_SHIFTS, min_staff=1):
    created = []
    for name, code, start, end in shifts:
        response = client.post(f"/api/v1/tenants/{slug}/shifts", headers=headers, json={
            "name": name, "code": code, "start_time": start, "end_time": end, "min_staff": min_staff})
        assert response.status_code == 201, response.json
        created.append(response.json)
    return created
