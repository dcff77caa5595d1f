"""Dispatch (W2 4/6): the escalation sweep over 20,000 open dispatches in 514 regions, due step → e-mail handed to
SMTP, and one agency's page with 500 dispatches.

Sets up a fresh embedded PostgreSQL with every one of the 514 regions as a tenant (`create_tenant`), and by COPY
per tenant four agencies with an e-mail address, two supervisors and a regional admin (no roster: the supervisor
step tells every supervisor), and --dispatches dispatches in all (status sent, each for its own incident, status
dispatched) with their three escalation steps of the national default (5, 10, 20 minutes after sending). One
agency of the first tenant holds --agency-dispatches of them; the rest go round the tenants and their agencies.
The dispatches were sent 6, 12 or 25 minutes (and up to a minute more, so that due times interleave across the
regions) before the bench's moment T (three in four, one in five, one in twenty): at T the first step of every
dispatch is due, the second of a quarter and the third of a twentieth — a known number of due steps (1.3 per
dispatch), as after a worker was down for a while. Set-up is reported apart.
Then, as the runtime role under row-level security:

  * the sweep (`service.sweep` in a platform-context transaction, as tenants/dispatch/jobs.py runs it, with
    now=T and batches of --batch), repeated until none is due: steps fired per second, batch ms (the sweep call,
    and the whole transaction with its commit and the enqueue of its mail to rq after the commit), SQL
    statements per batch and where their time goes; checked: every due step fired once (escalations.fired_at,
    outgoing_mail, dispatch_links and dispatch.escalate audit rows against what the steps must give); meanwhile a
    thread writes one audited change in one region every 0.2 s and times it (the region's audit chain is locked
    by whichever transaction appends to it, until that commits);
  * the same due steps again (the fired marks, mail and links reset by SQL) with 2 sweepers in 2 threads at once
    (SKIP LOCKED): total fired against due, batches that failed (a deadlock, a lock timeout) and were retried by
    the next sweep, and the same checks;
  * GET /tenants/<slug>/agency (test client, signed in as an agency_responder of the agency with the 500 open
    dispatches) and GET /api/v1/tenants/<slug>/dispatches?open=true (bearer token; the default page of 50, and
    page_size=500): ms min/median/max over --repeats, KB, SQL statements per request, dispatches shown; with
    the page's loads alone (the dispatches; their incidents in one query, and one at a time as before);
  * due → SMTP: the steps left pending are cancelled, then `siaga112 worker` and `siaga112 cron` (the real rq
    processes: cron enqueues the sweep every 10 s, the worker runs it and sends the mail through SIAGA_SMTP_URL)
    against an aiosmtpd sink on 127.0.0.1, and --mail-steps new steps due over the next --mail-spread s (each its
    own dispatch: the reminder for 70 %, the supervisor step for 20 %, the admin step for 10 %): for each e-mail
    the sink's clock at the end of DATA minus its step's due_at (matched by the incident number in the subject):
    p50/p99/max s, and how many never arrived within --mail-wait s of the last due time; split at the moment the
    sweep that fired the step began (escalations.fired_at), with rq's own figures per job function (ms queued,
    ms running, failures and their error).

Every measured part reports `other cores` (benchlib.CpuMeter: the CPU of processes outside the bench and its
servers); --quiet-wait S waits up to S s for a quiet machine before each part.

    .venv/bin/python tests/bench/dispatch.py [--tenants 514] [--dispatches 20000] [--repeats 20] [--batch 100]
                                                  [--agency-dispatches 500] [--mail-steps 120] [--mail-spread 60]
                                                  [--mail-wait 90] [--sweep-bound 900] [--quiet-wait 0]
                                                  [--quick] [--json-only]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import statistics
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench_coverage import databases, timed
from benchlib import (CLOCK_TICKS, LOOPBACK, SIAGA112, CpuMeter, emit, free_port, fresh_data_dir, log, machine,
                      print_table, process_ticks, related_processes, siaga_env, stop_tree, tail, wait_for_quiet)
from onboarding import Statements
from onboarding_data import Writer, create_tenants

from siaga112.tenants.dispatch.escalation import SWEEP_BATCH

PUBLIC_URL = "http://siaga112.bench"
AGENCIES = (("Polres", "police"), ("Dinas Pemadam Kebakaran", "fire"), ("PSC 119", "medical"), ("BPBD", "disaster"))
SUPERVISORS, ADMINS = 2, 1  # per tenant: whom steps 2 and 3 tell
STEPS = ((5, "agency_again"), (10, "supervisor_on_duty"), (20, "regional_admin"))  # the national default
MAILS_PER_STEP = {"agency_again": 1, "supervisor_on_duty": SUPERVISORS, "regional_admin": ADMINS}
# Of every 20 dispatches: 15 sent 6 minutes before T (step 1 due), 4 sent 12 minutes before (steps 1-2), 1 sent 25
# minutes before (all three).
AGE_MINUTES = (6,) * 15 + (12,) * 4 + (25,)
MAIL_POSITIONS = (1,) * 7 + (2,) * 2 + (3,)  # the step due in the SMTP part: 70 % reminders, 20 % supervisors …
NUMBER = re.compile(r"MAIL-\d{3}-\d{5}")
READY_TIMEOUT = 120.0
QUICK = {"tenants": 20, "dispatches": 2000, "repeats": 3, "mail_steps": 40, "mail_spread": 20, "mail_wait": 60}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def spread(values: list[float], digits: int = 1) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "min": round(min(values), digits), "median": round(statistics.median(values), digits),
            "p95": round(percentile(values, 0.95), digits), "max": round(max(values), digits)}


class DispatchWriter(Writer):
    """Rows per table for COPY, in an order the foreign keys accept (agencies before the responders' memberships)."""

    COLUMNS = {
        "users": ("id", "email", "name"),
        "agencies": ("id", "tenant_id", "name", "kind", "affiliation", "active", "email"),
        "memberships": ("id", "tenant_id", "user_id", "role"),
        "incidents": ("id", "tenant_id", "number", "summary", "status", "priority", "location_text", "created_at",
                      "updated_at"),
        "dispatches": ("id", "tenant_id", "incident_id", "agency_id", "status", "channel", "sent_at", "updated_at"),
        "escalations": ("id", "tenant_id", "dispatch_id", "agency_id", "position", "action", "due_at", "fired_at",
                        "notified"),
    }

    def dispatch(self, tenant_id, agency_id, number: str, sent_at: datetime, summary: str) -> uuid.UUID:
        incident_id, dispatch_id = uuid.uuid4(), uuid.uuid4()
        self.add("incidents", incident_id, tenant_id, number, summary, "dispatched", "high", "Jl. Merdeka 112",
                 sent_at - timedelta(minutes=2), sent_at)
        self.add("dispatches", dispatch_id, tenant_id, incident_id, agency_id, "sent", "platform", sent_at, sent_at)
        return dispatch_id


# --- set-up ----------------------------------------------------------------------------------------------------

def populate(owner, urls, tenant_count: int, dispatch_count: int, agency_dispatches: int) -> dict:
    """Tenants (create_tenant), then agencies, people, incidents, dispatches and steps by COPY. Returns what the
    checks need: the moment T, the due steps by action, the showcase tenant and agency, per-tenant people."""
    from sqlalchemy import text

    from siaga112.platform.tenancy.context import PLATFORM
    from siaga112.tenants.directory.models import affiliation_for

    timings = {}
    started = time.perf_counter()
    tenants, _all_regions = create_tenants(owner, tenant_count)
    with owner.transaction(PLATFORM) as session:
        # The bench's tenant.created events are not its subject: marked relayed, so that the worker started below
        # does not seed 514 tenants' categories in the middle of the SMTP measurement.
        session.execute(text("UPDATE outbox SET relayed_at = now(), processed_at = now() WHERE relayed_at IS NULL"))
    timings["create_tenants"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    moment = datetime.now(timezone.utc).replace(microsecond=0)
    writer = DispatchWriter()
    agencies: dict[uuid.UUID, list[uuid.UUID]] = {}
    for index, (tenant_id, code, region) in enumerate(tenants):
        for prefix, kind in AGENCIES:
            agency_id = uuid.uuid4()
            label = prefix.split()[-1].lower()
            writer.add("agencies", agency_id, tenant_id, f"{prefix} {region}", kind, affiliation_for(kind), True,
                       f"{label}.{code}@bench.siaga112.id")
            agencies.setdefault(tenant_id, []).append(agency_id)
        for role, label, count in (("supervisor", "spv", SUPERVISORS), ("regional_admin", "admin", ADMINS)):
            for n in range(count):
                user_id = uuid.uuid4()
                writer.add("users", user_id, f"{label}{n}.{code}@bench.siaga112.id", f"{label.title()} {n} {region}")
                writer.add("memberships", uuid.uuid4(), tenant_id, user_id, role)
    showcase_tenant, showcase_code, _name = tenants[0]
    showcase_agency = agencies[showcase_tenant][1]  # the fire brigade of the first region
    placements = [(showcase_tenant, 0, showcase_agency)] * agency_dispatches
    rest = dispatch_count - agency_dispatches
    for n in range(rest):  # round the tenants, then round each one's agencies
        tenant_index = n % len(tenants)
        tenant_id = tenants[tenant_index][0]
        placements.append((tenant_id, tenant_index, agencies[tenant_id][(n // len(tenants)) % len(AGENCIES)]))
    due = Counter()
    serial = Counter()
    index_of = {tenant_id: index for index, (tenant_id, _c, _n) in enumerate(tenants)}
    for n, (tenant_id, _index, agency_id) in enumerate(placements):
        age = AGE_MINUTES[n % len(AGE_MINUTES)]
        # Spread over the minute before: due times interleave across regions, as real ones would.
        sent_at = moment - timedelta(minutes=age, seconds=(n * 7919 % 60000) / 1000)
        serial[tenant_id] += 1
        number = f"B{index_of[tenant_id]:03d}-2026-{serial[tenant_id]:06d}"
        dispatch_id = writer.dispatch(tenant_id, agency_id, number, sent_at, "Kebakaran rumah warga, dua lantai")
        for position, (after, action) in enumerate(STEPS, start=1):
            due_at = sent_at + timedelta(minutes=after)
            writer.add("escalations", uuid.uuid4(), tenant_id, dispatch_id, agency_id, position, action, due_at,
                       None, None)
            if due_at <= moment:
                due[action] += 1
    timings["generate_rows"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    rows = writer.copy(urls.admin)
    timings["copy"] = round(time.perf_counter() - started, 2)
    return {"moment": moment, "due": due, "tenants": tenants, "agencies": agencies, "rows": dict(rows),
            "showcase": (showcase_tenant, showcase_code, showcase_agency), "timings_s": timings}


# --- checks (as the server's superuser: every row, whatever its tenant) ----------------------------------------

def counts(admin_url: str) -> dict:
    import psycopg

    with psycopg.connect(admin_url) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {"fired": one("SELECT count(*) FROM escalations WHERE fired_at IS NOT NULL"),
                "mails": one("SELECT count(*) FROM outgoing_mail"),
                "links": one("SELECT count(*) FROM dispatch_links"),
                "escalate_audit": one("SELECT count(*) FROM audit_log WHERE action = 'dispatch.escalate'"),
                "fired_by_action": dict(conn.execute("SELECT action, count(*) FROM escalations "
                                                     "WHERE fired_at IS NOT NULL GROUP BY action").fetchall())}


def pending_due(admin_url: str, moment: datetime) -> int:
    import psycopg

    with psycopg.connect(admin_url) as conn:
        return conn.execute("SELECT count(*) FROM escalations WHERE fired_at IS NULL AND cancelled_at IS NULL "
                            "AND due_at <= %s", (moment,)).fetchone()[0]


def verdict(before: dict, after: dict, due: Counter, returned: int) -> dict:
    """What a run of the sweep(s) gave against what the due steps must give: each fired once, its mail once."""
    expected_mails = sum(MAILS_PER_STEP[action] * n for action, n in due.items())
    got = {"returned_fired": returned, "fired_rows": after["fired"] - before["fired"],
           "mails": after["mails"] - before["mails"], "links": after["links"] - before["links"],
           "escalate_audit": after["escalate_audit"] - before["escalate_audit"]}
    want = {"returned_fired": sum(due.values()), "fired_rows": sum(due.values()), "mails": expected_mails,
            "links": due["agency_again"], "escalate_audit": sum(due.values())}
    return {"got": got, "expected": want, "ok": got == want}


def reset_fired(admin_url: str) -> None:
    """Make the same steps due again: fired marks cleared, their mail and links gone (audit rows stay)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("UPDATE escalations SET fired_at = NULL, notified = NULL WHERE fired_at IS NOT NULL")
        conn.execute("DELETE FROM outgoing_mail")
        conn.execute("DELETE FROM dispatch_links")
        conn.execute("VACUUM ANALYZE escalations, outgoing_mail, dispatch_links, audit_log, audit_heads")


def flush_redis(redis_url: str) -> None:
    """The mail jobs the in-process sweeps enqueued (nobody sends them): gone before the next part."""
    from siaga112.platform.jobs.queues import redis_connection

    redis_connection(redis_url).flushall()


# --- the sweep -------------------------------------------------------------------------------------------------

class StatementTimes:
    """Time per kind of SQL statement (its verb and table), from SQLAlchemy's cursor events."""

    LABEL = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s+(?:.*?\bFROM\s+)?(\w+)", re.S | re.I)

    def __init__(self, engine):
        from sqlalchemy import event

        self.enabled = False
        self.ms: dict[str, float] = defaultdict(float)
        self.n: Counter = Counter()
        self._started = threading.local()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    @classmethod
    def label(cls, statement: str) -> str:
        if "pg_advisory_xact_lock" in statement:
            return "SELECT pg_advisory_xact_lock (audit chain)"
        if "set_config" in statement:
            return "SELECT set_config (context)"
        if "FOR UPDATE" in statement and "escalations" in statement:
            return "SELECT due escalations FOR UPDATE SKIP LOCKED"
        found = cls.LABEL.match(statement)
        return f"{found.group(1).upper()} {found.group(2)}" if found else statement.split(None, 1)[0][:30]

    def _before(self, conn, cursor, statement, *_args) -> None:
        self._started.at = time.perf_counter()

    def _after(self, conn, cursor, statement, *_args) -> None:
        if self.enabled:
            label = self.label(statement)
            self.ms[label] += (time.perf_counter() - self._started.at) * 1000
            self.n[label] += 1


class AuditProbe:
    """An audited change in one region every `every` s from a thread of its own (one entry in the region's audit
    chain, as an operator's change writes), timed: how long the chain's lock keeps it waiting while sweeps run."""

    def __init__(self, urls, tenant_id: uuid.UUID, every: float = 0.2):
        from siaga112.platform.db import Database

        self.database = Database(urls.runtime, pool_size=1)
        self.tenant_id, self.every = tenant_id, every
        self.stop = threading.Event()
        self.during: list[float] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def once(self) -> float:
        from siaga112.platform.audit.service import Actor, record
        from siaga112.platform.tenancy.context import TenantContext

        begun = time.perf_counter()
        with self.database.transaction(TenantContext(self.tenant_id)) as session:
            record(session, Actor.system("bench-probe"), "bench.probe", "tenant", self.tenant_id,
                   tenant_id=self.tenant_id)
        return (time.perf_counter() - begun) * 1000

    def _loop(self) -> None:
        while not self.stop.is_set():
            self.during.append(self.once())
            self.stop.wait(self.every)

    def __enter__(self) -> "AuditProbe":
        self.alone = [self.once() for _ in range(20)]
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        self.database.dispose()

    def result(self) -> dict:
        return {"every_s": self.every, "alone_ms": spread(self.alone, 1), "during_sweeps_ms": spread(self.during, 1)}


def one_sweeper(runtime, statements: Statements, moment: datetime, batch: int, deadline: float) -> dict:
    """Sweeps one after another until one fires nothing (as the 10-second job would, back to back)."""
    from siaga112.platform.tenancy.context import PLATFORM
    from siaga112.tenants.dispatch import service

    times = StatementTimes(runtime.engine)
    sweep_ms, transaction_ms, sent, fired_counts = [], [], [], []
    total_started = time.perf_counter()
    times.enabled = True
    while time.perf_counter() < deadline:
        begun = time.perf_counter()
        before = statements.count
        with runtime.transaction(PLATFORM) as session:
            elapsed, fired = timed(service.sweep, session, PUBLIC_URL, moment, batch)
            in_batch = statements.count - before
        whole = (time.perf_counter() - begun) * 1000
        if not fired:
            empty = {"ms": round(whole, 1), "statements": in_batch}
            break
        sweep_ms.append(elapsed)
        transaction_ms.append(whole)
        sent.append(in_batch)
        fired_counts.append(fired)
    else:
        empty = None
    times.enabled = False
    total = time.perf_counter() - total_started
    fired = sum(fired_counts)
    sql_ms = sum(times.ms.values())
    return {"batches": len(fired_counts), "fired": fired, "total_s": round(total, 2),
            "steps_per_s": round(fired / total, 1) if total else None,
            "sweep_ms": spread(sweep_ms), "transaction_ms": spread(transaction_ms),
            "commit_and_enqueue_ms": spread([t - s for t, s in zip(transaction_ms, sweep_ms)]),
            "statements_per_batch": spread(sent, 0),
            "statements_per_step": round(sum(sent) / fired, 2) if fired else None,
            "last_empty_sweep": empty, "timed_out": empty is None,
            "sql_ms_total": round(sql_ms), "python_and_redis_ms_total": round(total * 1000 - sql_ms),
            "sql_by_kind": {label: {"n": times.n[label], "ms": round(ms), "ms_per": round(ms / times.n[label], 3)}
                            for label, ms in sorted(times.ms.items(), key=lambda item: -item[1])}}


def two_sweepers(urls, moment: datetime, batch: int, deadline: float) -> dict:
    """Two threads, each sweeping back to back until its sweep fires nothing; a failed batch (rolled back whole)
    is counted and the thread sweeps again, as the next 10-second job would."""
    from sqlalchemy.exc import DBAPIError

    from siaga112.platform.db import Database
    from siaga112.platform.tenancy.context import PLATFORM
    from siaga112.tenants.dispatch import service

    database = Database(urls.runtime, pool_size=2)
    barrier = threading.Barrier(2)
    per_thread = [{"fired": 0, "batches": 0, "failed": Counter(), "batch_ms": [], "failed_ms": []} for _ in range(2)]

    def sweeper(mine: dict) -> None:
        barrier.wait(timeout=30)
        while time.perf_counter() < deadline:
            begun = time.perf_counter()
            try:
                with database.transaction(PLATFORM) as session:
                    fired = service.sweep(session, PUBLIC_URL, moment, batch)
            except DBAPIError as error:
                mine["failed"][type(error.orig).__name__] += 1
                diag = getattr(error.orig, "diag", None)
                if diag is not None and not mine.get("detail"):
                    mine["detail"] = " ".join(filter(None, (diag.message_primary, diag.message_detail,
                                                            diag.context)))[:1200]
                mine["failed_ms"].append((time.perf_counter() - begun) * 1000)
                continue
            if not fired:
                return
            mine["batch_ms"].append((time.perf_counter() - begun) * 1000)
            mine["batches"] += 1
            mine["fired"] += fired

    threads = [threading.Thread(target=sweeper, args=(mine,), daemon=True) for mine in per_thread]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.perf_counter() + 30))
    total = time.perf_counter() - started
    database.dispose()
    fired = sum(mine["fired"] for mine in per_thread)
    failed = sum((mine["failed"] for mine in per_thread), Counter())
    return {"threads": 2, "fired": fired, "total_s": round(total, 2), "steps_per_s": round(fired / total, 1),
            "fired_per_thread": [mine["fired"] for mine in per_thread],
            "batches_per_thread": [mine["batches"] for mine in per_thread],
            "batch_ms": spread([ms for mine in per_thread for ms in mine["batch_ms"]]),
            "failed_batches": dict(failed),
            "failed_batches_s_total": round(sum(ms for mine in per_thread for ms in mine["failed_ms"]) / 1000, 1),
            "failed_batch_ms": spread([ms for mine in per_thread for ms in mine["failed_ms"]]),
            "first_failure": next((mine["detail"] for mine in per_thread if mine.get("detail")), None),
            "still_running": [thread.is_alive() for thread in threads]}


def postgres_of(data_dir) -> set:
    """The embedded PostgreSQL's processes (the postmaster's command line names the data dir; its backends are its
    children) and this process's children (the worker and cron, while they run) — the servers."""
    import os

    return {p for p in related_processes(os.getpid(), str(data_dir / "pg")) if p.pid != os.getpid()}


def reaped_ticks(procs) -> int:
    """What the children of `procs` used and exited with (their parents' cutime + cstime), in clock ticks."""
    return process_ticks(procs, columns=(13, 14))


class Meter(CpuMeter):
    """benchlib's CpuMeter, also counting the servers' children that came and went meanwhile (rq's work horses, one
    per job; the PostgreSQL backends of connections closed before the reading) as the servers', not as others'."""

    def __init__(self, procs: set):
        super().__init__(procs)
        self.reaped = reaped_ticks(procs)

    def read(self, started_since=frozenset()) -> dict:
        found = super().read(started_since)
        scale = CLOCK_TICKS * (time.monotonic() - self.started[0])
        extra = (reaped_ticks(self.procs) - self.reaped + reaped_ticks(started_since)) / scale
        return {"server_cores": round(found["server_cores"] + extra, 2),
                "other_cores": round(max(0.0, found["other_cores"] - extra), 2)}


def meter_read(meter: CpuMeter, data_dir) -> dict:
    return meter.read(started_since=postgres_of(data_dir) - meter.procs)


# --- the agency's page and the API -----------------------------------------------------------------------------

def responder(runtime, tenant_id, agency_id) -> tuple:
    from siaga112.platform.identity.service import create_user, grant_role
    from siaga112.platform.identity.tokens import issue_access_token
    from siaga112.platform.tenancy.context import PLATFORM
    from siaga112.platform.tenancy.models import Tenant

    with runtime.transaction(PLATFORM) as session:
        user = create_user(session, f"responder-{uuid.uuid4().hex[:6]}@bench.siaga112.id", "Petugas Damkar")
        grant_role(session, user, "agency_responder", tenant_id, agency_id=agency_id)
        return user.id, issue_access_token(session, user), session.get(Tenant, tenant_id).slug


def page_loads_alone(runtime, tenant_id, agency_id, repeats: int, statements: Statements) -> dict:
    """What the page's view loads, in the responder's agency context: the dispatches, then their incidents — in one
    query (`service.incidents_of`) where the service has it, and one incident at a time (`incident_of`, what the
    page did before) for comparison."""
    from siaga112.platform.tenancy.context import AgencyContext
    from siaga112.tenants.dispatch import service

    loads = {"agency_dispatches": lambda session, dispatches: service.agency_dispatches(session, tenant_id, None)}
    if hasattr(service, "incidents_of"):
        loads["incidents_of (one query)"] = lambda session, dispatches: service.incidents_of(session, tenant_id,
                                                                                              dispatches)
    loads["incident_of each"] = lambda session, dispatches: {d.incident_id: service.incident_of(session, d)
                                                             for d in dispatches}
    times = {name: [] for name in loads}
    sent, rows = {}, {}
    for _ in range(repeats):
        for name, load in loads.items():  # each in a transaction of its own: no identity map shared between them
            with runtime.transaction(AgencyContext(tenant_id, (agency_id,))) as session:
                dispatches = service.agency_dispatches(session, tenant_id, None)
                elapsed, found, sent[name] = statements.during(load, session, dispatches)
            times[name].append(elapsed)
            rows[name] = len(found)
    return {name: {"ms": spread(times[name], 2), "statements": sent[name], "rows": rows[name]} for name in loads}


def through_the_app(data_dir, redis_url: str, user_id, token: str, slug: str, repeats: int) -> dict:
    from siaga112.platform.app import create_app
    from siaga112.platform.db import app_database

    env = siaga_env(data_dir, SIAGA_REDIS_URL=redis_url, SIAGA_LOG_LEVEL="WARNING")
    app = create_app({k: v for k, v in env.items() if k.startswith("SIAGA_")})
    statements = Statements(app_database(app).engine)
    client = app.test_client()
    with client.session_transaction() as browser_session:
        browser_session["user_id"] = str(user_id)
    bearer = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    cases = (("GET /tenants/<slug>/agency (page)", f"/tenants/{slug}/agency", {"Accept": "text/html"}, "html"),
             ("GET /api/v1/…/dispatches?open=true (page of 50)", f"/api/v1/tenants/{slug}/dispatches?open=true",
              bearer, "json"),
             ("GET /api/v1/…/dispatches?open=true&page_size=500",
              f"/api/v1/tenants/{slug}/dispatches?open=true&page_size=500", bearer, "json"))
    results = {}
    for name, path, headers, kind in cases:
        response = client.get(path, headers=headers)  # warm-up: the first request imports and compiles
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
    for _ in range(repeats):  # in turn, so that a drift of the machine hits all alike
        for name, path, headers, kind in cases:
            elapsed, response, sent = statements.during(lambda: client.get(path, headers=headers))
            assert response.status_code == 200, (path, response.status_code)
            entry = results.setdefault(name, {"times": []})
            entry["times"].append(elapsed)
            shown = (response.data.count(b'data-dispatch="') if kind == "html" else len(response.get_json()))
            entry.update(kb=round(len(response.data) / 1024, 1), statements=sent, shown=shown)
    return {name: {"ms": spread(entry.pop("times"), 1), **entry} for name, entry in results.items()}


# --- due → SMTP ------------------------------------------------------------------------------------------------

class Sink:
    """aiosmtpd handler: when each message's DATA ended (this machine's clock), its subject and recipients."""

    def __init__(self):
        self.received: list[tuple[float, bytes, list[str]]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        at = time.time()
        with self.lock:
            self.received.append((at, envelope.content, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def messages(self) -> list[tuple[float, str, list[str]]]:
        from email import policy
        from email.parser import BytesParser

        with self.lock:
            received = list(self.received)
        return [(at, str(BytesParser(policy=policy.default).parsebytes(content, headersonly=True)["Subject"]), rcpt)
                for at, content, rcpt in received]


def start_job_processes(data_dir, env: dict) -> list[tuple[str, subprocess.Popen]]:
    processes = []
    for name in ("worker", "cron"):
        log_file = open(data_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        processes.append((name, subprocess.Popen([SIAGA112, name], env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                                 stdin=subprocess.DEVNULL, start_new_session=True)))
        log_file.close()
    return processes


def wait_pipeline_ready(redis_url: str, processes, timeout: float) -> float:
    """Until the worker is registered and has finished a job of the default queue (cron's first enqueues, the
    escalation sweep among them, run at its start); seconds waited."""
    from rq import Worker
    from rq.registry import FinishedJobRegistry

    from siaga112.platform.jobs.queues import DEFAULT, redis_connection

    connection = redis_connection(redis_url)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        for name, process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"siaga112 {name} exited with {process.returncode}")
        with contextlib.suppress(Exception):
            if Worker.all(connection=connection) and FinishedJobRegistry(DEFAULT, connection=connection).count:
                return time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError(f"the worker and cron were not running jobs within {timeout:.0f} s")


def mail_steps(admin_url: str, made: dict, count: int, spread_s: float, lead_s: float) -> dict:
    """`count` new dispatches, each with one step due between now + lead_s and now + lead_s + spread_s (the steps
    before it fired, those after it due tomorrow). Returns incident number → (due_at, action, expected mails)."""
    writer = DispatchWriter()
    writer.COLUMNS = {table: columns for table, columns in DispatchWriter.COLUMNS.items()
                      if table in ("incidents", "dispatches", "escalations")}
    writer.rows = {table: [] for table in writer.COLUMNS}
    start = datetime.now(timezone.utc) + timedelta(seconds=lead_s)
    tenants = made["tenants"]
    expected = {}
    for n in range(count):
        tenant_index = n % len(tenants)
        tenant_id = tenants[tenant_index][0]
        agency_id = made["agencies"][tenant_id][n % len(AGENCIES)]
        position = MAIL_POSITIONS[n % len(MAIL_POSITIONS)]
        due_at = start + timedelta(seconds=spread_s * n / max(1, count - 1)) if count > 1 else start
        sent_at = due_at - timedelta(minutes=STEPS[position - 1][0])
        number = f"MAIL-{tenant_index:03d}-{n:05d}"
        dispatch_id = writer.dispatch(tenant_id, agency_id, number, sent_at, "Pohon tumbang menutup jalan")
        for step, (after, action) in enumerate(STEPS, start=1):
            if step < position:
                writer.add("escalations", uuid.uuid4(), tenant_id, dispatch_id, agency_id, step, action,
                           sent_at + timedelta(minutes=after), sent_at + timedelta(minutes=after), 1)
            else:
                writer.add("escalations", uuid.uuid4(), tenant_id, dispatch_id, agency_id, step, action,
                           due_at if step == position else due_at + timedelta(days=1), None, None)
        action = STEPS[position - 1][1]
        expected[number] = (due_at, action, MAILS_PER_STEP[action])
    writer.copy(admin_url)
    return expected


def rq_job_times(redis_url: str) -> dict:
    """Per job function, from rq's registries: how long its jobs waited in the queue and ran (ms), and how many
    failed."""
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from siaga112.platform.jobs.queues import QUEUES, redis_connection

    connection = redis_connection(redis_url)
    waited, ran, failed, errors = defaultdict(list), defaultdict(list), Counter(), {}
    for name in QUEUES:
        for job in Job.fetch_many(FinishedJobRegistry(name, connection=connection).get_job_ids(), connection):
            if job is None or not (job.enqueued_at and job.started_at and job.ended_at):
                continue
            function = job.func_name.rsplit(".", 1)[-1]
            waited[function].append((job.started_at - job.enqueued_at).total_seconds() * 1000)
            ran[function].append((job.ended_at - job.started_at).total_seconds() * 1000)
        for job in Job.fetch_many(FailedJobRegistry(name, connection=connection).get_job_ids(), connection):
            if job is not None:
                function = job.func_name.rsplit(".", 1)[-1]
                failed[function] += 1
                with contextlib.suppress(Exception):
                    result = job.latest_result()
                    errors.setdefault(function, (result.exc_string or "").strip().splitlines()[-1][:300])
    return {function: {"jobs": len(ran[function]), "queued_ms": spread(waited[function], 0),
                       "ran_ms": spread(ran[function], 0), "failed": failed[function],
                       **({"error": errors[function]} if function in errors else {})}
            for function in sorted(set(ran) | set(failed))}


def fired_at_of(admin_url: str, since: datetime) -> dict[str, datetime]:
    """Incident number → when the sweep fired its step (the sweep's `now`, taken as it began), for the SMTP part."""
    import psycopg

    with psycopg.connect(admin_url) as conn:
        return dict(conn.execute(
            "SELECT i.number, e.fired_at FROM escalations e JOIN dispatches d ON d.tenant_id = e.tenant_id AND "
            "d.id = e.dispatch_id JOIN incidents i ON i.tenant_id = d.tenant_id AND i.id = d.incident_id "
            "WHERE i.number LIKE 'MAIL-%%' AND e.fired_at >= %s", (since,)).fetchall())


def forget_gone_handles(data_dir) -> int:
    """rq runs each job in a forked work horse that attaches to the embedded PostgreSQL (pgserver notes its pid in
    pg/.handle_pids.json) and leaves with os._exit, so pgserver never hears it let go and would not stop the server
    at the bench's end (it stops itself a minute after its data dir is gone). Drop the pids of processes gone;
    returns how many."""
    import json
    import os

    path = data_dir / "pg" / ".handle_pids.json"
    with contextlib.suppress(FileNotFoundError, ValueError):
        pids = json.loads(path.read_text())
        alive = [pid for pid in pids if pid == os.getpid() or Path(f"/proc/{pid}").exists()]
        path.write_text(json.dumps(alive))
        return len(pids) - len(alive)
    return 0


def due_to_smtp(data_dir, urls, redis_url: str, made: dict, count: int, spread_s: float, wait_s: float) -> dict:
    """The real pipeline: `siaga112 worker` + `siaga112 cron` against an SMTP sink; delay from due to DATA's end."""
    import psycopg
    from aiosmtpd.controller import Controller

    with psycopg.connect(urls.admin, autocommit=True) as conn:  # nothing of the earlier parts may fire or send now
        cancelled = conn.execute("UPDATE escalations SET cancelled_at = now() WHERE fired_at IS NULL "
                                 "AND cancelled_at IS NULL").rowcount
        conn.execute("UPDATE outgoing_mail SET sent_at = now() WHERE sent_at IS NULL")
        conn.execute("VACUUM ANALYZE escalations, outgoing_mail")
    flush_redis(redis_url)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname=LOOPBACK, port=port)
    controller.start()
    env = siaga_env(data_dir, SIAGA_REDIS_URL=redis_url, SIAGA_SMTP_URL=f"smtp://{LOOPBACK}:{port}",
                    SIAGA_LOG_LEVEL="WARNING", SIAGA_PUBLIC_URL=PUBLIC_URL)
    marker = f"bench-dispatch-{uuid.uuid4().hex}"  # matches no command line: stop_tree takes each process's children
    processes = start_job_processes(data_dir, env)
    leftovers = []
    try:
        ready_s = wait_pipeline_ready(redis_url, processes, READY_TIMEOUT)
        log(f"worker and cron ready in {ready_s:.1f} s; {count} steps due over the next {spread_s:.0f} s")
        servers = set().union(*(related_processes(p.pid, marker) for _n, p in processes)) | postgres_of(data_dir)
        meter = Meter(servers)
        part_started = datetime.now(timezone.utc)
        expected = mail_steps(urls.admin, made, count, spread_s, lead_s=5.0)
        wanted = sum(mails for _due, _action, mails in expected.values())
        last_due = max(due for due, _action, _mails in expected.values()).timestamp()
        while time.time() < last_due + wait_s and len(sink.received) < wanted:
            for name, process in processes:
                if process.poll() is not None:
                    raise RuntimeError(f"siaga112 {name} exited with {process.returncode}:\n"
                                       + tail(data_dir / f"{name}.log"))
            time.sleep(0.25)
        now_running = set().union(*(related_processes(p.pid, marker) for _n, p in processes)) | postgres_of(data_dir)
        cpu = meter.read(started_since=now_running - servers)
        waited_after_last_due = round(time.time() - last_due, 1)
    finally:
        for name, process in processes:
            _exited, _tree, complaints = stop_tree(process, marker, signal.SIGTERM)
            leftovers += complaints
        controller.stop()
        gone_handles = forget_gone_handles(data_dir)
    fired_at = fired_at_of(urls.admin, part_started)
    jobs = rq_job_times(redis_url)
    delays, by_action, unknown, per_number = [], defaultdict(list), 0, Counter()
    to_sweep, after_fire = [], []
    for number, moment in fired_at.items():
        to_sweep.append(moment.timestamp() - expected[number][0].timestamp())
    for at, subject, _rcpt in sink.messages():
        found = NUMBER.search(subject)
        if found is None or found.group(0) not in expected:
            unknown += 1
            continue
        due_at, action, _mails = expected[found.group(0)]
        per_number[found.group(0)] += 1
        delays.append(at - due_at.timestamp())
        by_action[action].append(at - due_at.timestamp())
        if found.group(0) in fired_at:
            after_fire.append(at - fired_at[found.group(0)].timestamp())
    duplicates = sum(max(0, per_number[number] - mails) for number, (_d, _a, mails) in expected.items())
    missing = sum(max(0, mails - per_number[number]) for number, (_d, _a, mails) in expected.items())
    return {"steps": count, "spread_s": spread_s, "mails_expected": wanted, "mails_received": len(delays),
            "missing": missing, "duplicates": duplicates, "unknown_subjects": unknown, "wait_bound_s": wait_s,
            "waited_after_last_due_s": waited_after_last_due, "earlier_steps_cancelled": cancelled,
            "pipeline_ready_s": round(ready_s, 1),
            "delay_s": ({"p50": round(percentile(delays, 0.5), 2), "p99": round(percentile(delays, 0.99), 2),
                         "max": round(max(delays), 2), "min": round(min(delays), 2)} if delays else None),
            "delay_s_by_action": {action: {"n": len(values), "p50": round(percentile(values, 0.5), 2),
                                           "max": round(max(values), 2)}
                                  for action, values in sorted(by_action.items())},
            "due_to_sweep_s": spread(to_sweep, 2), "sweep_to_smtp_s": spread(after_fire, 2),
            "steps_fired": len(fired_at),
            "rq_jobs": jobs, "cpu": cpu, "leftovers": leftovers, "pgserver_handles_of_gone_processes": gone_handles}


def quiet(max_wait: int) -> None:
    if max_wait:
        log(f"waiting up to {max_wait} s for a quiet machine")
        log(f"other processes use {wait_for_quiet(max_wait):.2f} cores")


# --- the bench -------------------------------------------------------------------------------------------------

def measure(args) -> dict:
    from siaga112.platform.app import import_models, load_contexts
    from siaga112.platform.embedded import EmbeddedRedis

    with fresh_data_dir("siaga-bench-dispatch-") as data_dir, databases(data_dir) as (owner, runtime, urls):
        import os

        redis_server = EmbeddedRedis(data_dir)
        redis_url = redis_server.start()
        os.environ["SIAGA_REDIS_URL"] = redis_url  # the after-commit enqueue and push outside a Flask app read it
        os.environ["SIAGA_LOG_LEVEL"] = "WARNING"
        try:
            import_models()
            load_contexts()
            log(f"populating {args.tenants} tenants, {args.dispatches} dispatches ({args.agency_dispatches} for one "
                "agency) with their escalation steps")
            started = time.perf_counter()
            made = populate(owner, urls, args.tenants, args.dispatches, args.agency_dispatches)
            setup_s = round(time.perf_counter() - started, 1)
            due, moment = made["due"], made["moment"]
            log(f"set up in {setup_s} s; {sum(due.values())} steps due at T; one sweeper, batches of {args.batch}")
            statements = Statements(runtime.engine)
            before = counts(urls.admin)
            probe_tenant = made["tenants"][min(1, len(made["tenants"]) - 1)][0]
            quiet(args.quiet_wait)
            meter = Meter(postgres_of(data_dir))
            with AuditProbe(urls, probe_tenant) as probe:
                single = one_sweeper(runtime, statements, moment, args.batch, time.perf_counter() + args.sweep_bound)
            single["cpu"] = meter_read(meter, data_dir)
            single["audit_probe"] = probe.result()
            single["pending_due_after"] = pending_due(urls.admin, moment)
            single["check"] = verdict(before, counts(urls.admin), due, single["fired"])
            log(f"one sweeper: {single['fired']} fired in {single['total_s']} s; check ok: {single['check']['ok']}")

            reset_fired(urls.admin)
            flush_redis(redis_url)
            log("two sweepers at once, the same due steps again")
            before = counts(urls.admin)
            quiet(args.quiet_wait)
            meter = Meter(postgres_of(data_dir))
            double = two_sweepers(urls, moment, args.batch, time.perf_counter() + args.sweep_bound)
            double["cpu"] = meter_read(meter, data_dir)
            double["pending_due_after"] = pending_due(urls.admin, moment)
            double["check"] = verdict(before, counts(urls.admin), due, double["fired"])
            log(f"two sweepers: {double['fired']} fired in {double['total_s']} s, failed batches "
                f"{double['failed_batches']}; check ok: {double['check']['ok']}")
            flush_redis(redis_url)

            tenant_id, code, agency_id = made["showcase"]
            log(f"the agency page ({args.agency_dispatches} open dispatches), {args.repeats} repeats")
            user_id, token, slug = responder(runtime, tenant_id, agency_id)
            quiet(args.quiet_wait)
            meter = Meter(postgres_of(data_dir))
            loads = page_loads_alone(runtime, tenant_id, agency_id, args.repeats, statements)
            pages = through_the_app(data_dir, redis_url, user_id, token, slug, args.repeats)
            page_cpu = meter_read(meter, data_dir)

            log("due -> SMTP through siaga112 worker and cron")
            quiet(args.quiet_wait)
            smtp = due_to_smtp(data_dir, urls, redis_url, made, args.mail_steps, args.mail_spread, args.mail_wait)
            log(f"SMTP: {smtp['mails_received']} of {smtp['mails_expected']} mails, delay {smtp['delay_s']}")
        finally:
            redis_server.stop()
    return {"bench": "dispatch", "machine": machine(), "tenants": args.tenants, "dispatches": args.dispatches,
            "batch": args.batch, "repeats": args.repeats, "setup_s": setup_s, "setup_parts_s": made["timings_s"],
            "rows_loaded": made["rows"], "due_at_T": dict(due), "due_total": sum(due.values()),
            "expected_mails": sum(MAILS_PER_STEP[a] * n for a, n in due.items()),
            "one_sweeper": single, "two_sweepers": double,
            "agency": {"region": code, "slug": slug, "open_dispatches": args.agency_dispatches, "loads_alone": loads,
                       "requests": pages, "cpu": page_cpu},
            "due_to_smtp": smtp}


def table(result: dict) -> None:
    one, two = result["one_sweeper"], result["two_sweepers"]
    rows = [["1 sweeper", one["fired"], one["batches"], one["total_s"], one["steps_per_s"],
             one["transaction_ms"].get("median"), one["transaction_ms"].get("p95"), one["transaction_ms"].get("max"),
             one["statements_per_batch"].get("median"), one["check"]["ok"], one["cpu"]["other_cores"]],
            ["2 sweepers (threads)", two["fired"], "+".join(map(str, two["batches_per_thread"])), two["total_s"],
             two["steps_per_s"], two["batch_ms"].get("median"), two["batch_ms"].get("p95"), two["batch_ms"].get("max"),
             "", two["check"]["ok"], two["cpu"]["other_cores"]]]
    print_table(f"escalation sweep: {result['due_total']} due steps ({result['due_at_T']}) of {result['dispatches']} "
                f"open dispatches in {result['tenants']} regions, batches of {result['batch']} (runtime role, platform "
                "context)", ["run", "fired", "batches", "total s", "steps/s", "batch ms median", "p95", "max",
                             "SQL stmts/batch", "each once", "other cores"], rows)
    print(f"  1 sweeper: sweep call median {one['sweep_ms'].get('median')} ms, commit + enqueue to rq median "
          f"{one['commit_and_enqueue_ms'].get('median')} ms; {one['statements_per_step']} SQL statements per step; "
          f"SQL {one['sql_ms_total']} ms of {round(one['total_s'] * 1000)} ms")
    top = list(one["sql_by_kind"].items())[:8]
    print("  SQL time by kind: " + "; ".join(f"{label} {entry['n']}× {entry['ms']} ms" for label, entry in top))
    probe = one.get("audit_probe")
    if probe:
        print(f"  an audited change in one region every {probe['every_s']} s meanwhile (its audit chain's lock): alone "
              f"median {probe['alone_ms'].get('median')} ms; during the sweeps median "
              f"{probe['during_sweeps_ms'].get('median')}, p95 {probe['during_sweeps_ms'].get('p95')}, max "
              f"{probe['during_sweeps_ms'].get('max')} ms (n {probe['during_sweeps_ms'].get('n')})")
    print(f"  2 sweepers: fired per thread {two['fired_per_thread']}, failed batches (rolled back, swept again) "
          f"{two['failed_batches'] or 'none'} ({two['failed_batches_s_total']} s in all), failed batch ms "
          f"{two['failed_batch_ms']}")
    if two.get("first_failure"):
        print(f"  first failure: {two['first_failure'][:400]}")
    for name, run in (("1 sweeper", one), ("2 sweepers", two)):
        check = run["check"]
        print(f"  {name} check: got {check['got']}, expected {check['expected']}; still due after: "
              f"{run['pending_due_after']}")
    agency = result["agency"]
    rows = [[name, r["ms"]["n"], r["ms"]["min"], r["ms"]["median"], r["ms"]["max"], r["kb"], r["statements"],
             r["shown"]] for name, r in agency["requests"].items()]
    rows += [[f"  {name} alone (agency context)", e["ms"]["n"], e["ms"]["min"], e["ms"]["median"], e["ms"]["max"], "",
              e["statements"], e["rows"]] for name, e in agency["loads_alone"].items()]
    print_table(f"one agency with {agency['open_dispatches']} open dispatches ({agency['region']}), agency_responder, "
                f"test client, ms (other cores {agency['cpu']['other_cores']})",
                ["request", "n", "min", "median", "max", "KB", "SQL stmts", "dispatches shown"], rows)
    smtp = result["due_to_smtp"]
    delay = smtp["delay_s"] or {}
    print_table(f"due -> e-mail handed to SMTP: siaga112 worker + cron (sweep every 10 s), {smtp['steps']} steps due "
                f"over {smtp['spread_s']} s, seconds",
                ["mails expected", "received", "missing", "duplicates", "p50", "p99", "max", "other cores"],
                [[smtp["mails_expected"], smtp["mails_received"], smtp["missing"], smtp["duplicates"],
                  delay.get("p50"), delay.get("p99"), delay.get("max"), smtp["cpu"]["other_cores"]]])
    print(f"  due -> the sweep that fired it began (escalations.fired_at): {smtp['due_to_sweep_s']}; that sweep's "
          f"start -> SMTP: {smtp['sweep_to_smtp_s']}")
    print("  rq jobs meanwhile (ms in the queue, ms running): " + "; ".join(
        f"{name} {entry['jobs']} ok"
        + (f" (queued median {entry['queued_ms']['median']}, ran median {entry['ran_ms']['median']}, "
           f"max {entry['ran_ms']['max']})" if entry["jobs"] else "")
        + (f", {entry['failed']} failed: {entry.get('error')}" if entry["failed"] else "")
        for name, entry in smtp["rq_jobs"].items()))
    print(f"  by step: {smtp['delay_s_by_action']}; missing = not received within {smtp['wait_bound_s']} s of the "
          f"last due time; left over: {smtp['leftovers'] or 'none'}")
    print(f"  set-up (not timed above): {result['setup_s']} s {result['setup_parts_s']}; rows: {result['rows_loaded']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=514, choices=range(1, 515), metavar="N", help="1-514")
    parser.add_argument("--dispatches", type=int, default=20000, choices=range(1, 200001), metavar="N",
                        help="open dispatches in all (1-200000)")
    parser.add_argument("--agency-dispatches", type=int, default=500, choices=range(1, 5001), metavar="N",
                        help="of them, the open dispatches of the one agency whose page is measured (1-5000)")
    parser.add_argument("--batch", type=int, default=SWEEP_BATCH, choices=range(1, 5001), metavar="N",
                        help=f"the sweep's limit (1-5000; the job's is {SWEEP_BATCH})")
    parser.add_argument("--repeats", type=int, default=20, choices=range(1, 201), metavar="N", help="1-200")
    parser.add_argument("--mail-steps", type=int, default=120, choices=range(1, 5001), metavar="N",
                        help="steps due in the SMTP part (1-5000)")
    parser.add_argument("--mail-spread", type=int, default=60, choices=range(0, 601), metavar="S",
                        help="seconds over which they fall due (0-600)")
    parser.add_argument("--mail-wait", type=int, default=90, choices=range(10, 1801), metavar="S",
                        help="how long after the last due time to wait for the mail (10-1800)")
    parser.add_argument("--sweep-bound", type=int, default=900, choices=range(10, 3601), metavar="S",
                        help="give up a sweep run after S s (10-3600)")
    parser.add_argument("--quiet-wait", type=int, default=0, choices=range(0, 1801), metavar="S",
                        help="before each measured part, wait up to S s (0-1800) for the rest of the machine to go "
                             "quiet")
    parser.add_argument("--quick", action="store_true", help="smaller defaults, a smoke run of the harness: "
                        + ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in QUICK.items()))
    parser.add_argument("--json-only", action="store_true")
    if parser.parse_args().quick:  # smaller defaults; what the command line names still wins
        parser.set_defaults(**QUICK)
    args = parser.parse_args()
    args.agency_dispatches = min(args.agency_dispatches, args.dispatches)
    emit(measure(args), table, args.json_only)


if __name__ == "__main__":
    main()
