"""The data of the onboarding bench: every region as a tenant, with what the readiness checks read, and
onboarding applications spread over every stage of the pipeline.

Per tenant (unless its profile says otherwise): 25 people (a regional admin; four teams of a supervisor
and five operators on a 4-team rotation of three shifts, Pagi 07:30–16:00, Siang 16:00–23:30, Malam
23:30–07:30, min staff 5), the roster from 9 days before today to 38 days after (what a 30-day
readiness window and the weeks around it read), a training record per rostered person (two for the
supervisors), ten agencies with two contact numbers each, three active 112 inbound lines and a backup
line. Tenants come from `create_tenant` (ORM, as bench_coverage.py makes them); everything else is
written with COPY as the server's superuser (PostgreSQL refuses COPY FROM where row-level security
applies, and it applies to the owner too).

Profiles, drawn with a fixed seed, make some tenants miss one thing (and `new` ones everything):

    green               everything the readiness checks want
    roster_gap          one team off for two days in the window: coverage and supervision red
    unsupervised_team   one team's leader holds the operator role only: supervision red
    one_line            one inbound line only (the others inactive)
    agency_gap          the disaster agency's contact numbers inactive
    training_lapsed     two operators' training ends 12 days from today
    new                 nothing but the tenant (no shifts, lines or agencies)

Applications are inserted directly with statuses and timestamps that fit the stage (submitted_at,
approved_at, live_at; the tenant's status follows as the service would set it).
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time as clock_time, timedelta, timezone

SEED = 112
TODAY = datetime.now(timezone.utc).date()  # a region's local today is this day or the next (UTC+7..+9)
ROSTER = (TODAY - timedelta(days=9), TODAY + timedelta(days=38))
TEAMS, OPERATORS_PER_TEAM, MIN_STAFF = 4, 5, 5
SHIFTS = (("Pagi", "P", clock_time(7, 30), clock_time(16)), ("Siang", "S", clock_time(16), clock_time(23, 30)),
          ("Malam", "M", clock_time(23, 30), clock_time(7, 30)))
AGENCIES = (("Polres", "police"), ("Dinas Pemadam Kebakaran", "fire"), ("PSC 119", "medical"),
            ("RSUD", "medical"), ("BPBD", "disaster"), ("PLN UP3", "utility"), ("Satpol PP", "public_order"),
            ("Dinas Sosial", "social"), ("Puskesmas Kota", "health_center"), ("PMI", "blood"))
INBOUND_LINES = 3
PROFILES = {"green": 58, "roster_gap": 7, "unsupervised_team": 7, "one_line": 6, "agency_gap": 7,
            "training_lapsed": 8, "new": 7}
# Stages of the pipeline: not_started (a tenant without an application) and the application statuses.
STAGES = {"not_started": 8, "draft": 22, "submitted": 7, "in_review": 7, "visit_scheduled": 5, "visited": 4,
          "changes_requested": 6, "approved": 5, "rejected": 2, "withdrawn": 4, "live": 24}
TENANT_STATUS = {"submitted": "onboarding", "in_review": "onboarding", "visit_scheduled": "onboarding",
                 "visited": "onboarding", "changes_requested": "onboarding", "approved": "onboarding",
                 "live": "live"}  # the rest stay prospect
GIVEN = ("Agus", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gilang", "Hendra", "Indah", "Joko", "Kartika", "Lukman",
         "Maya", "Nur", "Oki", "Putri", "Rizki", "Sari", "Teguh", "Wulan", "Yusuf", "Zahra")
FAMILY = ("Santoso", "Wibowo", "Lestari", "Siregar", "Nasution", "Hidayat", "Saputra", "Kurniawan", "Pratama",
          "Simanjuntak", "Wijaya", "Rahmawati", "Harahap", "Setiawan")


@dataclass
class Made:
    """What populate() made: tenant ids in region order, each tenant's profile and stage, and the tallies."""

    tenant_ids: list[uuid.UUID]
    region_codes: dict[uuid.UUID, str]
    all_regions: list[str]  # every region's code, with a tenant or not
    profiles: dict[uuid.UUID, str]
    stages: dict[uuid.UUID, str]
    rows: Counter = field(default_factory=Counter)
    timings_s: dict[str, float] = field(default_factory=dict)

    def matching(self, stage: str | None = None, province: str | None = None) -> dict[str, int]:
        """How many regions (with or without a tenant) and applications a pipeline filter matches."""
        stage_of = {code: "no_tenant" for code in self.all_regions}
        stage_of.update({self.region_codes[tenant_id]: found for tenant_id, found in self.stages.items()})
        regions = [found for code, found in stage_of.items()
                   if (stage is None or found == stage) and (province is None or code.split(".")[0] == province)]
        return {"regions": len(regions),
                "applications": sum(1 for found in regions if found not in ("no_tenant", "not_started"))}


def _draw(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"


def create_tenants(owner, tenant_count: int) -> tuple[list[tuple[uuid.UUID, str, str]], list[str]]:
    """Tenants of the first `tenant_count` regions by code, through create_tenant: [(id, code, region name)],
    and every region's code."""
    from sqlalchemy import select

    from siaga112.platform.audit.service import Actor
    from siaga112.platform.regions.models import Region
    from siaga112.platform.tenancy.context import PLATFORM
    from siaga112.platform.tenancy.service import create_tenant

    actor = Actor.system("bench")
    with owner.transaction(PLATFORM) as session:
        regions = session.execute(select(Region.code, Region.name).order_by(Region.code)).all()
        return ([(create_tenant(session, code, actor).id, code, name) for code, name in regions[:tenant_count]],
                [code for code, _name in regions])


class Writer:
    """Rows per table, written with COPY at the end."""

    COLUMNS = {
        "users": ("id", "email", "name"),
        "memberships": ("id", "tenant_id", "user_id", "role"),
        "shifts": ("id", "tenant_id", "name", "code", "start_time", "end_time", "min_staff"),
        "agencies": ("id", "tenant_id", "name", "kind", "affiliation", "active"),
        "numbers": ("tenant_id", "e164", "kind", "label", "agency_id", "active"),
        "training_records": ("tenant_id", "user_id", "course", "provider", "completed_on", "valid_until"),
        "roster_assignments": ("tenant_id", "user_id", "membership_id", "shift_id", "local_date"),
        "onboarding_applications": ("tenant_id", "status", "checklist_version", "submitted_at", "approved_at",
                                    "live_at", "created_at", "updated_at"),
    }

    def __init__(self):
        self.rows: dict[str, list[tuple]] = {table: [] for table in self.COLUMNS}

    def add(self, table: str, *values) -> None:
        self.rows[table].append(values)

    def copy(self, admin_url: str) -> Counter:
        import psycopg

        with psycopg.connect(admin_url) as conn:
            for table, columns in self.COLUMNS.items():
                with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in self.rows[table]:
                        copy.write_row(row)
            conn.execute("ANALYZE " + ", ".join(self.COLUMNS) + ", tenants")
        return Counter({table: len(rows) for table, rows in self.rows.items()})


def tenant_data(writer: Writer, rng: random.Random, index: int, tenant_id: uuid.UUID, code: str, region: str,
                profile: str) -> None:
    """One tenant's people, shifts, roster, training, agencies and lines, shaped by its profile."""
    from siaga112.tenants.directory.models import affiliation_for

    def person(role: str, label: str) -> tuple[uuid.UUID, uuid.UUID]:
        user_id, membership_id = uuid.uuid4(), uuid.uuid4()
        writer.add("users", user_id, f"{label}.{code}@bench.siaga112.id", _name(rng))
        writer.add("memberships", membership_id, tenant_id, user_id, role)
        return user_id, membership_id

    person("regional_admin", "admin")
    if profile == "new":
        return
    shift_ids = []
    for name, shift_code, start, end in SHIFTS:
        shift_ids.append(uuid.uuid4())
        writer.add("shifts", shift_ids[-1], tenant_id, name, shift_code, start, end, MIN_STAFF)
    teams = []
    for team in range(TEAMS):
        leader_role = "operator" if profile == "unsupervised_team" and team == 2 else "supervisor"
        members = [person(leader_role, f"spv{team}")] + [person("operator", f"op{team}{n}")
                                                        for n in range(OPERATORS_PER_TEAM)]
        teams.append(members)
    # Four teams, three shifts: on each day team t works shift (day + t) % 4 (3 = a day off).
    gap_team, gap_days = 1, {TODAY + timedelta(days=10), TODAY + timedelta(days=11)}
    day = ROSTER[0]
    while day <= ROSTER[1]:
        for team, members in enumerate(teams):
            position = (day.toordinal() + team) % TEAMS
            if position == 3 or (profile == "roster_gap" and team == gap_team and day in gap_days):
                continue
            for user_id, membership_id in members:
                writer.add("roster_assignments", tenant_id, user_id, membership_id, shift_ids[position], day)
        day += timedelta(days=1)
    lapsing = {teams[0][1][0], teams[3][2][0]} if profile == "training_lapsed" else set()
    for members in teams:
        for rank, (user_id, _membership_id) in enumerate(members):
            completed = TODAY - timedelta(days=rng.randint(60, 900))
            valid_until = completed + timedelta(days=3 * 365)
            if user_id in lapsing:
                valid_until = TODAY + timedelta(days=12)
                completed = valid_until - timedelta(days=3 * 365)
            writer.add("training_records", tenant_id, user_id, "Pelatihan Operator Layanan 112",
                       "Kementerian Komunikasi dan Digital", completed, valid_until)
            if rank == 0:
                writer.add("training_records", tenant_id, user_id, "Supervisor Pusat Panggilan 112",
                           "Pusdiklat Komdigi", completed + timedelta(days=30), None)
    for agency_index, (prefix, kind) in enumerate(AGENCIES):
        agency_id = uuid.uuid4()
        writer.add("agencies", agency_id, tenant_id, f"{prefix} {region}", kind, affiliation_for(kind), True)
        contacts_active = not (profile == "agency_gap" and kind == "disaster")
        for n, label in enumerate(("piket 24 jam", "kepala")):
            writer.add("numbers", tenant_id, f"+6281{index:04d}{agency_index:02d}{n:02d}", "agency_contact", label,
                       agency_id, contacts_active)
    for n in range(INBOUND_LINES):
        active = not (profile == "one_line" and n > 0)
        writer.add("numbers", tenant_id, f"+6221{index:04d}{n + 1:03d}", "inbound_line", f"112 saluran {n + 1}", None,
                   active)
    writer.add("numbers", tenant_id, f"+6221{index:04d}900", "backup_line", "112 cadangan", None, True)


def application_row(writer: Writer, rng: random.Random, tenant_id: uuid.UUID, stage: str) -> None:
    """An application at `stage`, with timestamps that fit it."""
    now = datetime.now(timezone.utc)
    created = now - timedelta(days=rng.randint(20, 420), minutes=rng.randint(0, 1440))
    submitted = approved = live = None
    if stage in ("submitted", "in_review", "visit_scheduled", "visited", "changes_requested", "approved", "rejected",
                 "live") or (stage == "withdrawn" and rng.random() < 0.5):
        submitted = min(created + timedelta(days=rng.randint(3, 60), hours=rng.randint(0, 23)), now)
    if stage in ("approved", "live"):
        approved = min(submitted + timedelta(days=rng.randint(10, 90)), now)
    if stage == "live":
        live = min(approved + timedelta(days=rng.randint(5, 40)), now)
    updated = max(t for t in (created, submitted, approved, live) if t is not None)
    writer.add("onboarding_applications", tenant_id, stage, 1, submitted, approved, live, created, updated)


def populate(owner, urls, tenant_count: int, showcase_stage: str = "visited") -> tuple[Made, uuid.UUID]:
    """Tenants (ORM), then their data and applications (COPY); returns what was made and the showcase tenant:
    the first green one, left without an application for take_showcase_to() to walk through the services."""
    import time

    from sqlalchemy import text

    from siaga112.platform.tenancy.context import PLATFORM

    rng = random.Random(SEED)
    started = time.perf_counter()
    tenants, all_regions = create_tenants(owner, tenant_count)
    made = Made([t for t, _c, _n in tenants], {t: c for t, c, _n in tenants}, all_regions, {}, {})
    made.timings_s["create_tenants"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    writer, showcase = Writer(), None
    status_of = {}
    for index, (tenant_id, code, region) in enumerate(tenants):
        profile = _draw(rng, PROFILES)
        stage = _draw(rng, STAGES) if profile != "new" else ("not_started" if rng.random() < 0.6 else "draft")
        if showcase is None and profile == "green":
            showcase, stage = tenant_id, showcase_stage
        made.profiles[tenant_id], made.stages[tenant_id] = profile, stage
        tenant_data(writer, rng, index, tenant_id, code, region, profile)
        if stage != "not_started" and tenant_id != showcase:
            application_row(writer, rng, tenant_id, stage)
            status_of[tenant_id] = TENANT_STATUS.get(stage, "prospect")
    made.timings_s["generate_rows"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    made.rows = writer.copy(urls.admin)
    with owner.transaction(PLATFORM) as session:
        for status in set(status_of.values()) - {"prospect"}:
            session.execute(text("UPDATE tenants SET status = :status, version = version + 1 WHERE id = ANY(:ids)"),
                            {"status": status, "ids": [t for t, s in status_of.items() if s == status]})
        # The bench's tenant.created events are not the bench's subject: mark them relayed, so that no worker
        # (under `siaga112 up` below) seeds 514 tenants' categories in the middle of a measurement.
        session.execute(text("UPDATE outbox SET relayed_at = now(), processed_at = now() WHERE relayed_at IS NULL"))
    made.timings_s["copy"] = round(time.perf_counter() - started, 2)
    return made, showcase


def take_showcase_to(runtime, data_dir, tenant_id: uuid.UUID, stage: str = "visited") -> dict:
    """The showcase tenant's application through the real services, as a region and a verifier would:
    every declared item answered yes with a PDF, submitted, reviewed, a visit with a pass on every
    mandatory item, completed (application `visited`). Returns the people made (user ids)."""
    import io

    from siaga112.onboarding import service
    from siaga112.onboarding.checklist import checklist
    from siaga112.platform.audit.service import Actor
    from siaga112.platform.identity.service import create_user, grant_role
    from siaga112.platform.storage import FileStore
    from siaga112.platform.tenancy.context import PLATFORM, TenantContext
    from siaga112.platform.tenancy.models import Tenant

    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    with runtime.transaction(PLATFORM) as session:
        admin = create_user(session, f"admin-showcase-{uuid.uuid4().hex[:6]}@bench.siaga112.id", "Admin Daerah")
        grant_role(session, admin, "regional_admin", tenant_id)
        verifier = create_user(session, f"verifier-{uuid.uuid4().hex[:6]}@bench.siaga112.id", "Verifikator")
        grant_role(session, verifier, "ministry_verifier")
    admin_actor = Actor("user", str(admin.id), "regional_admin", "bench")
    verifier_actor = Actor("user", str(verifier.id), "ministry_verifier", "bench")
    store = FileStore(data_dir / "files")
    with runtime.session(TenantContext(tenant_id)) as session:
        tenant = session.get(Tenant, tenant_id)
        application = service.open_application(session, tenant, admin_actor)
        session.commit()
        for item in checklist(application.checklist_version).declared:
            service.answer_item(session, tenant, item.code, "yes", None, admin_actor)
            session.commit()
            if item.evidence_required:
                service.store_evidence(session, tenant, item.code, io.BytesIO(pdf), f"{item.code}.pdf", admin_actor,
                                       store)

    def step(function, *args):
        with runtime.transaction(TenantContext(tenant_id)) as session:
            return function(session, session.get(Tenant, tenant_id), *args)

    step(service.act, "submit", None, admin_actor)
    step(service.act, "start_review", None, verifier_actor)
    if stage in ("visit_scheduled", "visited"):
        visit = step(service.schedule_visit, {"scheduled_for": TODAY, "place": "Ruang kendali 112",
                                              "verifier_ids": []}, verifier_actor)
        if stage == "visited":
            with runtime.transaction(TenantContext(tenant_id)) as session:
                tenant = session.get(Tenant, tenant_id)
                for item in checklist(1).mandatory:
                    service.record_verdict(session, tenant, visit.id, item.code, "pass", None, verifier_actor)
            step(service.visit_action, visit.id, "complete", verifier_actor)
    return {"admin": admin.id, "verifier": verifier.id}
