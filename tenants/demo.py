"""Demo data for `siaga112 up` on an empty database: three tenants, one person per role, and Kota Pekalongan
as a live region — its agencies, its 112 line, a month's roster around today, its categories, and the last
three days of simulated calls, so that a newcomer signing in as its operator sees a working call centre.

Everything goes through the contexts' own services (audited like any other change); the calls go through
the telephony intake itself, then the operator who answered each one classifies it. The calls are a step
of their own (`seed_demo_calls`): some 450 calls through the intake take seconds, which `siaga112 up`
spends after the platform is ready rather than before.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import Actor
from siaga112.platform.identity import roles
from siaga112.platform.identity.models import User
from siaga112.platform.identity.service import create_user, find_user_by_email, grant_role
from siaga112.platform.tenancy.context import PLATFORM, TenantContext, set_context
from siaga112.platform.tenancy.models import Tenant
from siaga112.platform.tenancy.service import create_tenant, update_tenant

from .calls import service as calls
from .calls import simulator
from .calls.models import Call, Callback
from .categories import service as categories
from .categories.service import seed_national_categories
from .directory import service as directory
from .roster import coverage, generator
from .roster import service as roster

DEMO_REGIONS = ("33.75", "18.72", "18.04")  # Kota Pekalongan, Kota Metro, Kabupaten Lampung Barat
LIVE_REGION = "33.75"
DOMAIN = "demo.siaga112.id"
# (e-mail local part, name, role, tenant region or None): the demo logins, printed by `siaga112 up`.
DEMO_PEOPLE = (
    ("admin", "Admin Platform", roles.PLATFORM_ADMIN, None),
    ("verifikator", "Verifikator Kementerian", roles.MINISTRY_VERIFIER, None),
    ("monitor", "Pemantau Nasional", roles.NATIONAL_MONITOR, None),
    ("admin.pekalongan", "Admin Kota Pekalongan", roles.REGIONAL_ADMIN, "33.75"),
    ("admin.metro", "Admin Kota Metro", roles.REGIONAL_ADMIN, "18.72"),  # a region on its way to go-live
    ("supervisor.pekalongan", "Supervisor Kota Pekalongan", roles.SUPERVISOR, "33.75"),
    ("operator.pekalongan", "Operator Kota Pekalongan", roles.OPERATOR, "33.75"),
    ("polres.pekalongan", "Petugas Polres Pekalongan Kota", roles.AGENCY_RESPONDER, "33.75"),
)
# The rest of Kota Pekalongan's call centre: on the roster and answering calls, without a password (each
# would choose one through an invitation; `siaga112 user set-password` gives one). Hashing a password
# costs a fifth of a second, and `siaga112 up` should start quickly.
CREW = (
    ("dewi.lestari", "Dewi Lestari", roles.OPERATOR), ("agus.setiawan", "Agus Setiawan", roles.OPERATOR),
    ("siti.nurhaliza", "Siti Nurhaliza", roles.OPERATOR), ("budi.santoso", "Budi Santoso", roles.OPERATOR),
    ("rina.wulandari", "Rina Wulandari", roles.OPERATOR), ("eko.prasetyo", "Eko Prasetyo", roles.OPERATOR),
    ("fitri.handayani", "Fitri Handayani", roles.OPERATOR),
    ("hendra.gunawan", "Hendra Gunawan", roles.SUPERVISOR), ("yuni.astuti", "Yuni Astuti", roles.SUPERVISOR),
    ("wahyu.hidayat", "Wahyu Hidayat", roles.SUPERVISOR),
)
# (name, kind, e-mail local part, contact number, its label)
AGENCIES = (
    ("Polres Pekalongan Kota", "police", "polres", "+62285421110", "SPKT"),
    ("Damkar Kota Pekalongan", "fire", "damkar", "+62285423113", "Piket"),
    ("PSC 119 Kota Pekalongan", "medical", "psc119", "+62285421119", "Ambulans"),
    ("BPBD Kota Pekalongan", "disaster", "bpbd", "+62285410100", "Pusdalops"),
    ("PLN UP3 Pekalongan", "utility", "pln", "+62285421123", "Gangguan"),
    ("Satpol PP Kota Pekalongan", "public_order", "satpolpp", "+62285421150", "Piket"),
    ("Dinas Sosial Kota Pekalongan", "social", "dinsos", "+62285421160", "Layanan"),
    ("PMI Kota Pekalongan", "blood", "pmi", "+62285421170", "Unit donor darah"),
    ("Puskesmas Medono", "health_center", "puskesmas.medono", "+62285421180", "UGD"),
)
# Where each category goes (the operator's dispatch proposal): agency kinds, as a kota's call centre routes them.
ROUTES = {"fire": ("fire", "police"), "traffic_accident": ("police", "medical"), "tidal_flood": ("disaster", "social"),
          "flood": ("disaster",), "fallen_tree": ("disaster", "utility"), "medical": ("medical",), "crime": ("police",),
          "power_outage": ("utility",), "natural_disaster": ("disaster", "social"), "blood_request": ("blood",),
          "social": ("social",), "search_rescue": ("disaster", "fire"), "animal": ("fire",),
          "hearse": ("health_center",)}
REPORTS = {"police": "Lokasi diamankan, lalu lintas diatur hingga kondusif.",
           "fire": "Api dipadamkan, pendinginan selesai, tidak ada korban jiwa.",
           "medical": "Korban ditangani di lokasi dan dirujuk ke RSUD Bendan.",
           "disaster": "Warga terdampak didata, jalur air dibersihkan bersama warga.",
           "social": "Warga terdampak mendapat bantuan logistik.",
           "utility": "Jaringan listrik diamankan dan dinyalakan kembali.",
           "public_order": "Lokasi ditertibkan."}
LINE = ("+62285112112", "112 Kota Pekalongan")
SHIFTS = (("Pagi", "P", time(7), time(15)), ("Siang", "S", time(15), time(23)), ("Malam", "M", time(23), time(7)))
ROSTER_DAYS = (-4, 27)  # from four days ago (the calls' history) to four weeks ahead
HISTORY = timedelta(days=3)
SEED = "kota-pekalongan-demo"
BLOCK_REASON = "Panggilan iseng berulang dari nomor yang sama (diblokir 24 jam, seperti di Purworejo)."
# What a burst of emergency calls was about: (category, the incident's summary).
BURST_INCIDENTS = (("fire", "Kebakaran rumah warga, beberapa penelepon melaporkan asap"),
                   ("traffic_accident", "Kecelakaan lalu lintas di jalan pantura, ada korban"),
                   ("tidal_flood", "Banjir rob masuk permukiman warga"),
                   ("fallen_tree", "Pohon tumbang menutup jalan"))
# What a lone emergency call was about.
SINGLE_INCIDENTS = (("medical", "Warga pingsan di rumah, butuh ambulans"),
                    ("traffic_accident", "Tabrakan sepeda motor di perempatan, satu orang luka"),
                    ("crime", "Pencurian sepeda motor, pelaku melarikan diri"),
                    ("fire", "Kebakaran lahan kosong dekat permukiman"),
                    ("fallen_tree", "Pohon tumbang menimpa kabel listrik"),
                    ("power_outage", "Kabel listrik putus dan memercik di jalan"),
                    ("medical", "Ibu hamil akan melahirkan, minta ambulans"))
CALLBACK_OUTCOMES = ("no_answer", "reached_no_emergency", "unreachable", "reached_emergency")


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


def seed_demo(session: Session, password: str, now: datetime | None = None) -> bool:
    """Create the demo data (without its calls) if the database has no tenant and no person yet; True if it did."""
    if session.scalar(select(func.count()).select_from(Tenant)) or session.scalar(select(func.count()).select_from(User)):
        return False
    actor = Actor.system("demo")
    tenants = {code: create_tenant(session, code, actor) for code in DEMO_REGIONS}
    for tenant in tenants.values():  # at once, not when the worker gets to tenant.created
        seed_national_categories(session, tenant.id)
    live = tenants[LIVE_REGION]
    agencies = _agencies(session, live, actor)
    _routes(session, live, agencies, actor)
    for local, name, role, region in DEMO_PEOPLE:
        tenant_id = tenants[region].id if region else None
        user = create_user(session, f"{local}@{DOMAIN}", name, password, actor=actor, audit_tenant_id=tenant_id)
        grant_role(session, user, role, tenant_id, agencies["police"] if role == roles.AGENCY_RESPONDER else None,
                   actor=actor)
    for local, name, role in CREW:
        grant_role(session, create_user(session, f"{local}@{DOMAIN}", name, None, actor=actor,
                                        audit_tenant_id=live.id), role, live.id, actor=actor)
    # A platform admin's change of status, as the tenants page makes it: the demo region skips the ministry's
    # verification (its admin can still walk through Persiapan 112).
    update_tenant(session, live, {"status": "live"}, actor, platform=True)
    set_context(session, TenantContext(live.id))
    _roster(session, live, _local_today(live, now), actor)
    set_context(session, PLATFORM)
    return True


def seed_demo_calls(session: Session, secret: str | bytes, now: datetime | None = None,
                    history: timedelta = HISTORY, public_url: str = "http://127.0.0.1:8112") -> int:
    """The demo region's calls of the last three days (`history`), if it is the demo's and has none yet; how
    many calls it made. `secret` is the app's secret key: the keyed caller hashes must be the ones the running
    app computes. Leaves the session in platform context."""
    tenant = session.scalar(select(Tenant).where(Tenant.region_code == LIVE_REGION))
    if tenant is None or find_user_by_email(session, f"operator.pekalongan@{DOMAIN}") is None:
        return 0  # not the demo's database: a real Kota Pekalongan never gets made-up calls
    set_context(session, TenantContext(tenant.id))
    made = 0
    # Calls of the last minutes may be the live demo traffic's (`up` plays it from the start): not a history.
    before = (now or datetime.now(timezone.utc)) - timedelta(minutes=10)
    if session.scalar(select(func.count()).select_from(Call).where(Call.tenant_id == tenant.id,
                                                                   Call.offered_at < before)) == 0:
        made = _history(session, tenant, secret, now or datetime.now(timezone.utc), history, public_url)
    set_context(session, PLATFORM)
    return made


def _local_today(tenant: Tenant, now: datetime | None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(coverage.Clock(tenant.time_zone).zone).date()


def _agencies(session: Session, tenant: Tenant, actor: Actor) -> dict[str, uuid.UUID]:
    """The agencies the call centre dispatches to, each with its duty number; {kind: id}."""
    made = {}
    for name, kind, local, number, label in AGENCIES:
        agency = directory.create_agency(session, tenant.id, {"name": name, "kind": kind,
                                                               "email": f"{local}@{DOMAIN}"}, actor)
        directory.add_number(session, tenant.id, number, "agency_contact", label, agency.id, actor)
        made[kind] = agency.id
    directory.add_number(session, tenant.id, LINE[0], "inbound_line", LINE[1], None, actor)
    return made


def _routes(session: Session, tenant: Tenant, agencies: dict[str, uuid.UUID], actor: Actor) -> None:
    for code, kinds in ROUTES.items():
        categories.update_category(session, categories.get_category(session, tenant.id, code),
                                   {"agency_ids": [agencies[kind] for kind in kinds]}, actor)


def _roster(session: Session, tenant: Tenant, today: date, actor: Actor) -> None:
    """Three eight-hour shifts (the night one too), two operators and one supervisor on each, every day: a
    forward rotation of two days per shift and two days off."""
    shifts = [roster.create_shift(session, tenant.id, {"name": name, "code": code, "start_time": start,
                                                       "end_time": end, "min_staff": 2}, actor)
              for name, code, start, end in SHIFTS]
    first, last = today + timedelta(ROSTER_DAYS[0]), today + timedelta(ROSTER_DAYS[1])
    for role in (roles.OPERATOR, roles.SUPERVISOR):
        people = tuple(p.user_id for p in roster.roster_people(session, tenant.id, roles=(role,)))
        rotation = generator.Rotation(first, last, tuple(s.id for s in shifts), people)
        generator.apply(session, tenant, rotation, generator.plan(session, tenant, rotation).digest, actor)


def _on_duty(session: Session, tenant: Tenant, first: date, last: date) -> simulator.OnDuty:
    """The e-mails of the operators on duty at an instant, from the roster."""
    clock = coverage.Clock(tenant.time_zone)
    shifts = {shift.id: roster.spec(shift) for shift in roster.list_shifts(session, tenant.id)}
    operators = {p.user_id for p in roster.roster_people(session, tenant.id, roles=(roles.OPERATOR,))}
    emails = dict(session.execute(select(User.id, User.email).where(User.id.in_(operators))).all())
    duties = [duty for duty in roster.duties(session, tenant.id, clock, first, last, shifts) if duty.user_id in emails]

    def on_duty(at: datetime) -> list[str]:
        instant = at.timestamp()
        return sorted(emails[d.user_id] for d in duties if d.start <= instant < d.end)

    return on_duty


def _history(session: Session, tenant: Tenant, secret: str | bytes, now: datetime, history: timedelta,
             public_url: str) -> int:
    """A city's calls through the intake, each answered one classified by its operator, and the most persistent
    false caller (prank or ghost) blocked by a supervisor; how many calls."""
    start = now - history
    on_duty = _on_duty(session, tenant, start.date() - timedelta(1), now.date())
    profile = simulator.PROFILES["city"]
    scenarios = [s for s in simulator.generate(profile, start, now, SEED, on_duty, tenant.time_zone)
                 if s.ended_at < now]
    made = simulator.intake_all(session, tenant.id, simulator.deliveries(scenarios, LINE[0], profile, SEED,
                                                                         imperfect=False), secret)
    operators = _operator_ids(session, tenant)
    for scenario in scenarios:
        if scenario.classification:
            call = made[scenario.call_id]
            calls.classify(session, call, scenario.classification, _actor_of(call, operators))
    _block_the_worst_caller(session, tenant, scenarios, made, now)
    supervisor = find_user_by_email(session, f"supervisor.pekalongan@{DOMAIN}")
    floor = Actor("user", str(supervisor.id), roles.SUPERVISOR, "demo")
    _incidents_of_bursts(session, tenant, scenarios, made, now, floor, public_url)
    _callbacks_made(session, tenant, now, floor)
    return len(made)


def _incidents_of_bursts(session: Session, tenant: Tenant, scenarios, made: dict, now: datetime, actor: Actor,
                         public_url: str) -> None:
    """Each burst of emergency calls (many callers, one event) became one incident, and so did each lone emergency
    call; each was dispatched (`_dispatched`)."""
    rng = random.Random(SEED)
    bursts = defaultdict(list)
    for scenario in scenarios:
        if scenario.answered and scenario.classification == "emergency":
            bursts[scenario.burst if scenario.burst is not None else scenario.call_id].append(made[scenario.call_id])
    for group in bursts.values():
        category, summary = rng.choice(BURST_INCIDENTS if len(group) > 1 else SINGLE_INCIDENTS)
        first, *others = sorted(group, key=lambda call: call.offered_at)
        calls.update_call(session, first, {"category": category}, actor)
        incident = calls.open_from_call(session, tenant, first, {"summary": summary, "priority": "urgent"}, actor)
        for call in others:
            calls.update_call(session, call, {"category": category, "incident_id": incident.id}, actor)
        answered = first.answered_at or first.offered_at
        incident.created_at = answered + timedelta(minutes=1)  # opened while the first caller spoke
        _dispatched(session, tenant, incident, answered, now, actor, public_url)


def _dispatched(session: Session, tenant: Tenant, incident, answered: datetime, now: datetime, actor: Actor,
                public_url: str) -> None:
    """The incident went to the agencies its category proposes two minutes after the call was answered. Those of
    more than six hours ago were acknowledged, reported on and done (the police signed in, the others through
    their e-mailed link), which closed them; of the recent ones the police acknowledged, the others have not yet:
    the sweep escalates them as soon as `up` runs."""
    from .dispatch import service as dispatch
    from .dispatch.links import link_actor
    from .dispatch.models import DispatchLink, Escalation

    agencies = [agency.id for agency in dispatch.proposed_agencies(session, tenant.id, incident)]
    if not agencies:
        return
    sent_at, done = answered + timedelta(minutes=2), answered < now - timedelta(hours=6)
    responder = find_user_by_email(session, f"polres.pekalongan@{DOMAIN}")
    for item in dispatch.send(session, tenant, incident, {"agency_ids": agencies}, actor, public_url):
        session.execute(update(Escalation).where(Escalation.dispatch_id == item.id)
                        .values(due_at=Escalation.due_at - (item.sent_at - sent_at)))
        item.sent_at = sent_at
        kind = item.agency.kind
        if kind != "police" and not done:
            continue
        who = (Actor("user", str(responder.id), roles.AGENCY_RESPONDER, "demo") if kind == "police" else
               link_actor(session.scalar(select(DispatchLink).where(DispatchLink.dispatch_id == item.id))))
        dispatch.act(session, item, "acknowledge", {}, who, public_url)
        item.acknowledged_at = sent_at + timedelta(minutes=4)
        if done:
            dispatch.act(session, item, "report", {"text": REPORTS.get(kind, "Penanganan selesai.")}, who, public_url)
            dispatch.act(session, item, "done", {}, who, public_url)
            item.reported_at, item.done_at = sent_at + timedelta(minutes=50), sent_at + timedelta(minutes=55)
    if done:
        incident.closed_at = sent_at + timedelta(minutes=55)
    session.flush()


def _callbacks_made(session: Session, tenant: Tenant, now: datetime, actor: Actor) -> None:
    """The earlier shifts rang back their dropped and silent calls; those of the last two hours are still to do."""
    rng = random.Random(SEED)
    for callback, offered_at in session.execute(
            select(Callback, Call.offered_at).join(Call, (Call.tenant_id == Callback.tenant_id)
                                                          & (Call.id == Callback.call_id))
            .where(Callback.tenant_id == tenant.id, Callback.done_at.is_(None))).all():
        if offered_at < now - timedelta(hours=2):
            calls.record_callback(session, callback, rng.choice(CALLBACK_OUTCOMES), None, actor)


def _operator_ids(session: Session, tenant: Tenant) -> set[uuid.UUID]:
    return {p.user_id for p in roster.roster_people(session, tenant.id, roles=(roles.OPERATOR,))}


def _actor_of(call, operators: set[uuid.UUID]) -> Actor:
    if call.operator_id in operators:
        return Actor("user", str(call.operator_id), roles.OPERATOR, "demo")
    return Actor.system("demo")


def _block_the_worst_caller(session: Session, tenant: Tenant, scenarios, made: dict, now: datetime) -> None:
    recent = [s for s in scenarios if s.classification in simulator.FALSE_KINDS
              and s.offered_at > now - timedelta(days=1) and s.caller and s.caller.startswith("+")]
    counts = Counter(s.caller for s in recent)
    if not counts or counts.most_common(1)[0][1] < 3:
        return
    worst = counts.most_common(1)[0][0]
    last_call = made[max((s for s in recent if s.caller == worst), key=lambda s: s.offered_at).call_id]
    supervisor = find_user_by_email(session, f"supervisor.pekalongan@{DOMAIN}")
    calls.block_caller(session, last_call, BLOCK_REASON, calls.DEFAULT_BLOCK_HOURS,
                       Actor("user", str(supervisor.id), roles.SUPERVISOR, "demo"))
