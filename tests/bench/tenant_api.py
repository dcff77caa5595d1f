"""GET /api/v1/tenants/{tenant} under load: the access layers (JWT, tenant check, RLS context) against none.

One gunicorn (platform/runner.py's web argv, 2 sync workers) serves tenant_bench_app.py: the platform's
app with the real route, plus a bench-only bare route that runs the same query (Tenant by slug, with its
region), dumps the same TenantSchema and sets the same ETag, with no token verification, no tenant check
and a session without the tenant-context hook (no set_config round trip). wrk loads both with the same
`Authorization: Bearer` header (a regional_admin of the tenant), alternating for --rounds rounds (each
after a wait for a quiet machine, each run after a warm-up); medians are reported, with the servers' CPU
per request, which other processes disturb less than req/s. Before the load, in this process and against
the same database: microseconds per call of principal_from_bearer, of the tenant lookup, of the
set_config round trip, of each route's database work and of each whole request (Flask test client), and
the round trips to PostgreSQL each route makes per request (libpq's protocol trace).

Set-up is the CLI's: `siaga112 up` in the background (embedded PostgreSQL and Redis, migrations, regions),
then `siaga112 tenant create`, `user create`, `token issue --ttl 3600`. Needs wrk; loopback only.

    .venv/bin/python tests/bench/tenant_api.py [--duration 10] [--rounds 3] [--threads 2] [--connections 16]
                                                    [--calls 2000] [--quiet-wait 600] [--round-quiet-wait 120]
                                                    [--siaga-log-level LEVEL] [--json-only]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchlib import (
    HERE,
    LOOPBACK,
    SIAGA112,
    CpuMeter,
    Proc,
    UpRun,
    emit,
    free_port,
    fresh_data_dir,
    log,
    machine,
    print_table,
    related_processes,
    siaga_env,
    stop_tree,
    tail,
    wait_for_200,
    wait_for_quiet,
)

REGION = "33.74"  # Kota Semarang: not one of the demo tenants `up` seeds
ADMIN_EMAIL = "admin.bench@bench.siaga112.id"
TOKEN_TTL = 3600  # the longest `token issue` allows (identity/tokens.py MAX_OPS_TTL): outlives a run
WEB_WORKERS = 2
WARMUP_SECONDS = 2
GOAL = 0.80  # the issue: the platform keeps at least 80% of the bare throughput
QUIET_CORES = 0.3  # a run during which the rest of the machine used less is counted as quiet
REAL, BARE = "real", "bare"


# --- HTTP and wrk ---------------------------------------------------------------

def get(url: str, headers: dict[str, str] | None = None, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def to_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> dict:
    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None and default is None:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match.group(1) if match else default

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests_per_s": float(find(r"^Requests/sec:\s+([0-9.]+)")),
        "p50_ms": round(to_ms(find(r"^\s+50%\s+(\S+)")), 2),
        "p99_ms": round(to_ms(find(r"^\s+99%\s+(\S+)")), 2),
        "requests": int(find(r"^\s+(\d+) requests in")),
        "non_2xx": int(find(r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def run_wrk(url: str, header: str, args, seconds: int) -> dict:
    argv = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "5s", "--latency",
            "-H", header, url]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=True)
    return parse_wrk(result.stdout)


# --- set-up: `up`, the CLI, the bench's gunicorn --------------------------------------

# `siaga112 user create` (without --agency) imports the identity models, whose memberships table has a
# foreign key to agencies, but not the directory models that define agencies: SQLAlchemy then fails at the
# first flush (NoReferencedTableError). Until the CLI imports every model, a command that fails so is re-run
# through the same click group with siaga112.platform.app.import_models() called first (and reported).
MODELS_FIRST = ("import sys; from siaga112.platform.app import import_models; import_models(); "
                "from siaga112.platform.cli import main; sys.argv[0] = 'siaga112'; main()")
cli_workarounds: list[str] = []


def cli(env: dict[str, str], *arguments: str, stdin: str | None = None) -> str:
    def run(argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(argv + list(arguments), env=env, input=stdin, capture_output=True, text=True,
                              timeout=120, check=False)

    result = run([SIAGA112])
    if result.returncode != 0 and "NoReferencedTableError" in result.stderr:
        cli_workarounds.append(" ".join(arguments[:2]))
        result = run([sys.executable, "-c", MODELS_FIRST])
    if result.returncode != 0:
        raise RuntimeError(f"siaga112 {' '.join(arguments[:2])} failed ({result.returncode}):\n"
                           f"{result.stderr[-2000:]}")
    return result.stdout.strip()


def resolved_urls(data_dir: Path) -> tuple[str, str]:
    """The admin URL of the embedded PostgreSQL that `up` runs (from its postmaster.pid) and its Redis URL,
    so that the bench's processes attach to those servers as `up`'s own children do."""
    import warnings

    with warnings.catch_warnings():  # platformdirs warns on import when XDG_RUNTIME_DIR is unset; only paths read here
        warnings.simplefilter("ignore")
        from pgserver.utils import PostmasterInfo

    from siaga112.platform.embedded import EMBEDDED_DATABASE, EmbeddedRedis

    info = PostmasterInfo.read_from_pgdata(data_dir / "pg")
    if info is None:
        raise RuntimeError(f"no postmaster.pid in {data_dir / 'pg'}: is `siaga112 up` running?")
    return info.get_uri(database=EMBEDDED_DATABASE), EmbeddedRedis(data_dir).url


def bench_argv(port: int) -> list[str]:
    """platform/runner.py's web argv, with the bench app (the platform's plus the bare route) as app spec."""
    from siaga112.platform.runner import service_argv

    web = service_argv(LOOPBACK, port, WEB_WORKERS)["web"]
    return web[:-1] + ["--chdir", str(HERE), "tenant_bench_app:create_app()"]


def start_bench_server(data_dir: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    runtime_dir = data_dir / "bench-run"  # gunicorn's control socket; apart from `up`'s gunicorn
    runtime_dir.mkdir(mode=0o700)
    with open(data_dir / "bench-web.log", "ab") as log_file:
        process = subprocess.Popen(bench_argv(port), env=env | {"XDG_RUNTIME_DIR": str(runtime_dir)},
                                   stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    if not wait_for_200(f"http://{LOOPBACK}:{port}/readyz", process, timeout=120):
        stop_tree(process, f"{LOOPBACK}:{port}", signal.SIGTERM)
        raise RuntimeError("the bench app did not start; see its log:\n" + tail(data_dir / "bench-web.log"))
    return process


def check_routes(urls: dict[str, str], headers: dict[str, str]) -> dict:
    """Both routes answer 200 with the same body and ETag; the real one turns a request without a token away."""
    answers = {name: get(url, headers) for name, url in urls.items()}
    for name, (status, _, body) in answers.items():
        if status != 200:
            raise RuntimeError(f"{name} route answered {status}: {body[:300]!r}")
    (_, real_headers, real_body), (_, bare_headers, bare_body) = answers[REAL], answers[BARE]
    return {"same_body": real_body == bare_body, "same_etag": real_headers.get("ETag") == bare_headers.get("ETag"),
            "etag": real_headers.get("ETag"), "body_bytes": len(real_body),
            "real_without_token_status": get(urls[REAL])[0]}


# --- in process: where the time goes ---------------------------------------------------

def _figures(samples: list[int]) -> dict:
    samples = sorted(samples)
    return {"calls": len(samples), "median_us": round(samples[len(samples) // 2] / 1000, 1),
            "mean_us": round(statistics.fmean(samples) / 1000, 1),
            "p99_us": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000, 1)}


def per_call(function, calls: int, before=None) -> dict:
    """µs per call of `function` (median, mean, p99) over `calls` calls; `before` runs untimed before each."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(calls):
        if before is not None:
            before()
        started = clock()
        function()
        samples.append(clock() - started)
    return _figures(samples)


def per_call_interleaved(functions: dict, calls: int) -> dict[str, dict]:
    """per_call of each of `functions` (two), call by call in alternating order, so that a change in the
    machine's load meanwhile hits both alike."""
    clock = time.perf_counter_ns
    names = list(functions)
    samples = {name: [] for name in names}
    for index in range(calls):
        for name in (names if index % 2 == 0 else names[::-1]):
            started = clock()
            functions[name]()
            samples[name].append(clock() - started)
    return {name: _figures(values) for name, values in samples.items()}


def round_trips(engine, request, scratch: Path) -> dict:
    """Round trips to PostgreSQL (ReadyForQuery messages in libpq's protocol trace, pool pre-ping included) and
    the SQL statements (SQLAlchemy's) of one request through the test client.

    `request` runs twice: the first one's connection is traced from its return to the pool (after the pool's
    reset), so the second request's whole use of it (ping, statements, rollback) is in the trace."""
    import os

    from sqlalchemy import event

    trace_path = scratch / f"pq-trace-{time.monotonic_ns()}.txt"
    descriptor = os.open(trace_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    traced, statements = [], []

    def start_tracing(dbapi_connection, _record):
        dbapi_connection.pgconn.trace(descriptor)
        traced.append(dbapi_connection)

    def on_statement(_conn, _cursor, statement, _parameters, _context, _many):
        statements.append(" ".join(statement.split())[:100])

    try:
        event.listen(engine.pool, "checkin", start_tracing)
        try:
            request()
        finally:
            event.remove(engine.pool, "checkin", start_tracing)
        event.listen(engine, "before_cursor_execute", on_statement)
        try:
            status = request().status_code
        finally:
            event.remove(engine, "before_cursor_execute", on_statement)
            for dbapi_connection in traced:
                dbapi_connection.pgconn.untrace()  # libpq flushes the trace here
    finally:
        os.close(descriptor)
    lines = trace_path.read_text(errors="replace").splitlines()
    trace_path.unlink()
    sent = [match.group(1) for line in lines if (match := re.search(r"\tF\t\d+\t(?:Query|Parse)\t(.*)", line))]
    return {"status": status, "traced_connections": len(traced),
            "round_trips": sum(1 for line in lines if re.search(r"\tB\t\d+\tReadyForQuery", line)),
            "sent": [" ".join(text.split())[:100] for text in sent], "statements": statements}


def inside_requests(client, paths: dict[str, str], headers: dict[str, str], calls: int) -> dict:
    """Where a request's time goes, measured inside whole requests (test client, real and bare interleaved):
    medians in µs of the request, of check_access, principal_from_bearer, the tenant lookup (session.scalar:
    on the real route it begins the transaction, so the after_begin hook's set_config is in it), the
    set_context that narrows to the tenant, and closing the session. The functions are wrapped with timers
    in this process only (about a microsecond each), never in the servers under load."""
    import collections
    from unittest import mock

    from siaga112.platform.identity import access, tokens
    from sqlalchemy.orm import Session

    clock = time.perf_counter_ns
    spent = collections.Counter()

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = clock()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += clock() - started
        return wrapper

    samples = {name: collections.defaultdict(list) for name in paths}
    with mock.patch.object(tokens, "principal_from_bearer", timed("jwt", tokens.principal_from_bearer)), \
            mock.patch.object(access, "check_access", timed("check_access", access.check_access)), \
            mock.patch.object(access, "set_context", timed("set_context_tenant", access.set_context)), \
            mock.patch.object(Session, "scalar", timed("lookup", Session.scalar)), \
            mock.patch.object(Session, "close", timed("close", Session.close)):
        names = list(paths)
        for index in range(calls):
            for name in (names if index % 2 == 0 else names[::-1]):
                spent.clear()
                started = clock()
                client.get(paths[name], headers=headers)
                samples[name]["request"].append(clock() - started)
                for part, nanoseconds in spent.items():
                    samples[name][part].append(nanoseconds)
    medians = {name: {part: round(statistics.median(values) / 1000, 1) for part, values in parts.items()}
               for name, parts in samples.items()}
    real, bare = medians[REAL], medians[BARE]
    gap = real["request"] - bare["request"]
    shares = {"jwt": real["jwt"], "set_config_in_after_begin_hook": real["lookup"] - bare["lookup"],
              "set_context_tenant": real["set_context_tenant"]}
    shares["rest_of_access_layer"] = gap - sum(shares.values())
    return {"calls": calls, REAL: real, BARE: bare, "gap_us": round(gap, 1),
            "gap_parts_us": {part: round(value, 1) for part, value in shares.items()},
            "gap_parts_share": {part: round(value / gap, 2) for part, value in shares.items()} if gap > 0 else None}


def where_the_time_goes(env: dict[str, str], slug: str, token: str, calls: int, scratch: Path) -> dict:
    """The costs of the layers, in this process, against the bench database."""
    import tenant_bench_app
    from joserfc import jws
    from siaga112.platform.db import app_database
    from siaga112.platform.identity.keys import ALGORITHM, signing_key
    from siaga112.platform.identity.tokens import principal_from_bearer
    from siaga112.platform.tenancy.context import PUBLIC, TenantContext, set_context
    from siaga112.platform.tenancy.models import Tenant
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    app = tenant_bench_app.create_app(env)
    settings = app.extensions["siaga112.settings"]
    database = app_database(app)
    plain = sessionmaker(database.engine, expire_on_commit=False)
    header = f"Bearer {token}"
    lookup = select(Tenant).where(Tenant.slug == slug)
    key = signing_key(settings)
    results = {}
    try:
        principal_from_bearer(header, settings)  # the key is imported once per process: not part of a request
        results["principal_from_bearer"] = per_call(lambda: principal_from_bearer(header, settings), calls)
        results["rs256_signature_check"] = per_call(
            lambda: jws.validate_compact(jws.extract_compact(token.encode()), key.public, [ALGORITHM]), calls)

        with plain() as session, session.begin():
            tenant_id = session.scalar(lookup).id
            results["tenant_lookup"] = per_call(lambda: session.scalar(lookup), calls, before=session.expunge_all)
        with database.session(PUBLIC) as session, session.begin():  # after_begin has run the first set_config
            context = TenantContext(tenant_id)
            results["set_config_round_trip"] = per_call(lambda: set_context(session, context), calls)

        def real_database_work():  # what check_access and the view do with the request's session
            with database.session(PUBLIC) as session:
                found = session.scalar(lookup)
                set_context(session, TenantContext(found.id))

        def bare_database_work():
            with plain() as session:
                session.scalar(lookup)

        work = per_call_interleaved({REAL: real_database_work, BARE: bare_database_work}, calls)
        results["database_work_real"], results["database_work_bare"] = work[REAL], work[BARE]

        client = app.test_client()
        headers = {"Authorization": header}
        real_path, bare_path = (f"/api/v1/tenants/{slug}", f"/api/v1/bench-bare/{slug}")
        for path in (real_path, bare_path):
            client.get(path, headers=headers)  # first request of the app: not timed
        whole = per_call_interleaved({REAL: lambda: client.get(real_path, headers=headers),
                                      BARE: lambda: client.get(bare_path, headers=headers)}, calls)
        results["request_in_process_real"], results["request_in_process_bare"] = whole[REAL], whole[BARE]
        results["inside_requests"] = inside_requests(client, {REAL: real_path, BARE: bare_path}, headers, calls)
        results["per_request"] = {
            REAL: round_trips(database.engine, lambda: client.get(real_path, headers=headers), scratch),
            BARE: round_trips(database.engine, lambda: client.get(bare_path, headers=headers), scratch),
        }
    finally:
        database.dispose()
    extra_set_configs = results["per_request"][REAL]["round_trips"] - results["per_request"][BARE]["round_trips"]
    results["attribution"] = {
        "extra_us_per_request_in_process": round(results["request_in_process_real"]["median_us"]
                                                 - results["request_in_process_bare"]["median_us"], 1),
        "extra_database_us_per_request": round(results["database_work_real"]["median_us"]
                                               - results["database_work_bare"]["median_us"], 1),
        "extra_round_trips_per_request": extra_set_configs,
        "jwt_us": results["principal_from_bearer"]["median_us"],
        "set_config_us_times_extra_round_trips": round(
            extra_set_configs * results["set_config_round_trip"]["median_us"], 1),
    }
    return results


# --- under load ---------------------------------------------------------------------------

def load(url: str, header: str, servers, args) -> dict:
    run_wrk(url, header, args, WARMUP_SECONDS)
    procs = servers()  # after the warm-up: the pool's PostgreSQL backends exist by now
    meter = CpuMeter(procs)
    figures = run_wrk(url, header, args, args.duration) | meter.read()
    # CPU the servers (gunicorn workers, PostgreSQL, Redis) spent per answered request: it moves less than
    # req/s when other processes take cores away.
    figures["server_cpu_ms_per_request"] = round(1000 * figures["server_cores"] / figures["requests_per_s"], 2)
    return figures


def combine(runs: list[dict]) -> dict:
    """Medians over every round, and over the quiet ones (other processes under QUIET_CORES) apart."""
    keys = ("requests_per_s", "p50_ms", "p99_ms", "server_cores", "other_cores", "server_cpu_ms_per_request")
    quiet = [run for run in runs if run["other_cores"] < QUIET_CORES]
    return {key: round(statistics.median(run[key] for run in runs), 2) for key in keys} | {
        "requests": sum(r["requests"] for r in runs), "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "quiet_rounds": len(quiet),
        "quiet": {key: round(statistics.median(run[key] for run in quiet), 2) for key in keys} if quiet else None,
        "rounds": [{key: round(run[key]) if key == "requests_per_s" else run[key] for key in keys} for run in runs]}


def compare(urls: dict[str, str], header: str, servers, args) -> dict:
    """Alternate real and bare (the first of a round alternates too), so that drift hits both alike."""
    runs = {name: [] for name in urls}
    for round_number in range(1, args.rounds + 1):
        if args.round_quiet_wait:
            other = wait_for_quiet(args.round_quiet_wait)
            log(f"round {round_number}: other processes use {other:.2f} cores")
        order = (REAL, BARE) if round_number % 2 else (BARE, REAL)
        for name in order:
            runs[name].append(load(urls[name], header, servers, args))
        log(f"round {round_number}: " + ", ".join(
            f"{name} {runs[name][-1]['requests_per_s']:.0f} req/s p99 {runs[name][-1]['p99_ms']} ms"
            for name in (REAL, BARE)))
    return {name: combine(runs[name]) for name in (REAL, BARE)}


def server_side_problems(web_log: Path, paths: dict[str, str]) -> dict:
    """What the bench's gunicorn logged: statuses per route (one per request id), errors, worker timeouts, and
    how many log lines each request wrote."""
    statuses = {name: {} for name in paths}
    errors = timeouts = request_lines = 0
    request_ids = set()
    for line in web_log.read_text(errors="replace").splitlines():
        if "WORKER TIMEOUT" in line:
            timeouts += 1
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        if record.get("level") in ("ERROR", "CRITICAL"):
            errors += 1
        if record.get("logger") != "siaga112.request":
            continue
        request_lines += 1
        if not record.get("request_id") or record["request_id"] in request_ids:
            continue  # the same request logged again (by a handler without the request-id filter)
        request_ids.add(record["request_id"])
        for name, path in paths.items():
            if record.get("path") == path:
                key = str(record.get("status"))
                statuses[name][key] = statuses[name].get(key, 0) + 1
    return {"logged_statuses": statuses, "logged_errors": errors, "worker_timeouts": timeouts,
            "request_log_lines_per_request": round(request_lines / len(request_ids), 2) if request_ids else None}


# --- the bench ------------------------------------------------------------------------------

def measure(args) -> dict:
    complaints, quiet = [], None
    with fresh_data_dir("siaga-bench-tenant-") as data_dir:
        up = UpRun(data_dir, free_port(), data_dir / "up.log", extra_env={"SIAGA_WEB_WORKERS": "1"})
        log("starting siaga112 up (embedded PostgreSQL and Redis, migrations, regions)")
        up.start()
        bench, port = None, free_port()
        base = f"http://{LOOPBACK}:{port}"
        try:
            database_url, redis_url = resolved_urls(data_dir)
            env = siaga_env(data_dir, SIAGA_DATABASE_URL=database_url, SIAGA_REDIS_URL=redis_url,
                            SIAGA_PUBLIC_URL=base, SIAGA_WEB_WORKERS=str(WEB_WORKERS))
            if args.siaga_log_level:
                env["SIAGA_LOG_LEVEL"] = args.siaga_log_level
            slug = cli(env, "tenant", "create", REGION)
            cli(env, "user", "create", ADMIN_EMAIL, "--role", "regional_admin", "--tenant", slug,
                "--name", "Bench Admin", "--password-stdin", stdin="bench-only-password-" + data_dir.name)
            token = cli(env, "token", "issue", ADMIN_EMAIL, "--ttl", str(TOKEN_TTL)).splitlines()[-1]
            header = f"Authorization: Bearer {token}"
            log(f"tenant {slug}, regional_admin token of {len(token)} characters; starting the bench app")
            bench = start_bench_server(data_dir, env, port)
            paths = {REAL: f"/api/v1/tenants/{slug}", BARE: f"/api/v1/bench-bare/{slug}"}
            urls = {name: base + path for name, path in paths.items()}
            auth = {"Authorization": f"Bearer {token}"}
            before = check_routes(urls, auth)

            def servers() -> set[Proc]:
                return related_processes(up.process.pid, str(data_dir)) | related_processes(
                    bench.pid, f"{LOOPBACK}:{port}")

            if args.quiet_wait:
                log(f"waiting up to {args.quiet_wait} s for a quiet machine")
                quiet = wait_for_quiet(args.quiet_wait)
                log(f"other processes use {quiet:.2f} cores")
            log(f"in process: {args.calls} calls of each part")
            parts = where_the_time_goes(env | {"SIAGA_LOG_LEVEL": "WARNING"}, slug, token, args.calls, data_dir)
            log(f"under load: {args.rounds} rounds of wrk, real and bare alternating")
            loaded = compare(urls, header, servers, args)
            after = check_routes(urls, auth)
        finally:
            if bench is not None:
                complaints += stop_tree(bench, f"{LOOPBACK}:{port}", signal.SIGTERM)[2]
            up.stop()
            complaints += up.leftovers
        problems = server_side_problems(data_dir / "bench-web.log", paths)
    real, bare = loaded[REAL], loaded[BARE]
    ratio = round(real["requests_per_s"] / bare["requests_per_s"], 3)
    quiet_ratio = None
    if real["quiet"] and bare["quiet"]:
        quiet_ratio = {"rps": round(real["quiet"]["requests_per_s"] / bare["quiet"]["requests_per_s"], 3),
                       "p99": round(real["quiet"]["p99_ms"] / bare["quiet"]["p99_ms"], 2),
                       "cpu_per_request": round(real["quiet"]["server_cpu_ms_per_request"]
                                                / bare["quiet"]["server_cpu_ms_per_request"], 2)}
    return {
        "bench": "tenant_api",
        "machine": machine() | {"other_cores_before": quiet},
        "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration,
                "warmup_s": WARMUP_SECONDS, "rounds": args.rounds, "round_quiet_wait_s": args.round_quiet_wait},
        "gunicorn_workers": WEB_WORKERS,
        "siaga_log_level": args.siaga_log_level or "platform default",
        "paths": {REAL: "/api/v1/tenants/{tenant}", BARE: "/api/v1/bench-bare/{tenant}"},
        "routes_before_load": before,
        "routes_after_load": after,
        "results": {REAL: real, BARE: bare},
        "real_over_bare_rps": ratio,
        "meets_goal": ratio >= GOAL,
        "goal": GOAL,
        "real_over_bare_p99": round(real["p99_ms"] / bare["p99_ms"], 2),
        "real_over_bare_cpu_per_request": round(real["server_cpu_ms_per_request"] / bare["server_cpu_ms_per_request"], 2),
        "quiet_rounds_real_over_bare": quiet_ratio,
        "in_process": parts,
        "server_side": problems,
        "leftovers": complaints,
        "cli_models_first_workaround": cli_workarounds,
    }


def table(result: dict) -> None:
    wrk, res = result["wrk"], result["results"]
    rows = [[name, f"{f['requests_per_s']:.0f}", f["p50_ms"], f["p99_ms"], f["non_2xx"], f["socket_errors"],
             f["server_cores"], f["server_cpu_ms_per_request"], f["other_cores"],
             " ".join(str(r["requests_per_s"]) for r in f["rounds"]), " ".join(str(r["other_cores"]) for r in f["rounds"])]
            for name, f in res.items()]
    verdict = (f"real {result['real_over_bare_rps']:.0%} of bare (goal {result['goal']:.0%}: "
               f"{'met' if result['meets_goal'] else 'NOT met'})")
    rows.append(["ratio", verdict, "",
                 f"real {result['real_over_bare_p99']:.2f}x", "", "", "",
                 f"real {result['real_over_bare_cpu_per_request']:.2f}x", "", "", ""])
    quiet = result["quiet_rounds_real_over_bare"]
    for name, f in res.items():
        if f["quiet"]:
            q = f["quiet"]
            rows.append([f"{name}, quiet", f"{q['requests_per_s']:.0f}", q["p50_ms"], q["p99_ms"], "", "",
                         q["server_cores"], q["server_cpu_ms_per_request"], q["other_cores"],
                         f"{f['quiet_rounds']} of {len(f['rounds'])} rounds", ""])
    if quiet:
        rows.append(["ratio, quiet", f"real {quiet['rps']:.0%} of bare", "", f"real {quiet['p99']:.2f}x", "", "",
                     "", f"real {quiet['cpu_per_request']:.2f}x", "", "", ""])
    print_table(f"GET {result['paths']['real']} (real) and {result['paths']['bare']} (bare): wrk -t{wrk['threads']} "
                f"-c{wrk['connections']} -d{wrk['duration_s']}s, median of {wrk['rounds']} alternating rounds "
                f"(gunicorn, {result['gunicorn_workers']} sync workers, log level {result['siaga_log_level']}); "
                f"'quiet': medians of the rounds during which other processes used under {QUIET_CORES} cores",
                ["route", "req/s", "p50 ms", "p99 ms", "non-2xx", "socket err", "server cores",
                 "server CPU ms/req", "other cores", "rounds req/s", "rounds other cores"], rows)
    parts = result["in_process"]
    labels = [("principal_from_bearer", "principal_from_bearer (JWT)"),
              ("rs256_signature_check", "  of which: jws extract + RS256 signature check"),
              ("tenant_lookup", "tenant lookup (ORM select by slug, region joined; open transaction)"),
              ("set_config_round_trip", "set_config round trip (set_context in an open transaction)"),
              ("database_work_real", "database work per request, real (PUBLIC session, lookup, set_context, close)"),
              ("database_work_bare", "database work per request, bare (plain session, lookup, close)"),
              ("request_in_process_real", "whole request in process (Flask test client), real"),
              ("request_in_process_bare", "whole request in process (Flask test client), bare")]
    print_table(f"Where the time goes (this process, against the bench database, {parts['tenant_lookup']['calls']} "
                "calls each, µs)", ["part", "median", "mean", "p99"],
                [[label, parts[key]["median_us"], parts[key]["mean_us"], parts[key]["p99_us"]] for key, label in labels])
    for name, counted in parts["per_request"].items():
        print(f"  {name}: {counted['round_trips']} round trips to PostgreSQL per request (pool pre-ping and "
              f"rollback included); SQL statements: " + " | ".join(counted["statements"]))
    extra = parts["attribution"]
    print(f"  real − bare per request in process: {extra['extra_us_per_request_in_process']} µs (medians); "
          f"JWT {extra['jwt_us']} µs + {extra['extra_round_trips_per_request']} extra round trips × set_config = "
          f"{extra['set_config_us_times_extra_round_trips']} µs; database work alone: "
          f"{extra['extra_database_us_per_request']} µs")
    inside = parts["inside_requests"]
    print_table(f"Inside whole requests (test client, real and bare interleaved, {inside['calls']} each; timers "
                "around the access layer's calls; medians, µs)",
                ["route", "request", "check_access", "principal_from_bearer", "lookup (session.scalar)",
                 "set_context(tenant)", "session.close"],
                [[name, inside[name]["request"], inside[name].get("check_access", ""), inside[name].get("jwt", ""),
                  inside[name]["lookup"], inside[name].get("set_context_tenant", ""), inside[name]["close"]]
                 for name in (REAL, BARE)])
    if inside["gap_parts_share"]:
        print(f"  real − bare: {inside['gap_us']} µs per request = " + ", ".join(
            f"{part.replace('_', ' ')} {inside['gap_parts_us'][part]} µs ({share:.0%})"
            for part, share in inside["gap_parts_share"].items()))
    before = result["routes_before_load"]
    print(f"  same body and ETag on both routes: {before['same_body'] and before['same_etag']} "
          f"(ETag {before['etag']}, {before['body_bytes']} bytes); real route without a token: "
          f"{before['real_without_token_status']}")
    print(f"  server side: {result['server_side']}; left over: {result['leftovers'] or 'none'}")
    if result["cli_models_first_workaround"]:
        print("  set-up: these CLI commands failed with NoReferencedTableError (agencies) and were re-run with "
              f"every model imported first: {', '.join(result['cli_models_first_workaround'])}")
    print(f"  other cores: CPU used meanwhile by processes outside the bench (of {result['machine']['cpus']}; "
          f"{result['machine']['other_cores_before']} just before measuring); above ~0.3 the figures are noisy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, choices=range(1, 121), metavar="S", help="1-120")
    parser.add_argument("--threads", type=int, default=2, choices=range(1, 9), metavar="N", help="1-8")
    parser.add_argument("--connections", type=int, default=16, choices=range(1, 257), metavar="N", help="1-256")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 11), metavar="N",
                        help="alternating rounds of real and bare (1-10); figures are their medians")
    parser.add_argument("--calls", type=int, default=2000, choices=range(10, 20001), metavar="N",
                        help="calls of each part in the in-process breakdown (10-20000)")
    parser.add_argument("--quiet-wait", type=int, default=600, choices=range(1801), metavar="S",
                        help="wait up to S s (0-1800) for the rest of the machine to go quiet before measuring")
    parser.add_argument("--round-quiet-wait", type=int, default=120, choices=range(601), metavar="S",
                        help="before each round, wait up to S s (0-600) for the machine to go quiet again")
    parser.add_argument("--siaga-log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="SIAGA_LOG_LEVEL of the bench's gunicorn (default: the platform's)")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("tenant_api.py needs wrk: apt-get install -y wrk")
    emit(measure(args), table, args.json_only)


if __name__ == "__main__":
    main()
