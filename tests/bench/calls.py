"""POST /api/v1/telephony/events under load: the intake through every layer against a bare insert of the same rows.

One gunicorn (platform/runner.py's web argv, 2 sync workers) serves calls_bench_app.py: the platform's app
with the real intake, plus a bench-only bare route that inserts the same Call and CallEvent rows with the
ORM into the same tables of the same database (runtime role, under RLS in the tenant's context) and does
nothing else. wrk (16 connections) runs a Lua script that makes every request a new event with its own
Idempotency-Key, in two variants:

    offered   `offered` of a call never seen: the call is created (the common first event)
    ended     `ended` of a call offered earlier (seeded, untimed, before each run): the call is recomputed to
              `abandoned` and `call.ended` goes to the outbox and, after the commit, to rq

The bare route gets the same bodies and headers (and inserts a new call for either variant). Real and bare
alternate for --rounds rounds (each after a wait for a quiet machine, each run after a warm-up); medians
are reported, with the servers' CPU per request. After every run the rows are counted: each 201 answer is
one stored event (nothing lost, nothing doubled); the requests wrk hung up on at its stop may be stored
without an answer, at most one per connection. Before the load, in this process: the SQL statements and
round trips of one intake of each kind, and the time of each layer inside whole requests (test client).

Set-up: `siaga112 up` in the background (embedded PostgreSQL and Redis, migrations, regions; it also runs
the rq worker that takes the outbox's jobs), `siaga112 tenant create`, the tenant set live with a 112
inbound line (in this process, through the directory's service), `siaga112 client create` (a machine
client); every run gets a fresh token from /oauth/token (they live 5 minutes). Needs wrk; loopback only.

    .venv/bin/python tests/bench/calls.py [--duration 10] [--rounds 3] [--threads 2] [--connections 16]
                                               [--calls 300] [--quiet-wait 600] [--round-quiet-wait 120]
                                               [--seed-rate 1500] [--json-only]
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import json
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

from benchlib import (HERE, LOOPBACK, CpuMeter, Proc, UpRun, emit, free_port, fresh_data_dir, log, machine,
                      print_table, related_processes, siaga_env, stop_tree, tail, wait_for_200, wait_for_quiet)
from tenant_api import (QUIET_CORES, bench_argv, cli, cli_workarounds, combine, parse_wrk, resolved_urls,
                        round_trips, server_side_problems)

REGION = "33.72"  # Kota Surakarta
LINE = "+62271112112"  # its 112 inbound line (the tests' own)
WEB_WORKERS = 2
WARMUP_SECONDS = 2
GOAL_RATIO = 0.70  # the issue: the intake keeps at least 70 % of the bare insert's req/s …
GOAL_P99_MS = 50.0  # … with a p99 of 50 ms at most
REAL, BARE = "real", "bare"
VARIANTS = ("offered", "ended")
ENDED_AFTER = timedelta(seconds=95)  # the `ended` events' time, after the seeded `offered`

# Every request a new event: call ids `<prefix>-<thread>-<n>`, one caller number per call (a PBX sees mostly
# different callers; one number for all would make the repeat-caller count scan every call), an
# Idempotency-Key per request. It counts what it sent and what was answered 201, for the check of the rows.
WRK_SCRIPT = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  path, event, prefix, at, dialed = args[1], args[2], args[3], args[4], args[5]
  sent, created, other = 0, 0, 0
  headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end  -- the -H headers (Authorization)
  headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  local call = string.format("%s-%d-%d", prefix, tid, sent)
  headers["Idempotency-Key"] = call .. "-" .. event
  local body = string.format(
    '{"event":"%s","call_id":"%s","dialed":"%s","caller":"+62812%d%07d","at":"%s"}',
    event, call, dialed, tid, sent, at)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local s, c, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    s, c, o = s + thread:get("sent"), c + thread:get("created"), o + thread:get("other")
  end
  io.write(string.format("bench-counts sent=%d created=%d other=%d\n", s, c, o))
end
"""


def caller_of(thread: int, n: int) -> str:
    """The caller number the Lua script sends for call n of wrk thread `thread` (seeded calls must match)."""
    return f"+62812{thread}{n:07d}"


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


# --- set-up ---------------------------------------------------------------------------------------

def live_tenant_with_line(database, slug: str):
    """Set the tenant live (its calls are then real calls, not test calls) and register its 112 inbound line."""
    from siaga112.platform.audit.service import Actor
    from siaga112.platform.tenancy.context import PLATFORM, TenantContext
    from siaga112.platform.tenancy.models import Tenant
    from siaga112.tenants.directory import service as directory
    from sqlalchemy import select

    with database.transaction(PLATFORM) as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        tenant.status = "live"
        tenant_id = tenant.id
    with database.transaction(TenantContext(tenant_id)) as session:
        directory.add_number(session, tenant_id, LINE, "inbound_line", "112", None, Actor.system("bench"))
    return tenant_id


def start_server(data_dir: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    """The bench app under gunicorn with the platform's web argv (tenant_api.bench_argv, this app as spec)."""
    argv = bench_argv(port)[:-1] + ["calls_bench_app:create_app()"]
    runtime_dir = data_dir / "bench-run"  # gunicorn's control socket; apart from `up`'s gunicorn
    runtime_dir.mkdir(mode=0o700)
    with open(data_dir / "bench-web.log", "ab") as log_file:
        process = subprocess.Popen(argv, env=env | {"XDG_RUNTIME_DIR": str(runtime_dir)}, stdout=log_file,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    if not wait_for_200(f"http://{LOOPBACK}:{port}/readyz", process, timeout=120):
        stop_tree(process, f"{LOOPBACK}:{port}", signal.SIGTERM)
        raise RuntimeError("the bench app did not start; see its log:\n" + tail(data_dir / "bench-web.log"))
    return process


def fetch_token(base: str, client: dict[str, str]) -> str:
    """A machine client's access token (client credentials), as the PBX gets one."""
    basic = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    request = urllib.request.Request(f"{base}/oauth/token", data=b"grant_type=client_credentials",
                                     headers={"Authorization": f"Basic {basic}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)["access_token"]


def seed_offered(database, tenant_id, secret: str, prefix: str, threads: int, per_thread: int,
                 offered_at: datetime) -> int:
    """Calls `<prefix>-<thread>-<n>` with their `offered` event, as the intake would have stored them (caller
    and its keyed hash, ringing), for the `ended` variant to end. Runtime role, in the tenant's context."""
    from siaga112.platform.tenancy.context import TenantContext
    from siaga112.tenants.calls.models import Call, CallEvent
    from siaga112.tenants.calls.service import caller_key
    from sqlalchemy import insert, literal, select

    rows = [{"tenant_id": tenant_id, "pbx_call_id": f"{prefix}-{thread}-{n}", "dialed_e164": LINE,
             "caller_e164": caller_of(thread, n), "caller_key": caller_key(secret, caller_of(thread, n)),
             "offered_at": offered_at, "is_test": False}
            for thread in range(1, threads + 1) for n in range(1, per_thread + 1)]
    with database.transaction(TenantContext(tenant_id)) as session:
        session.execute(insert(Call), rows)
        session.execute(insert(CallEvent).from_select(
            ["tenant_id", "call_id", "event", "at"],
            select(Call.tenant_id, Call.id, literal("offered"), Call.offered_at).where(
                Call.tenant_id == tenant_id, Call.pbx_call_id.like(f"{prefix}-%"))))
    return len(rows)


# --- checks: the rows against the answers -------------------------------------------------------------

def stored_rows(database, tenant_id, prefix: str, event: str) -> dict:
    """What the database holds for the calls `<prefix>-…`: calls, events of `event` (and on how many calls),
    abandoned calls, call.ended outbox events."""
    from siaga112.platform.jobs.models import OutboxEvent
    from siaga112.platform.tenancy.context import PLATFORM
    from siaga112.tenants.calls.models import Call, CallEvent
    from sqlalchemy import String, cast, func, select

    calls = select(Call.id).where(Call.tenant_id == tenant_id, Call.pbx_call_id.like(f"{prefix}-%"))
    with database.transaction(PLATFORM) as session:
        events, event_calls = session.execute(select(func.count(), func.count(CallEvent.call_id.distinct())).where(
            CallEvent.tenant_id == tenant_id, CallEvent.event == event, CallEvent.call_id.in_(calls))).one()
        return {
            "calls": session.scalar(select(func.count()).select_from(calls.subquery())),
            "events": events, "calls_with_event": event_calls,
            "abandoned": session.scalar(select(func.count()).select_from(
                calls.where(Call.state == "abandoned").subquery())),
            "outbox_call_ended": session.scalar(select(func.count()).select_from(OutboxEvent).where(
                OutboxEvent.topic == "call.ended",
                OutboxEvent.payload["call_id"].astext.in_(select(cast(calls.subquery().c.id, String))))),
        }


def settled_rows(database, tenant_id, prefix: str, event: str, timeout: float = 30.0) -> dict:
    """stored_rows once the requests wrk hung up on have finished: the same figures twice, 0.5 s apart."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        rows = stored_rows(database, tenant_id, prefix, event)
        if rows == last or time.monotonic() > deadline:
            return rows
        last = rows
        time.sleep(0.5)


def check_rows(rows: dict, counts: dict, seeded: int, real_ended: bool, connections: int) -> dict:
    """Every 201 answer is one stored event, never two; the only surplus allowed is what wrk hung up on at its
    stop (at most one per connection). The `ended` intake adds no call, and ends each call once in the outbox."""
    answered = counts["created"]
    unanswered = rows["events"] - answered
    verdict = {"answered_201": answered, "sent": counts["sent"], "other_status": counts["other"],
               "stored_events": rows["events"], "lost": max(0, -unanswered),
               "doubled": rows["events"] - rows["calls_with_event"], "stored_unanswered_at_stop": max(0, unanswered)}
    if real_ended:
        verdict |= {"calls_beyond_seed": rows["calls"] - seeded, "abandoned": rows["abandoned"],
                    "outbox_call_ended": rows["outbox_call_ended"]}
        same = rows["abandoned"] == rows["outbox_call_ended"] == rows["events"] and rows["calls"] == seeded
    else:
        same = rows["calls"] == rows["events"]
    verdict["ok"] = bool(same and verdict["lost"] == 0 and verdict["doubled"] == 0 and counts["other"] == 0
                         and unanswered <= connections)
    return verdict


# --- wrk -------------------------------------------------------------------------------------------

class Runs:
    """The wrk runs of one bench: the script, the targets, the seeds and the checks."""

    def __init__(self, args, base: str, tenant_id, database, secret: str, client: dict[str, str], scratch: Path):
        self.args, self.base, self.tenant_id, self.database, self.secret = args, base, tenant_id, database, secret
        self.client = client
        self.script = scratch / "intake.lua"
        self.script.write_text(WRK_SCRIPT)
        self.paths = {REAL: "/api/v1/telephony/events", BARE: f"/api/v1/bench-bare/{tenant_id}/events"}
        self.offered_at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)

    def run(self, name: str, variant: str, tag: str, seconds: int, token: str) -> dict:
        """One wrk run of `seconds`, then the check of its rows."""
        prefix = f"{name}-{variant}-{tag}"
        real_ended = name == REAL and variant == "ended"
        seeded = 0
        if real_ended:  # enough calls for the fastest run we expect; `calls_beyond_seed` tells if it ran out
            per_thread = self.args.seed_rate * seconds // self.args.threads + 100
            seeded = seed_offered(self.database, self.tenant_id, self.secret, prefix, self.args.threads, per_thread,
                                  self.offered_at)
        at = self.offered_at + ENDED_AFTER if real_ended else datetime.now(timezone.utc)
        argv = ["wrk", f"-t{self.args.threads}", f"-c{self.args.connections}", f"-d{seconds}s", "--timeout", "5s",
                "--latency", "-H", f"Authorization: Bearer {token}", "-s", str(self.script),
                self.base + self.paths[name], "--", self.paths[name], variant, prefix, rfc3339(at), LINE]
        output = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
        figures = parse_wrk(output)
        counts = dict(pair.split("=") for pair in output.split("bench-counts ", 1)[1].split())
        counts = {key: int(value) for key, value in counts.items()}
        figures["rows"] = check_rows(settled_rows(self.database, self.tenant_id, prefix, variant), counts, seeded,
                                     real_ended, self.args.connections)
        return figures

    def load(self, name: str, variant: str, round_number: int, servers) -> dict:
        token = fetch_token(self.base, self.client)
        self.run(name, variant, f"w{round_number}", WARMUP_SECONDS, token)
        meter = CpuMeter(servers())  # after the warm-up: the pool's PostgreSQL backends exist by now
        figures = self.run(name, variant, f"r{round_number}", self.args.duration, token)
        figures |= meter.read()
        # CPU the servers (gunicorn workers, PostgreSQL, Redis, the rq worker) spent per answered request.
        figures["server_cpu_ms_per_request"] = round(1000 * figures["server_cores"] / figures["requests_per_s"], 2)
        return figures

    def compare(self, servers) -> dict:
        """Per variant, real and bare alternating (the first of a round alternates too), so drift hits both."""
        runs = {variant: {REAL: [], BARE: []} for variant in VARIANTS}
        for round_number in range(1, self.args.rounds + 1):
            if self.args.round_quiet_wait:
                log(f"round {round_number}: other processes use {wait_for_quiet(self.args.round_quiet_wait):.2f} "
                    "cores")
            order = (REAL, BARE) if round_number % 2 else (BARE, REAL)
            for variant in VARIANTS:
                for name in order:
                    runs[variant][name].append(self.load(name, variant, round_number, servers))
                log(f"round {round_number}, {variant}: " + ", ".join(
                    f"{name} {runs[variant][name][-1]['requests_per_s']:.0f} req/s p99 "
                    f"{runs[variant][name][-1]['p99_ms']} ms rows {'ok' if runs[variant][name][-1]['rows']['ok'] else 'WRONG'}"
                    for name in (REAL, BARE)))
        return {variant: {name: combine(found) | {"row_checks": [run["rows"] for run in found]}
                          for name, found in by_name.items()} for variant, by_name in runs.items()}


# --- in process: where the difference goes ----------------------------------------------------------

# The layers timed inside whole requests: (module, attribute, label). Nested ones are indented in the label.
def layers():
    from siaga112.platform import db
    from siaga112.platform.identity import access, tokens
    from siaga112.platform.jobs import outbox
    from siaga112.tenants.calls import schemas, service

    return [
        (access, "check_access", "access layer (check_access)"),
        (tokens, "principal_from_bearer", "  token: JWT verified (RS256)"),
        (access, "narrowed", "  what is in force (client not revoked)"),
        (schemas.TelephonyEventSchema, "load", "body schema (TelephonyEventSchema.load)"),
        (service, "intake", "intake (service)"),
        (service, "_dialed", "  dialled line parsed"),
        (service, "_caller", "  caller parsed (phonenumbers)"),
        (service, "route", "  routing: the client's own line under its RLS (lookup_line for gateways)"),
        (service, "_check_replay", "  Idempotency-Key looked up (only when nothing was stored)"),
        (service, "_call_for", "  call inserted RETURNING (selected for update if it existed)"),
        (service, "_recompute", "  recompute: events read (not for a new call), UPDATE, outbox"),
        (service, "_operator", "    agent to operator"),
        (service, "emit", "    outbox insert (call.ended)"),
        (service, "_answer", "  the caller's record: repeat false calls and block, one select"),
        (schemas.IntakeSchema, "dump", "answer schema (IntakeSchema.dump)"),
        (db, "finish_unit_of_work", "commit (unit of work)"),
        (outbox, "try_relay", "  outbox relay to rq after the commit"),
    ]


class LayerTimer:
    """Wraps the layers' functions with timers (in this process only) and keeps, per request, the µs of each."""

    def __init__(self):
        self.spent = collections.Counter()

    def wrap(self, label: str, function):
        def timed(*args, **kwargs):
            started = time.perf_counter_ns()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter_ns() - started
        return timed

    @contextlib.contextmanager
    def installed(self, app, views: dict[str, str]):
        """Every layer, and the view functions of `views` (endpoint -> label), timed."""
        with contextlib.ExitStack() as stack:
            for owner, attribute, label in layers():
                stack.enter_context(mock.patch.object(owner, attribute, self.wrap(label, getattr(owner, attribute))))
            stack.enter_context(mock.patch.dict(app.view_functions, {
                endpoint: self.wrap(label, app.view_functions[endpoint]) for endpoint, label in views.items()}))
            yield


def inside_requests(app, requests: dict, calls: int) -> dict:
    """µs of each layer inside whole requests (test client), the kinds interleaved call by call: median and mean
    per request (a layer a kind never reaches is absent); the means add up, the medians do not."""
    timer = LayerTimer()
    views = {"telephony.TelephonyEvents": "view (real)", "bench_bare_calls.bare_intake": "view (bare)"}
    samples = {kind: collections.defaultdict(list) for kind in requests}
    with timer.installed(app, views):
        for index in range(calls):
            for kind in (list(requests) if index % 2 == 0 else list(requests)[::-1]):
                timer.spent.clear()
                started = time.perf_counter_ns()
                status = requests[kind]().status_code
                if status != 201:
                    raise RuntimeError(f"in-process {kind} request answered {status}")
                samples[kind]["request"].append(time.perf_counter_ns() - started)
                for label, nanoseconds in timer.spent.items():
                    samples[kind][label].append(nanoseconds)
    return {kind: {label: {"median_us": round(statistics.median(values) / 1000, 1),
                           "mean_us": round(statistics.fmean(values) / 1000, 1)} for label, values in parts.items()}
            for kind, parts in samples.items()}


def profile(app, tenant_id, token: str, calls: int, scratch: Path) -> dict:
    """SQL statements and round trips of one intake of each kind, then the layers' µs inside whole requests."""
    from siaga112.platform.db import app_database

    database = app_database(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    counter = iter(range(1, 10**9))
    offered_at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    # Calls to end, enough for every request below: (calls + warm-ups) of the ended kind.
    seed_offered(database, tenant_id, app.secret_key, "prof-ended", 1, calls + 10, offered_at)
    ended = iter(range(1, calls + 11))

    def body(event: str, call_id: str, n: int, at: datetime) -> dict:
        return {"event": event, "call_id": call_id, "dialed": LINE, "caller": caller_of(1, n), "at": rfc3339(at)}

    def post(path: str, event: str, call_id: str, n: int, at: datetime):
        return client.post(path, json=body(event, call_id, n, at),
                           headers=headers | {"Idempotency-Key": f"{call_id}-{event}"})

    def real_offered():
        n = next(counter)
        return post("/api/v1/telephony/events", "offered", f"prof-offered-{n}", n, datetime.now(timezone.utc))

    def real_ended():
        n = next(ended)
        return post("/api/v1/telephony/events", "ended", f"prof-ended-1-{n}", n, offered_at + ENDED_AFTER)

    def bare():
        n = next(counter)
        return post(f"/api/v1/bench-bare/{tenant_id}/events", "offered", f"prof-bare-{n}", n,
                    datetime.now(timezone.utc))

    kinds = {"real offered": real_offered, "real ended": real_ended, BARE: bare}
    for request in kinds.values():
        request()  # the first request of the app: not timed
    statements = {}
    for kind, request in kinds.items():
        database.engine.dispose()  # a fresh pool: every connection the traced request uses was traced
        statements[kind] = round_trips(database.engine, request, scratch)
    return {"calls": calls, "per_request": statements, "layers": inside_requests(app, kinds, calls)}


# --- the bench -------------------------------------------------------------------------------------

def code_measured() -> dict:
    """Which code ran: the commit, and the intake's files that differ from it in the working tree (others edit
    them while benches run, so a figure belongs to a tree, not only to a commit)."""
    def git(*arguments: str) -> str:
        return subprocess.run(["git", "-C", str(HERE), *arguments], capture_output=True, text=True, timeout=30,
                              check=False).stdout.rstrip("\n")

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "changed_in_tree": git("status", "--porcelain", "--", "../../tenants/calls", "../../platform").splitlines()}


def measure(args) -> dict:
    import calls_bench_app
    from siaga112.platform.db import app_database

    complaints, quiet, code = [], None, code_measured()  # before the run: others may commit meanwhile
    with fresh_data_dir("siaga-bench-calls-") as data_dir:
        up = UpRun(data_dir, free_port(), data_dir / "up.log", extra_env={"SIAGA_WEB_WORKERS": "1"})
        log("starting siaga112 up (embedded PostgreSQL and Redis, migrations, regions)")
        up.start()
        bench, port, app = None, free_port(), None
        base = f"http://{LOOPBACK}:{port}"
        try:
            database_url, redis_url = resolved_urls(data_dir)
            env = siaga_env(data_dir, SIAGA_DATABASE_URL=database_url, SIAGA_REDIS_URL=redis_url,
                            SIAGA_PUBLIC_URL=base, SIAGA_WEB_WORKERS=str(WEB_WORKERS))
            slug = cli(env, "tenant", "create", REGION)
            client = json.loads(cli(env, "client", "create", "--tenant", slug, "--name", "PBX bench"))
            app = calls_bench_app.create_app(env | {"SIAGA_LOG_LEVEL": "WARNING"})  # set-up, seeds, checks, profile
            database = app_database(app)
            tenant_id = live_tenant_with_line(database, slug)
            log(f"tenant {slug} live with line {LINE}, machine client {client['client_id']}; starting the bench app")
            bench = start_server(data_dir, env, port)
            runs = Runs(args, base, tenant_id, database, app.secret_key, client, data_dir)

            def servers() -> set[Proc]:
                return related_processes(up.process.pid, str(data_dir)) | related_processes(
                    bench.pid, f"{LOOPBACK}:{port}")

            if args.quiet_wait:
                log(f"waiting up to {args.quiet_wait} s for a quiet machine")
                quiet = wait_for_quiet(args.quiet_wait)
                log(f"other processes use {quiet:.2f} cores")
            log(f"in process: {args.calls} requests of each kind")
            parts = profile(app, tenant_id, fetch_token(base, client), args.calls, data_dir)
            log(f"under load: {args.rounds} rounds of wrk, real and bare alternating, variants {', '.join(VARIANTS)}")
            loaded = runs.compare(servers)
        finally:
            if app is not None:
                app_database(app).dispose()
            if bench is not None:
                complaints += stop_tree(bench, f"{LOOPBACK}:{port}", signal.SIGTERM)[2]
            up.stop()
            complaints += up.leftovers
        problems = server_side_problems(data_dir / "bench-web.log", runs.paths)
    return {
        "bench": "calls",
        "machine": machine() | {"other_cores_before": quiet},
        "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration,
                "warmup_s": WARMUP_SECONDS, "rounds": args.rounds, "round_quiet_wait_s": args.round_quiet_wait},
        "gunicorn_workers": WEB_WORKERS,
        "code": code,
        "paths": {REAL: "/api/v1/telephony/events", BARE: "/api/v1/bench-bare/{tenant_id}/events"},
        "bare_route": "runtime role under RLS, tenant context in the after_begin set_config; ORM insert of "
                      "Call + CallEvent; nothing else",
        "goal": {"real_over_bare_rps": GOAL_RATIO, "p99_ms": GOAL_P99_MS},
        "results": {variant: verdicts(found) for variant, found in loaded.items()},
        "in_process": parts,
        "server_side": problems,
        "leftovers": complaints,
        "cli_models_first_workaround": cli_workarounds,
    }


def verdicts(found: dict) -> dict:
    """One variant's figures with the ratios and whether the goal is met (all rounds, and quiet rounds alone)."""
    real, bare = found[REAL], found[BARE]
    ratio = round(real["requests_per_s"] / bare["requests_per_s"], 3)
    quiet = None
    if real["quiet"] and bare["quiet"]:
        quiet = round(real["quiet"]["requests_per_s"] / bare["quiet"]["requests_per_s"], 3)
    return found | {"real_over_bare_rps": ratio, "quiet_real_over_bare_rps": quiet,
                    "real_over_bare_cpu_per_request": round(real["server_cpu_ms_per_request"]
                                                            / bare["server_cpu_ms_per_request"], 2),
                    "rows_ok": all(check["ok"] for name in (REAL, BARE) for check in found[name]["row_checks"]),
                    "meets_goal": ratio >= GOAL_RATIO and real["p99_ms"] <= GOAL_P99_MS}


def median_and_mean(figures: dict | None) -> str:
    return f"{figures['median_us']} / {figures['mean_us']}" if figures else ""


def table(result: dict) -> None:
    wrk = result["wrk"]
    rows = []
    for variant, found in result["results"].items():
        for name in (REAL, BARE):
            f = found[name]
            unanswered = sum(check["stored_unanswered_at_stop"] for check in f["row_checks"])
            rows.append([f"{variant}, {name}", f"{f['requests_per_s']:.0f}", f["p50_ms"], f["p99_ms"], f["non_2xx"],
                         f["socket_errors"], f["server_cpu_ms_per_request"], f["other_cores"],
                         " ".join(str(r["requests_per_s"]) for r in f["rounds"]),
                         "ok" if all(c["ok"] for c in f["row_checks"]) else "WRONG", unanswered])
        quiet = f"; quiet rounds {found['quiet_real_over_bare_rps']:.0%}" if found["quiet_real_over_bare_rps"] else ""
        rows.append([f"{variant}, ratio", f"real {found['real_over_bare_rps']:.0%} of bare{quiet}", "",
                     f"goal: {'met' if found['meets_goal'] else 'NOT met'}", "", "", "",
                     f"real {found['real_over_bare_cpu_per_request']:.2f}x", "", "", ""])
    print_table(f"POST {result['paths']['real']} (real) and {result['paths']['bare']} (bare): wrk -t{wrk['threads']} "
                f"-c{wrk['connections']} -d{wrk['duration_s']}s, median of {wrk['rounds']} alternating rounds "
                f"(gunicorn, {result['gunicorn_workers']} sync workers); goal: real ≥ "
                f"{result['goal']['real_over_bare_rps']:.0%} of bare and p99 ≤ {result['goal']['p99_ms']:.0f} ms",
                ["variant, route", "req/s", "p50 ms", "p99 ms", "non-2xx", "socket err", "server CPU ms/req",
                 "other cores", "rounds req/s", "rows = 201s", "stored unanswered at stop"], rows)
    parts = result["in_process"]
    for kind, counted in parts["per_request"].items():
        print(f"  {kind}: {len(counted['statements'])} SQL statements, {counted['round_trips']} round trips to "
              f"PostgreSQL ({counted['traced_connections']} connections traced): " + " | ".join(counted["statements"]))
    kinds = list(parts["layers"])
    labels = ["request"] + [label for label in dict.fromkeys(
        label for kind in kinds for label in parts["layers"][kind]) if label != "request"]
    print_table(f"Inside whole requests (test client, kinds interleaved, {parts['calls']} each; µs, median / mean)",
                ["layer"] + kinds,
                [[label] + [median_and_mean(parts["layers"][kind].get(label)) for kind in kinds] for label in labels])
    print(f"  code: commit {result['code']['commit']}, changed in the working tree: "
          f"{', '.join(result['code']['changed_in_tree']) or 'nothing'}")
    print(f"  server side: {result['server_side']}; left over: {result['leftovers'] or 'none'}")
    if result["cli_models_first_workaround"]:
        print("  set-up: these CLI commands were re-run with every model imported first: "
              + ", ".join(result["cli_models_first_workaround"]))
    print(f"  other cores: CPU used meanwhile by processes outside the bench (of {result['machine']['cpus']}; "
          f"{result['machine']['other_cores_before']} just before measuring); above ~{QUIET_CORES} the figures are "
          "noisy")


# name: (default, lowest, highest, help); the wrk options are tenant_api.py's and regions_api.py's.
OPTIONS = {
    "duration": (10, 1, 120, "seconds of each measured wrk run"),
    "threads": (2, 1, 8, "wrk threads"),
    "connections": (16, 1, 256, "wrk connections"),
    "rounds": (3, 1, 10, "alternating rounds of real and bare; figures are their medians"),
    "calls": (300, 10, 5000, "requests of each kind in the in-process breakdown"),
    "seed-rate": (1500, 100, 20000, "calls seeded per second of an `ended` run: above the fastest real run"),
    "quiet-wait": (600, 0, 1800, "wait up to this many s for the rest of the machine to go quiet before measuring"),
    "round-quiet-wait": (120, 0, 600, "before each round, wait up to this many s for a quiet machine again"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, (default, low, high, explained) in OPTIONS.items():
        parser.add_argument(f"--{name}", type=int, default=default, choices=range(low, high + 1), metavar="N",
                            help=f"{explained} ({low}-{high}, default {default})")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("calls.py needs wrk: apt-get install -y wrk")
    emit(measure(args), table, args.json_only)


if __name__ == "__main__":
    main()
