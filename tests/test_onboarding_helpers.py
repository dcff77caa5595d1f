"""Shared by the onboarding tests: people with tokens, a region made ready, the checklist answered.

Everything goes through the real services (roster, directory, training, onboarding) against the
real database; nothing is mocked. (No tests here: the test_ prefix keeps the file with its users.)
"""

from __future__ import annotations

import io
import random
import uuid
from datetime import date, time, timedelta

from sqlalchemy import delete, select

from siaga112.onboarding import service
from siaga112.onboarding.checklist import checklist
from siaga112.onboarding.models import OnboardingApplication
from siaga112.onboarding.readiness import local_today
from siaga112.platform.audit.service import Actor
from siaga112.platform.identity.service import create_user, grant_role
from siaga112.platform.identity.tokens import issue_access_token
from siaga112.platform.storage import FileStore
from siaga112.platform.tenancy.context import PLATFORM, TenantContext
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant

SYSTEM = Actor.system("tests")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0" + bytes(200)
MB = 1024 * 1024
REQUIRED_KINDS = ("police", "fire", "medical", "disaster")


def tenant_of(database, region_code: str) -> Tenant:
    with database.transaction(PLATFORM) as session:
        found = session.scalar(select(Tenant).where(Tenant.region_code == region_code))
        return found or create_tenant(session, region_code, SYSTEM)


def person(database, role: str, tenant: Tenant | None = None, name: str | None = None):
    """A new user holding `role` (in `tenant` for a tenant role): (user, bearer headers)."""
    with database.transaction(PLATFORM) as session:
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.go.id", name or role.replace("_", " "),
                           None)
        grant_role(session, user, role, tenant.id if tenant else None)
        token = issue_access_token(session, user)
    return user, {"Authorization": f"Bearer {token}"}


def actor_of(user, role: str) -> Actor:
    return Actor("user", str(user.id), role, "test")


def fresh(session, tenant: Tenant) -> Tenant:
    return session.get(Tenant, tenant.id)


def reset_application(database, tenant: Tenant) -> None:
    """Remove the region's application (and with it answers, evidence rows, visits, routing) and its status."""
    with database.transaction(PLATFORM) as session:
        session.execute(delete(OnboardingApplication).where(OnboardingApplication.tenant_id == tenant.id))
        row = session.get(Tenant, tenant.id)
        row.status = "prospect"


def unique_line() -> str:
    """A Jakarta number nobody on the platform has registered as a line (random, 8 digits)."""
    return f"+6221{random.randint(20_000_000, 89_999_999)}"


def make_ready(database, tenant: Tenant, days_before: int = 1, days_after: int = 32) -> dict:
    """Make every computed item green: two 12-hour shifts each with a trained supervisor every day around the
    readiness window, two inbound lines, and police, fire, medical and disaster agencies with contacts."""
    from siaga112.tenants.directory import service as directory
    from siaga112.tenants.roster import service as roster
    from siaga112.tenants.training import service as training

    made: dict = {}
    supervisors = [person(database, "supervisor", tenant, f"Supervisor {n}")[0] for n in (1, 2)]
    with database.transaction(TenantContext(tenant.id)) as session:
        tenant = fresh(session, tenant)
        today = local_today(tenant)
        existing = {shift.code: shift for shift in roster.list_shifts(session, tenant.id)}
        shifts = []
        for code, start, end in (("D", time(7, 0), time(19, 0)), ("N", time(19, 0), time(7, 0))):
            shifts.append(existing.get(code) or roster.create_shift(
                session, tenant.id, {"name": f"Shift {code}", "code": code, "start_time": start, "end_time": end,
                                     "min_staff": 1}, SYSTEM))
        for offset in range(-days_before, days_after):
            for supervisor, shift in zip(supervisors, shifts, strict=True):
                roster.add_assignment(session, tenant.id, supervisor.id, shift.id, today + timedelta(offset), SYSTEM)
        for supervisor in supervisors:
            training.create_record(session, tenant.id, {"user_id": supervisor.id, "course": "Operator 112",
                                                        "provider": "Komdigi", "completed_on": today - timedelta(400),
                                                        "valid_until": None}, SYSTEM)
        made["lines"] = [directory.add_number(session, tenant.id, unique_line(), "inbound_line", f"112 line {n}",
                                              None, SYSTEM).id for n in (1, 2)]
        reachable = directory.reachable_agency_kinds(session, tenant.id)
        for kind in REQUIRED_KINDS:
            if kind in reachable:
                continue
            agency = directory.create_agency(session, tenant.id, {"name": f"{kind} {uuid.uuid4().hex[:6]}",
                                                                  "kind": kind}, SYSTEM)
            directory.add_number(session, tenant.id, f"+62812{random.randint(10_000_000, 99_999_999)}",
                                 "agency_contact", "piket", agency.id, SYSTEM)
    made.update(supervisors=supervisors, shifts=[s.id for s in shifts])
    return made


def set_line_active(database, tenant: Tenant, number_id, active: bool) -> None:
    from siaga112.tenants.directory import service as directory

    with database.transaction(TenantContext(tenant.id)) as session:
        number = directory.get_number(session, tenant.id, number_id)
        directory.update_number(session, number, {"active": active}, SYSTEM)


def file_store(services) -> FileStore:
    return FileStore(services.data_dir / "files")


def answer_everything(database, services, tenant: Tenant, admin_actor: Actor, answer: str = "yes") -> None:
    """Answer every declared item (mandatory or not) and attach one PDF where evidence is required."""
    store = file_store(services)
    with database.session(TenantContext(tenant.id)) as session:
        row = fresh(session, tenant)
        application = service.open_application(session, row, admin_actor)
        session.commit()
        for item in checklist(application.checklist_version).declared:
            service.answer_item(session, row, item.code, answer, None, admin_actor)
            session.commit()
            if item.evidence_required and not service.list_evidence(session, row, item.code):
                service.store_evidence(session, row, item.code, io.BytesIO(PDF), f"{item.code}.pdf", admin_actor,
                                       store)
                session.commit()  # the caller commits, as the request's unit of work does


def run(database, tenant: Tenant, function, *args, **kwargs):
    """Call a service function on the tenant in a transaction of its own; returns what it returned."""
    with database.transaction(TenantContext(tenant.id)) as session:
        return function(session, fresh(session, tenant), *args, **kwargs)


def status_of(database, tenant: Tenant) -> tuple[str | None, str]:
    """(application status or None, tenant status)."""
    with database.transaction(PLATFORM) as session:
        application = session.scalar(select(OnboardingApplication).where(OnboardingApplication.tenant_id == tenant.id))
        return (application.status if application else None), session.get(Tenant, tenant.id).status


def pass_every_item(database, tenant: Tenant, verifier_actor: Actor, visit_id) -> None:
    with database.transaction(TenantContext(tenant.id)) as session:
        row = fresh(session, tenant)
        application = service.find_application(session, tenant.id)
        for item in checklist(application.checklist_version).mandatory:
            service.record_verdict(session, row, visit_id, item.code, "pass", None, verifier_actor)


def take_to_visited(database, services, tenant: Tenant, admin_actor: Actor, verifier_actor: Actor) -> None:
    """draft (ready) → submitted → in_review → visit_scheduled → visited, every mandatory item passed."""
    answer_everything(database, services, tenant, admin_actor)
    run(database, tenant, service.act, "submit", None, admin_actor)
    run(database, tenant, service.act, "start_review", None, verifier_actor)
    visit = run(database, tenant, service.schedule_visit,
                {"scheduled_for": date.today() + timedelta(days=1), "place": "Ruang 112", "verifier_ids": []}, verifier_actor)
    pass_every_item(database, tenant, verifier_actor, visit.id)
    run(database, tenant, service.visit_action, visit.id, "complete", verifier_actor)
