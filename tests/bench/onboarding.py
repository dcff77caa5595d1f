"""Onboarding: readiness of every tenant (the nightly evaluation), one region's checklist, and the national
pipeline page over 514 tenants.

Sets up a fresh embedded PostgreSQL with every one of the 514 regions as a tenant and the data the
readiness checks read (onboarding_data.py: 25 people, three shifts and a 4-team roster over 48 days,
training records, ten agencies with contacts, 112 inbound lines; some tenants miss one piece, a few
everything), and applications spread over every stage of the pipeline. Set-up is reported apart.
Then, as the runtime role under row-level security:

  * every tenant's readiness, `service.evaluate_readiness`, one after another, one transaction each in
    the tenant's context (as a nightly job or the pipeline would): total s, per tenant median/p95/max,
    how many came out fully green (and whether that matches what each tenant's data was made to give);
  * one green tenant whose application went through the real services to `visited` (every declared item
    answered with a PDF, a visit with a verdict per item): evaluate_readiness, each check alone, and
    `service.view` (what the checklist page computes), with the SQL statements each runs;
  * GET /onboarding/pipeline through the app (test client, signed in as a national_monitor): all stages,
    ?stage=in_review and ?province=33 (the first page, where it pages), ms, KB, SQL statements per request,
    rows shown against the regions and applications the filter matches; with its two queries alone;
  * with --wrk-duration > 0 (default 5): the same three pages under `siaga112 up` (gunicorn, 2 sync
    workers) and wrk, signed in through the real sign-in form.

    .venv/bin/python tests/bench/onboarding.py [--repeats 20] [--tenants 514] [--wrk-duration 5]
                                                    [--connections 4] [--json-only]
"""

from __future__ import annotations

import argparse
import gc
import http.cookiejar
import re
import shutil
import statistics
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter

import onboarding_data as data
from bench_coverage import databases, timed
from benchlib import (CpuMeter, UpRun, emit, free_port, fresh_data_dir, log, machine, print_table,
                      related_processes, siaga_env, summary)

PAGE = "/onboarding/pipeline"
PAGES = (("all stages", "", {}), ("?stage=in_review", "?stage=in_review", {"stage": "in_review"}),
         ("?province=33", "?province=33", {"province": "33"}))
ROW_MARKER = re.compile(rb"<tr data-region=")
PASSWORD = "bench-" + uuid.uuid4().hex  # the national monitor's, for the sign-in form under gunicorn
WEB_WORKERS = 2


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


class Statements:
    """Counts the SQL statements an engine sends (SQLAlchemy's before_cursor_execute)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1

    def during(self, function, *args) -> tuple[float, object, int]:
        """(ms, result, statements) of one call."""
        before = self.count
        elapsed, result = timed(function, *args)
        return elapsed, result, self.count - before


# --- readiness ------------------------------------------------------------------------------------

def all_tenants(runtime, made: data.Made, statements: Statements) -> dict:
    """Every tenant's readiness, one transaction each in its context, one after another."""
    from siaga112.onboarding import service
    from siaga112.platform.tenancy.context import TenantContext
    from siaga112.platform.tenancy.models import Tenant

    evaluate_ms, transaction_ms, counts = [], [], []
    green, red_checks, unexpected, by_profile = 0, Counter(), [], {}
    collections_before = [stats["collections"] for stats in gc.get_stats()]
    started = time.perf_counter()
    for tenant_id in made.tenant_ids:
        begun = time.perf_counter()
        with runtime.transaction(TenantContext(tenant_id)) as session:
            tenant = session.get(Tenant, tenant_id)
            elapsed, results, sent = statements.during(service.evaluate_readiness, session, tenant)
        transaction_ms.append((time.perf_counter() - begun) * 1000)
        evaluate_ms.append(elapsed)
        counts.append(sent)
        by_profile.setdefault(made.profiles[tenant_id], []).append(elapsed)
        all_green = all(result.green for result in results.values())
        green += all_green
        red_checks.update(name for name, result in results.items() if not result.green)
        if all_green != (made.profiles[tenant_id] == "green"):
            unexpected.append(made.region_codes[tenant_id])
    total = time.perf_counter() - started
    # Python's cyclic garbage collector, run meanwhile (a full collection pauses for the whole heap): the tail.
    collections = [stats["collections"] - before for stats, before in zip(gc.get_stats(), collections_before)]
    return {"tenants": len(made.tenant_ids), "total_s": round(total, 2),
            "evaluate_ms": {**summary(evaluate_ms, 2), "p95": round(p95(evaluate_ms), 2)},
            "transaction_ms": {**summary(transaction_ms, 2), "p95": round(p95(transaction_ms), 2)},
            "statements_per_tenant": summary(counts, 1),
            "gc_collections_by_generation": collections,
            "evaluate_median_ms_by_profile": {name: round(statistics.median(values), 1)
                                              for name, values in sorted(by_profile.items())},
            "fully_green": green, "red_by_check": dict(sorted(red_checks.items())),
            "profiles": dict(Counter(made.profiles.values()).most_common()),
            "unexpected_outcome": unexpected[:20], "unexpected_count": len(unexpected)}


def one_tenant(runtime, tenant_id, repeats: int, statements: Statements) -> dict:
    """evaluate_readiness, each check alone and service.view for the showcase tenant, one transaction per call."""
    from siaga112.onboarding import readiness, service
    from siaga112.platform.tenancy.context import TenantContext
    from siaga112.platform.tenancy.models import Tenant

    def repeat(call) -> tuple[list[float], object, int]:
        times, result, sent = [], None, 0
        for _ in range(repeats):
            with runtime.transaction(TenantContext(tenant_id)) as session:
                tenant = session.get(Tenant, tenant_id)
                elapsed, result, sent = call(session, tenant)
            times.append(elapsed)
        return times, result, sent

    out = {}
    times, results, sent = repeat(lambda s, t: statements.during(service.evaluate_readiness, s, t))
    out["evaluate_readiness"] = {"ms": summary(times, 2), "statements": sent,
                                 "green": all(r.green for r in results.values())}
    for name, check in readiness.CHECKS.items():
        times, _result, sent = repeat(lambda s, t, check=check: statements.during(check, s, t, *readiness.window(t)))
        out[f"check {name}"] = {"ms": summary(times, 2), "statements": sent}

    def view(session, tenant):
        application = service.find_application(session, tenant.id)
        return statements.during(service.view, session, tenant, application, "regional_admin")

    times, shown, sent = repeat(view)
    out["view"] = {"ms": summary(times, 2), "statements": sent, "status": shown.application.status,
                   "items": len(shown.items), "history": len(shown.history),
                   "evidence": sum(len(state.evidence) for state in shown.items),
                   "verdicts": sum(state.verdict is not None for state in shown.items), "progress": shown.progress}
    return out


# --- the pipeline -----------------------------------------------------------------------------------

def pipeline_queries(runtime, repeats: int, statements: Statements) -> dict:
    """The page's two queries alone, in platform context: stage_counts, and its rows (all stages, first page)."""
    from siaga112.onboarding import service, views
    from siaga112.platform.regions.models import Region
    from siaga112.platform.tenancy.context import PLATFORM

    if hasattr(service, "region_stages"):  # every region with its stage, a page at a time
        limit = getattr(views, "PIPELINE_PAGE", None)
        rows_name = f"region_stages (first {limit})" if limit else "region_stages"

        def rows(session):
            return session.execute(service.region_stages().limit(limit)).all()
    else:  # the applications with their regions (ORM)
        rows_name = "pipeline_query (ORM rows)"

        def rows(session):
            return session.execute(service.pipeline_query().add_columns(Region.name, Region.province_code)).all()

    out = {}
    for name, call in (("stage_counts", service.stage_counts), (rows_name, rows)):
        times = []
        for _ in range(repeats):
            with runtime.transaction(PLATFORM) as session:
                elapsed, result, sent = statements.during(call, session)
            times.append(elapsed)
        out[name] = {"ms": summary(times, 2), "statements": sent,
                     "rows": len(result) if isinstance(result, list) else None}
    return out


def monitor(runtime) -> tuple[uuid.UUID, str]:
    """A national_monitor with a password (for the sign-in form under gunicorn)."""
    from siaga112.platform.identity.service import create_user, grant_role
    from siaga112.platform.tenancy.context import PLATFORM

    with runtime.transaction(PLATFORM) as session:
        user = create_user(session, f"monitor-{uuid.uuid4().hex[:6]}@bench.siaga112.id", "Pemantau Nasional",
                           PASSWORD)
        grant_role(session, user, "national_monitor")
        return user.id, user.email


def through_the_app(data_dir, user_id, made: data.Made, repeats: int) -> dict:
    """GET the pipeline pages through the app's test client, signed in as the national monitor."""
    from siaga112.platform.app import create_app
    from siaga112.platform.db import app_database
    from siaga112.platform.embedded import EmbeddedRedis

    redis_server = EmbeddedRedis(data_dir)
    env = siaga_env(data_dir, SIAGA_REDIS_URL=redis_server.start(), SIAGA_LOG_LEVEL="WARNING")
    try:
        app = create_app({k: v for k, v in env.items() if k.startswith("SIAGA_")})
        statements = Statements(app_database(app).engine)
        client = app.test_client()
        with client.session_transaction() as browser_session:
            browser_session["user_id"] = str(user_id)

        def fetch(path):
            return client.get(path, headers={"Accept": "text/html"})

        times = {name: [] for name, _query, _filters in PAGES}
        found = {}
        for name, query, _filters in PAGES:  # warm-up: the first request imports and compiles what it needs
            response = fetch(PAGE + query)
            assert response.status_code == 200, (PAGE + query, response.status_code,
                                                 response.get_data(as_text=True)[:300])
        for _ in range(repeats):  # the pages in turn, so that a drift of the machine hits all alike
            for name, query, _filters in PAGES:
                elapsed, response, sent = statements.during(fetch, PAGE + query)
                assert response.status_code == 200, (PAGE + query, response.status_code)
                times[name].append(elapsed)
                found[name] = (len(response.data), sent, len(ROW_MARKER.findall(response.data)))
        return {name: {"ms": summary(times[name], 2), "kb": round(found[name][0] / 1024, 1),
                       "statements": found[name][1], "rows_shown": found[name][2],
                       "matching": made.matching(**filters)}
                for name, _query, filters in PAGES}
    finally:
        redis_server.stop()


# --- under gunicorn and wrk ---------------------------------------------------------------------------

def sign_in_cookie(base: str, email: str) -> str:
    """Sign in through the real form (GET for the CSRF token, POST); returns the Cookie header to send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/sign-in", timeout=10) as response:
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', response.read())
    if token is None:
        raise RuntimeError("no csrf_token on /sign-in")
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token.group(1).decode()})
    with opener.open(f"{base}/sign-in", form.encode(), timeout=30) as response:
        response.read()
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def get_with_cookie(url: str, cookie: str) -> tuple[int, str, bytes]:
    """(status, the URL it ended at after redirects, body): signed out, a page redirects to /sign-in."""
    request = urllib.request.Request(url, headers={"Cookie": cookie, "Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.geturl(), response.read()


def run_wrk(url: str, cookie: str, connections: int, seconds: int) -> dict:
    import subprocess

    from regions_api import parse_wrk

    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
            "-H", f"Cookie: {cookie}", "-H", "Accept: text/html", url]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=True)
    return parse_wrk(result.stdout)


def under_gunicorn(data_dir, email: str, duration: int, connections: int) -> dict:
    """The three pages under `siaga112 up` (gunicorn, WEB_WORKERS sync workers) and wrk."""
    from regions_api import server_side_problems

    up = UpRun(data_dir, free_port(), data_dir / "up.log", extra_env={"SIAGA_WEB_WORKERS": str(WEB_WORKERS)})
    results, complaints = {}, []
    up.start()
    try:
        cookie = sign_in_cookie(up.base, email)
        servers = related_processes(up.process.pid, str(data_dir))
        for name, query, _filters in PAGES:
            url = f"{up.base}{PAGE}{query}"
            status, final_url, body = get_with_cookie(url, cookie)
            if status != 200 or final_url != url:
                raise RuntimeError(f"{url} answered {status} at {final_url} (not signed in?): {body[:200]!r}")
            run_wrk(url, cookie, connections, 2)  # warm-up
            meter = CpuMeter(servers)
            results[name] = run_wrk(url, cookie, connections, duration) | meter.read()
            log(f"wrk {name}: {results[name]['requests_per_s']:.1f} req/s, p50 {results[name]['p50_ms']} ms")
    finally:
        up.stop()
        complaints += up.leftovers
    return {"workers": WEB_WORKERS, "connections": connections, "duration_s": duration, "up_ready_s": up.ready_s,
            "pages": results, "server_side": server_side_problems(up.log_path), "leftovers": complaints}


# --- the bench --------------------------------------------------------------------------------------------

def measure(repeats: int, tenant_count: int, wrk_duration: int, connections: int) -> dict:
    with fresh_data_dir("siaga-bench-onboarding-") as data_dir:
        with databases(data_dir) as (owner, runtime, urls):
            log(f"populating {tenant_count} tenants (readiness data and applications)")
            started = time.perf_counter()
            made, showcase = data.populate(owner, urls, tenant_count)
            log(f"bulk data in {time.perf_counter() - started:.1f} s; the showcase application through the services")
            showcase_started = time.perf_counter()
            data.take_showcase_to(runtime, data_dir, showcase)
            made.timings_s["showcase_through_services"] = round(time.perf_counter() - showcase_started, 2)
            user_id, email = monitor(runtime)
            setup_s = round(time.perf_counter() - started, 1)
            statements = Statements(runtime.engine)
            log(f"set up in {setup_s} s; every tenant's readiness")
            nightly = all_tenants(runtime, made, statements)
            log(f"one tenant, {repeats} repeats")
            single = one_tenant(runtime, showcase, repeats, statements)
            queries = pipeline_queries(runtime, repeats, statements)
            log("the pipeline page through the app")
            pages = through_the_app(data_dir, user_id, made, repeats)
            showcase_code = made.region_codes[showcase]
        gunicorn = None
        if wrk_duration:
            if shutil.which("wrk") is None:
                gunicorn = {"skipped": "wrk is not installed (apt-get install -y wrk)"}
            else:
                log("the pipeline page under siaga112 up and wrk")
                gunicorn = under_gunicorn(data_dir, email, wrk_duration, connections)
    stages = Counter(made.stages.values())
    return {"bench": "onboarding", "machine": machine(), "tenants": tenant_count, "repeats": repeats,
            "setup_s": setup_s, "setup_parts_s": made.timings_s, "rows_loaded": dict(made.rows),
            "stages": {stage: stages.get(stage, 0) for stage in data.STAGES},
            "all_tenants": nightly, "showcase_region": showcase_code, "one_tenant": single,
            "pipeline_queries": queries, "pipeline_pages": pages, "gunicorn": gunicorn}


def table(result: dict) -> None:
    every = result["all_tenants"]
    ev, tx = every["evaluate_ms"], every["transaction_ms"]
    print_table(f"readiness of {every['tenants']} tenants, one after another (runtime role, RLS, one transaction "
                "each), ms", ["", "total s", "median", "p95", "max", "SQL stmts/tenant (median)"],
                [["evaluate_readiness", every["total_s"], ev["median"], ev["p95"], ev["max"],
                  every["statements_per_tenant"]["median"]],
                 ["  whole transaction", "", tx["median"], tx["p95"], tx["max"], ""]])
    print(f"  fully green: {every['fully_green']} of {every['tenants']}; red by check: {every['red_by_check']}; "
          f"outcome unlike the data's profile: {every['unexpected_count']}")
    print(f"  profiles: {every['profiles']}; median ms by profile: {every['evaluate_median_ms_by_profile']}")
    print(f"  Python GC collections meanwhile (gen 0/1/2): {every['gc_collections_by_generation']}")
    one = result["one_tenant"]
    rows = [[name, entry["ms"]["n"], entry["ms"]["min"], entry["ms"]["median"], entry["ms"]["max"],
             entry["statements"]] for name, entry in one.items()]
    print_table(f"one green tenant ({result['showcase_region']}, application {one['view']['status']}), ms",
                ["call", "n", "min", "median", "max", "SQL stmts"], rows)
    view = one["view"]
    print(f"  view: {view['items']} items, {view['evidence']} evidence files, {view['verdicts']} verdicts, "
          f"{view['history']} history rows, progress {view['progress']}")
    pages, queries = result["pipeline_pages"], result["pipeline_queries"]
    rows = [[f"GET {PAGE} {name}", p["ms"]["n"], p["ms"]["min"], p["ms"]["median"], p["ms"]["max"], p["kb"],
             p["statements"], p["rows_shown"], p["matching"]["regions"], p["matching"]["applications"]]
            for name, p in pages.items()]
    rows += [[f"  {name} alone", q["ms"]["n"], q["ms"]["min"], q["ms"]["median"], q["ms"]["max"], "",
              q["statements"], q["rows"] if q["rows"] is not None else "", "", ""] for name, q in queries.items()]
    print_table(f"national pipeline, {result['tenants']} tenants (test client, national_monitor), ms",
                ["case", "n", "min", "median", "max", "KB", "SQL stmts", "rows shown", "regions matching",
                 "applications matching"], rows)
    print(f"  stages: {result['stages']}")
    gunicorn = result.get("gunicorn")
    if gunicorn and "pages" in gunicorn:
        rows = [[name, f"{f['requests_per_s']:.1f}", f["p50_ms"], f["p99_ms"], f["non_2xx"],
                 sum(f["socket_errors"].values()), f["server_cores"], f["other_cores"]]
                for name, f in gunicorn["pages"].items()]
        print_table(f"GET {PAGE} under siaga112 up ({gunicorn['workers']} sync workers), wrk -t2 "
                    f"-c{gunicorn['connections']} -d{gunicorn['duration_s']}s",
                    ["page", "req/s", "p50 ms", "p99 ms", "non-2xx", "socket err", "server cores", "other cores"],
                    rows)
        print(f"  server side: {gunicorn['server_side']}; left over: {gunicorn['leftovers'] or 'none'}")
    elif gunicorn:
        print(f"\n  gunicorn + wrk: {gunicorn['skipped']}")
    print(f"  set-up (not timed above): {result['setup_s']} s {result['setup_parts_s']}; rows: {result['rows_loaded']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, choices=range(1, 201), metavar="N", help="1-200")
    parser.add_argument("--tenants", type=int, default=514, choices=range(1, 515), metavar="N", help="1-514")
    parser.add_argument("--wrk-duration", type=int, default=5, choices=range(0, 61), metavar="S",
                        help="seconds of wrk per page under siaga112 up (0-60; 0 skips it)")
    parser.add_argument("--connections", type=int, default=4, choices=range(1, 65), metavar="N", help="1-64")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    emit(measure(args.repeats, args.tenants, args.wrk_duration, args.connections), table, args.json_only)


if __name__ == "__main__":
    main()
