"""Roster coverage: one month, 3 shifts, 30 people: for one tenant, and for 514 such tenants (the nightly recompute).

Sets up a fresh embedded PostgreSQL with every one of the 514 regions as a tenant, each with the
usual three shifts (Pagi 07:30–16:00, Siang 16:00–23:30, Malam 23:30–07:30, min staff 7), 30
operators and a month of rotation (697 assignments per tenant, 358,000 in all) written with COPY.
Then, as the runtime role under row-level security, one transaction per tenant:

  * one tenant: `service.roster_coverage` for the month (load + compute), its pure computation
    alone, and GET /api/v1/tenants/{tenant}/roster/coverage through the app (JSON included);
  * 514 tenants one after another, as a nightly job would, with the total and per-tenant figures.

    .venv/bin/python tests/bench/bench_coverage.py [--repeats 20] [--tenants 514] [--json-only]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import time
import uuid
from datetime import date, time as clock_time

from benchlib import emit, fresh_data_dir, log, machine, print_table, siaga_env, summary

MONTH = (date(2026, 12, 1), date(2026, 12, 31))
PEOPLE = 30
MIN_STAFF = 7  # 30 operators, 6 of 8 days on: 7–8 per shift every day
SHIFTS = (("Pagi", "P", clock_time(7, 30), clock_time(16)), ("Siang", "S", clock_time(16), clock_time(23, 30)),
          ("Malam", "M", clock_time(23, 30), clock_time(7, 30)))


@contextlib.contextmanager
def databases(data_dir):
    """The embedded PostgreSQL in `data_dir`, migrated, with the registry: (owner, runtime, urls, env)."""
    saved_runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    env = siaga_env(data_dir)
    os.environ.update({k: v for k, v in env.items() if k.startswith("SIAGA_")})
    from siaga112.platform.config import Settings
    from siaga112.platform.db import Database, bootstrap, database_urls
    from siaga112.platform.embedded import start_postgres, stop_postgres
    from siaga112.platform.migrate import upgrade
    from siaga112.platform.regions.service import sync_regions
    from siaga112.platform.tenancy.context import PLATFORM

    settings = Settings.from_env()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        start_postgres(settings.data_dir)
        urls = database_urls(settings)
        bootstrap(urls)
        upgrade(urls.owner)
        owner, runtime = Database(urls.owner, pool_size=1), Database(urls.runtime, pool_size=1)
        with owner.transaction(PLATFORM) as session:
            sync_regions(session)
        try:
            yield owner, runtime, urls
        finally:
            owner.dispose()
            runtime.dispose()
    finally:
        stop_postgres(settings.data_dir)
        for key in list(os.environ):
            if key.startswith("SIAGA_"):
                os.environ.pop(key)
        if saved_runtime_dir is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = saved_runtime_dir


def populate(owner, urls, tenant_count: int) -> list:
    """Tenants with shifts and operators (ORM), then every month's roster through COPY; returns tenant ids."""
    import psycopg
    from sqlalchemy import insert, select

    from siaga112.platform.audit.service import Actor
    from siaga112.platform.identity.models import Membership, User
    from siaga112.platform.regions.models import Region
    from siaga112.platform.tenancy.context import PLATFORM
    from siaga112.platform.tenancy.service import create_tenant
    from siaga112.tenants.roster.generator import rotation_slots
    from siaga112.tenants.roster.models import Shift

    actor = Actor.system("bench")
    made = []  # (tenant id, [(user id, membership id)], [shift ids])
    with owner.transaction(PLATFORM) as session:
        codes = session.scalars(select(Region.code).order_by(Region.code)).all()[:tenant_count]
        for code in codes:
            tenant = create_tenant(session, code, actor)
            shifts = [Shift(tenant_id=tenant.id, name=n, code=c, start_time=s, end_time=e, min_staff=MIN_STAFF)
                      for n, c, s, e in SHIFTS]
            session.add_all(shifts)
            users = session.scalars(insert(User).returning(User.id), [
                {"email": f"op{n:02d}.{code}@bench.siaga112.id", "name": f"Operator {n:02d} {code}"}
                for n in range(PEOPLE)]).all()
            people = session.execute(insert(Membership).returning(Membership.user_id, Membership.id), [
                {"tenant_id": tenant.id, "user_id": user_id, "role": "operator"} for user_id in users]).all()
            session.flush()
            made.append((tenant.id, sorted(tuple(p) for p in people), [s.id for s in shifts]))
    # PostgreSQL refuses COPY FROM where row-level security applies (it does to the owner too: FORCE), so the
    # bulk load runs as the server's superuser, which bypasses it; every read below is the runtime role's.
    with psycopg.connect(urls.admin) as conn:
        with conn.cursor().copy("COPY roster_assignments (tenant_id, user_id, membership_id, shift_id, local_date) "
                                "FROM STDIN") as copy:
            for tenant_id, people, shift_ids in made:
                membership_of = dict(people)
                for user_id, day, shift_id in rotation_slots([u for u, _m in people], shift_ids, *MONTH, 2, 2):
                    copy.write_row((tenant_id, user_id, membership_of[user_id], shift_id, day))
        conn.execute("ANALYZE roster_assignments")
    return [tenant_id for tenant_id, _people, _shifts in made]


def timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - started) * 1000, result


def one_tenant(runtime, tenant_id, repeats: int) -> dict:
    """service.roster_coverage for one month (load + compute), and coverage.compute alone."""
    from siaga112.platform.tenancy.context import TenantContext
    from siaga112.platform.tenancy.models import Tenant
    from siaga112.tenants.roster import coverage, service

    whole, pure, loads = [], [], []
    for _ in range(repeats):
        with runtime.transaction(TenantContext(tenant_id)) as session:
            tenant = session.get(Tenant, tenant_id)
            elapsed, report = timed(service.roster_coverage, session, tenant, *MONTH)
            whole.append(elapsed)
            clock = coverage.Clock(tenant.time_zone)
            shifts = {s.id: service.spec(s) for s in service.list_shifts(session, tenant_id)}
            load_ms, duties = timed(service.duties, session, tenant_id, clock,
                                    *coverage.duty_dates_needed(*MONTH), shifts)
            loads.append(load_ms)
            pure.append(timed(coverage.compute, clock, shifts.values(), duties, *MONTH)[0])
    return {"assignments": len(duties), "covered_percent": report.percent, "gaps": len(report.gaps),
            "conflicts": len(report.conflicts), "roster_coverage_ms": summary(whole, 2),
            "load_assignments_ms": summary(loads, 2), "compute_only_ms": summary(pure, 2)}


def through_the_api(data_dir, runtime, tenant_id, repeats: int) -> dict:
    """GET …/roster/coverage for the month through the app, with a supervisor's bearer token."""
    from siaga112.platform.app import create_app
    from siaga112.platform.embedded import EmbeddedRedis
    from siaga112.platform.identity.service import create_user, grant_role
    from siaga112.platform.identity.tokens import issue_access_token
    from siaga112.platform.tenancy.context import PLATFORM
    from siaga112.platform.tenancy.models import Tenant

    redis_server = EmbeddedRedis(data_dir)
    env = siaga_env(data_dir, SIAGA_REDIS_URL=redis_server.start(), SIAGA_LOG_LEVEL="WARNING")
    try:
        app = create_app({k: v for k, v in env.items() if k.startswith("SIAGA_")})
        with runtime.transaction(PLATFORM) as session:
            user = create_user(session, f"supervisor-{uuid.uuid4().hex[:6]}@bench.siaga112.id", "Supervisor")
            grant_role(session, user, "supervisor", tenant_id)
            token = issue_access_token(session, user)
            slug = session.get(Tenant, tenant_id).slug
        client = app.test_client()
        path = f"/api/v1/tenants/{slug}/roster/coverage?from={MONTH[0]}&to={MONTH[1]}"
        headers = {"Authorization": f"Bearer {token}"}
        def fetch():
            return client.get(path, headers=headers)

        fetch()  # warm-up: the first request imports and compiles what it needs
        times, size = [], 0
        for _ in range(repeats):
            elapsed, response = timed(fetch)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            times.append(elapsed)
            size = len(response.data)
        return {"api_coverage_ms": summary(times, 2), "response_bytes": size}
    finally:
        redis_server.stop()


def all_tenants(runtime, tenant_ids) -> dict:
    """The nightly recompute: every tenant's month, one transaction each, one after another."""
    from siaga112.platform.tenancy.context import TenantContext
    from siaga112.platform.tenancy.models import Tenant
    from siaga112.tenants.roster import service

    per_tenant, full, conflicts = [], 0, 0
    started = time.perf_counter()
    for tenant_id in tenant_ids:
        with runtime.transaction(TenantContext(tenant_id)) as session:
            elapsed, report = timed(service.roster_coverage, session, session.get(Tenant, tenant_id), *MONTH)
        per_tenant.append(elapsed)
        full += report.percent == 100.0
        conflicts += len(report.conflicts)
    total = time.perf_counter() - started
    ordered = sorted(per_tenant)
    return {"tenants": len(tenant_ids), "total_s": round(total, 2),
            "per_tenant_ms": {**summary(per_tenant, 2), "p95": round(ordered[int(len(ordered) * 0.95) - 1], 2)},
            "tenants_at_100_percent": full, "conflicts": conflicts}


def measure(repeats: int, tenant_count: int) -> dict:
    with fresh_data_dir("siaga-bench-coverage-") as data_dir, databases(data_dir) as (owner, runtime, urls):
        log(f"populating {tenant_count} tenants × {PEOPLE} operators × 3 shifts, {MONTH[0]}…{MONTH[1]}")
        setup_ms, tenant_ids = timed(populate, owner, urls, tenant_count)
        log(f"populated in {setup_ms / 1000:.1f} s; one tenant, {repeats} repeats")
        single = one_tenant(runtime, tenant_ids[0], repeats)
        log("through the API")
        api = through_the_api(data_dir, runtime, tenant_ids[0], repeats)
        log(f"all {len(tenant_ids)} tenants")
        nightly = all_tenants(runtime, tenant_ids)
    return {"bench": "coverage", "machine": machine(), "month": [str(MONTH[0]), str(MONTH[1])],
            "people_per_tenant": PEOPLE, "shifts": 3, "min_staff": MIN_STAFF, "setup_s": round(setup_ms / 1000, 1),
            "one_tenant": {**single, **api}, "all_tenants": nightly}


def table(result: dict) -> None:
    one, every = result["one_tenant"], result["all_tenants"]
    rows = [[name, *(one[key][k] for k in ("n", "min", "median", "max"))] for name, key in (
        ("service.roster_coverage (load + compute)", "roster_coverage_ms"),
        ("  load the assignments (one query)", "load_assignments_ms"),
        ("  coverage.compute alone", "compute_only_ms"),
        ("GET …/roster/coverage (app, JSON)", "api_coverage_ms"))]
    print_table(f"coverage of one tenant's month ({one['assignments']} assignments read, {PEOPLE} people, "
                "3 shifts), ms", ["case", "n", "min", "median", "max"], rows)
    print(f"  result: {one['covered_percent']} % covered, {one['gaps']} gaps, {one['conflicts']} conflicts; "
          f"API response {one['response_bytes']} bytes")
    stats = every["per_tenant_ms"]
    print_table(f"nightly recompute: {every['tenants']} tenants, one after another (runtime role, RLS)",
                ["total s", "per tenant median ms", "p95 ms", "max ms", "tenants at 100 %", "conflicts"],
                [[every["total_s"], stats["median"], stats["p95"], stats["max"], every["tenants_at_100_percent"],
                  every["conflicts"]]])
    print(f"  set-up (not timed above): {result['setup_s']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, choices=range(1, 201), metavar="N", help="1-200")
    parser.add_argument("--tenants", type=int, default=514, choices=range(1, 515), metavar="N", help="1-514")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    emit(measure(args.repeats, args.tenants), table, args.json_only)


if __name__ == "__main__":
    main()
