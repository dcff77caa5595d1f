"""Demo data for `siaga112 up` on an empty database: three tenants and one person per role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor
from siaga112.platform.identity import roles
from siaga112.platform.identity.models import User
from siaga112.platform.identity.service import create_user, find_user_by_email, grant_role
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant

from .directory.models import Agency

DEMO_REGIONS = ("33.75", "18.72", "18.04")  # Kota Pekalongan, Kota Metro, Kabupaten Lampung Barat
DOMAIN = "demo.siaga112.id"
# (e-mail local part, name, role, tenant region or None)
DEMO_PEOPLE = (
    ("admin", "Admin Platform", roles.PLATFORM_ADMIN, None),
    ("verifikator", "Verifikator Kementerian", roles.MINISTRY_VERIFIER, None),
    ("monitor", "Pemantau Nasional", roles.NATIONAL_MONITOR, None),
    ("admin.pekalongan", "Admin Kota Pekalongan", roles.REGIONAL_ADMIN, "33.75"),
    ("supervisor.pekalongan", "Supervisor Kota Pekalongan", roles.SUPERVISOR, "33.75"),
    ("operator.pekalongan", "Operator Kota Pekalongan", roles.OPERATOR, "33.75"),
    ("polres.pekalongan", "Petugas Polres Pekalongan Kota", roles.AGENCY_RESPONDER, "33.75"),
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    tenant: str | None


def demo_logins(session: Session) -> list[DemoLogin]:
    """The demo accounts that exist, with their role and tenant slug."""
    logins = []
    for local, _name, role, region in DEMO_PEOPLE:
        if find_user_by_email(session, f"{local}@{DOMAIN}"):
            slug = session.scalar(select(Tenant.slug).where(Tenant.region_code == region)) if region else None
            logins.append(DemoLogin(f"{local}@{DOMAIN}", role, slug))
    return logins


def seed_demo(session: Session, password: str) -> bool:
    """Create the demo data if the database has no tenant and no person yet; True if it did."""
    if session.scalar(select(func.count()).select_from(Tenant)) or session.scalar(select(func.count()).select_from(User)):
        return False
    actor = Actor.system("demo")
    tenants = {code: create_tenant(session, code, actor) for code in DEMO_REGIONS}
    police = Agency(tenant_id=tenants["33.75"].id, name="Polres Pekalongan Kota", kind="police")
    session.add(police)
    session.flush()
    for local, name, role, region in DEMO_PEOPLE:
        tenant_id = tenants[region].id if region else None
        user = create_user(session, f"{local}@{DOMAIN}", name, password, actor=actor, audit_tenant_id=tenant_id)
        grant_role(session, user, role, tenant_id, police.id if role == roles.AGENCY_RESPONDER else None, actor=actor)
    return True
