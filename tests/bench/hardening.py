"""[W2 1/6]'s figures: how fast a revoked role stops working, and what is served while Redis is down.

One `siaga112 up` (2 gunicorn workers, the embedded PostgreSQL) on a Redis owned by this bench, so
that the bench can stop it for as long as it likes (`up` would start its own embedded Redis again).

1. Revocation: an operator's bearer token; a regional admin revokes the membership through the API;
   from the revocation's answer, the token is tried every 20 ms on fresh connections (so both workers
   answer) until it has been refused 20 times in a row: the first refusal and the last acceptance are
   reported (ms). Then the same with Redis stopped (nobody can announce the change: each process
   re-reads after its short trust).
2. Redis down for --outage seconds while 3 threads loop over what people do: a signed-in page, an
   API read, an API write (an agency), and a new sign-in through the form. Every answer is counted by
   class (2xx/3xx served, 4xx, 5xx, connection errors) for the outage and for as long a time before
   it. When Redis is back: seconds until no outbox event is left waiting.

    .venv/bin/python tests/bench/hardening.py [--outage 60] [--revocations 5] [--json-only]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from benchlib import SIAGA112, UpRun, emit, free_port, fresh_data_dir, log, machine, print_table, siaga_env

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from siaga112.platform.embedded import EmbeddedRedis  # noqa: E402

PASSWORD = "sembilan satu satu dua"
TENANT = "kota-pekalongan"  # a demo tenant `up` seeds
ADMIN = "admin.pekalongan@demo.siaga112.id"


def cli(data_dir: Path, extra_env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([SIAGA112, *args], env=siaga_env(data_dir, **extra_env), input=stdin,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"siaga112 {' '.join(args)}: {result.stderr[-2000:]}")
    return result.stdout.strip()


def call(url: str, method: str = "GET", token: str | None = None, body: dict | None = None,
         opener=None, form: dict | None = None) -> int:
    """The status of one request, on a new connection; 0 when the connection itself failed."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data, headers["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=15) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def signed_in_browser(base: str, email: str):
    """An opener holding a session cookie of `email`, and a function giving the CSRF token of a page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    if sign_in(base, opener, email) != 302:
        raise RuntimeError(f"could not sign in as {email}")
    return opener


def sign_in(base: str, opener, email: str) -> int:
    try:
        with opener.open(f"{base}/sign-in", timeout=15) as page:
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode()).group(1)
    except (OSError, AttributeError):
        return 0
    return call(f"{base}/sign-in", "POST", opener=opener,
                form={"email": email, "password": PASSWORD, "csrf_token": token})


# --- 1. revocation ---------------------------------------------------------------------------------

def revocation_ms(base: str, data_dir: Path, env: dict, admin_token: str) -> dict:
    email = f"op-{uuid.uuid4().hex[:8]}@bench.siaga112.id"
    cli(data_dir, env, "user", "create", email, "--role", "operator", "--tenant", TENANT, "--password-stdin",
        stdin=PASSWORD + "\n")
    token = cli(data_dir, env, "token", "issue", email, "--ttl", "3600")
    probe = f"{base}/api/v1/tenants/{TENANT}/agencies"
    assert call(probe, token=token) == 200
    members = json.loads(urllib.request.urlopen(urllib.request.Request(
        f"{base}/api/v1/tenants/{TENANT}/members?page_size=500",
        headers={"Authorization": f"Bearer {admin_token}"}), timeout=15).read())
    membership = next(m for m in members if m["email"] == email)
    path = f"{base}/api/v1/tenants/{TENANT}/members/{membership['id']}"
    with urllib.request.urlopen(urllib.request.Request(path, headers={"Authorization": f"Bearer {admin_token}"})) as r:
        etag = r.headers["ETag"]
    request = urllib.request.Request(path, method="DELETE", headers={"Authorization": f"Bearer {admin_token}",
                                                                      "If-Match": etag})
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 204
    revoked = time.monotonic()
    first_refusal, last_acceptance, refused_in_a_row = None, 0.0, 0
    while refused_in_a_row < 20 and time.monotonic() - revoked < 30:
        status = call(probe, token=token)
        now = (time.monotonic() - revoked) * 1000
        if status == 404:
            first_refusal = first_refusal if first_refusal is not None else now
            refused_in_a_row += 1
        else:
            last_acceptance, refused_in_a_row = now, 0
        time.sleep(0.02)
    return {"first_refusal_ms": round(first_refusal or -1), "last_acceptance_ms": round(last_acceptance)}


# --- 2. what is served while Redis is down ---------------------------------------------------------

class Load:
    """Threads looping over a signed-in page, an API read, an API write and a new sign-in; answers counted.
    Every tenth round a platform admin also creates a tenant, whose `tenant.created` event goes through
    the outbox (a region's categories are seeded from it)."""

    def __init__(self, base: str, admin_token: str, platform_token: str, monitor_email: str, threads: int = 3):
        self.base, self.token, self.platform_token, self.monitor = base, admin_token, platform_token, monitor_email
        regions = json.loads(urllib.request.urlopen(f"{base}/api/v1/regions?page_size=600", timeout=30).read())
        self.free_regions = [r["code"] for r in regions if r["code"] not in ("33.75", "18.72", "18.04")
                             and r.get("kind") != "province"]
        self.counts: dict[str, dict[str, int]] = {}
        self.phase = "before"
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(threads)]

    def count(self, what: str, status: int) -> None:
        kind = "served" if 200 <= status < 400 else "refused_4xx" if 400 <= status < 500 else \
            "failed_5xx" if status >= 500 else "connection_error"
        with self.lock:
            phase = self.counts.setdefault(self.phase, {})
            phase[kind] = phase.get(kind, 0) + 1
            phase[f"{what}:{kind}"] = phase.get(f"{what}:{kind}", 0) + 1

    def loop(self) -> None:
        browser = signed_in_browser(self.base, ADMIN)
        rounds = 0
        while not self.stopping.is_set():
            rounds += 1
            if rounds % 10 == 0:
                with self.lock:
                    code = self.free_regions.pop() if self.free_regions else None
                if code:
                    self.count("tenant_create", call(f"{self.base}/api/v1/tenants", "POST", token=self.platform_token,
                                                     body={"region_code": code}))
            self.count("page", call(f"{self.base}/tenants/{TENANT}/agencies", opener=browser))
            self.count("api_read", call(f"{self.base}/api/v1/tenants/{TENANT}/numbers", token=self.token))
            self.count("api_write", call(f"{self.base}/api/v1/tenants/{TENANT}/agencies", "POST", token=self.token,
                                         body={"name": f"Bench {uuid.uuid4().hex[:10]}", "kind": "other"}))
            newcomer = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)
            self.count("sign_in", sign_in(self.base, newcomer, self.monitor))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


def outbox_pending(data_dir: Path, env: dict) -> int:
    url = cli(data_dir, env, "db", "url")
    out = subprocess.run(["psql", url, "-Atc", "SELECT count(*) FROM outbox WHERE relayed_at IS NULL"],
                         capture_output=True, text=True, timeout=60)
    return int(out.stdout.strip() or -1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--revocations", type=int, default=5)
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()

    with fresh_data_dir("siaga-bench-hardening-") as data_dir:
        redis = EmbeddedRedis(data_dir / "bench-redis")
        env = {"SIAGA_REDIS_URL": redis.start(), "SIAGA_WEB_WORKERS": "2", "SIAGA_LOG_LEVEL": "WARNING"}
        run = UpRun(data_dir, free_port(), data_dir / "up.log", extra_env=env)
        run.start()
        try:
            cli(data_dir, env, "user", "set-password", ADMIN, "--password-stdin", stdin=PASSWORD + "\n")
            monitor = "monitor@demo.siaga112.id"
            cli(data_dir, env, "user", "set-password", monitor, "--password-stdin", stdin=PASSWORD + "\n")
            admin_token = cli(data_dir, env, "token", "issue", ADMIN, "--ttl", "3600")
            platform_token = cli(data_dir, env, "token", "issue", "admin@demo.siaga112.id", "--ttl", "3600")

            log("revocation with Redis up")
            with_redis = [revocation_ms(run.base, data_dir, env, admin_token) for _ in range(args.revocations)]
            redis.stop()
            log("revocation with Redis down")
            without_redis = [revocation_ms(run.base, data_dir, env, admin_token) for _ in range(args.revocations)]
            redis.start()
            time.sleep(3)

            log(f"load for {args.outage:.0f} s with Redis up, then {args.outage:.0f} s with it down")
            load = Load(run.base, admin_token, platform_token, monitor)
            load.start()
            time.sleep(args.outage)
            load.phase = "redis_down"
            redis.stop()
            time.sleep(args.outage)
            pending_at_end = outbox_pending(data_dir, env)
            load.phase = "after"
            redis.start()
            back = time.monotonic()
            while outbox_pending(data_dir, env) > 0 and time.monotonic() - back < 120:
                time.sleep(0.5)
            drained_s = round(time.monotonic() - back, 1)
            load.stop()
        finally:
            run.stop()
            redis.stop()

    def stats(rows, key):
        values = [row[key] for row in rows]
        return {"median": statistics.median(values), "max": max(values)}

    result = {
        "bench": "hardening", "machine": machine(), "outage_seconds": args.outage,
        "revocation_with_redis": {"first_refusal_ms": stats(with_redis, "first_refusal_ms"),
                                  "last_acceptance_ms": stats(with_redis, "last_acceptance_ms"), "runs": with_redis},
        "revocation_without_redis": {"first_refusal_ms": stats(without_redis, "first_refusal_ms"),
                                     "last_acceptance_ms": stats(without_redis, "last_acceptance_ms"),
                                     "runs": without_redis},
        "load": load.counts, "outbox_waiting_when_redis_came_back": pending_at_end,
        "seconds_until_the_outbox_was_empty": drained_s, "leftover_processes": run.leftovers,
    }

    def table(r):
        print_table("Revocation: from the DELETE's answer to the token's refusal (ms)",
                    ["Redis", "first refusal (median/max)", "last acceptance (median/max)"],
                    [[name, f"{r[key]['first_refusal_ms']['median']}/{r[key]['first_refusal_ms']['max']}",
                      f"{r[key]['last_acceptance_ms']['median']}/{r[key]['last_acceptance_ms']['max']}"]
                     for name, key in (("up", "revocation_with_redis"), ("down", "revocation_without_redis"))])
        phases = r["load"]
        print_table(f"Requests with Redis up, then down for {r['outage_seconds']:.0f} s",
                    ["phase", "served", "4xx", "5xx", "connection errors"],
                    [[phase, counts.get("served", 0), counts.get("refused_4xx", 0), counts.get("failed_5xx", 0),
                      counts.get("connection_error", 0)] for phase, counts in phases.items()])
        print(f"  outbox events waiting when Redis came back: {r['outbox_waiting_when_redis_came_back']}; "
              f"relayed within {r['seconds_until_the_outbox_was_empty']} s")

    emit(result, table, args.json_only)


if __name__ == "__main__":
    main()
