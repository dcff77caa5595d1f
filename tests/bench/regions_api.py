"""GET /api/v1/regions and the public home page under load: the real endpoints (under `siaga112 up`)
against a bare Flask app that returns the byte-identical bodies, both under gunicorn with the same argv
and settings.

Needs `wrk` (Debian: `apt-get install -y wrk`). Loopback only; every wrk run is bounded by --duration.

    .venv/bin/python tests/bench/regions_api.py [--duration 10] [--rounds 3] [--threads 2] [--connections 16]
                                                     [--quiet-wait S] [--retries N] [--siaga-log-level LEVEL]
                                                     [--json-only]
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
from pathlib import Path

from benchlib import (HERE, LOOPBACK, CpuMeter, Proc, UpRun, emit, free_port, fresh_data_dir, http_get, log,
                      machine, print_table, related_processes, siaga_env, stop_tree, tail, wait_for_200,
                      wait_for_quiet)

# Each measured address: the API's two queries, then the home page (as a phone opens it, and a search).
QUERIES = ("/api/v1/regions?province=33", "/api/v1/regions?province=33&q=kota", "/", "/?q=Pekalongan")
ENDPOINT = "/api/v1/regions and /"
COPIED_HEADERS = ("Content-Type", "X-Pagination", "ETag", "Last-Modified", "Cache-Control", "Vary")
WARMUP_SECONDS = 2
QUIET_CORES = 0.3  # CPU of other processes (in cores) under which the machine counts as quiet
WEB_WORKERS = 2


# --- the two servers ---------------------------------------------------------

def capture(base: str, folder: Path) -> Path:
    """Fetch every query from the real endpoint; write the bodies and a manifest for bare_app."""
    manifest = {}
    for index, query in enumerate(QUERIES):
        status, headers, body = http_get(f"{base}{query}")
        if status != 200:
            raise RuntimeError(f"{query} answered {status}: {body[:300]!r}")
        body_file = folder / f"body-{index}.json"
        body_file.write_bytes(body)
        manifest[query] = {"body_file": str(body_file),
                           "headers": {name: headers[name] for name in COPIED_HEADERS if name in headers}}
    path = folder / "responses.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path


def bare_argv(port: int) -> list[str]:
    """platform/runner.py's web argv, with the bare app in place of the platform's."""
    from siaga112.platform.runner import service_argv

    web = service_argv(LOOPBACK, port, WEB_WORKERS)["web"]
    return web[:-1] + ["--chdir", str(HERE), "bare_app:create_app()"]


def start_bare(data_dir: Path, manifest: Path, port: int) -> subprocess.Popen:
    runtime_dir = data_dir / "bare-run"  # gunicorn puts its control socket in XDG_RUNTIME_DIR
    runtime_dir.mkdir(mode=0o700)
    env = siaga_env(data_dir, BENCH_RESPONSES=str(manifest), XDG_RUNTIME_DIR=str(runtime_dir))
    with open(data_dir / "bare.log", "ab") as log_file:
        process = subprocess.Popen(bare_argv(port), env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    if not wait_for_200(f"http://{LOOPBACK}:{port}{QUERIES[0]}", process, timeout=60):
        stop_tree(process, f"{LOOPBACK}:{port}", signal.SIGTERM)
        raise RuntimeError("the bare app did not start; see its log:\n" + tail(data_dir / "bare.log"))
    return process


# --- wrk ---------------------------------------------------------------------

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
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups())))
        if errors else {},
    }


def run_wrk(url: str, threads: int, connections: int, seconds: int) -> dict:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency", url]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=True)
    return parse_wrk(result.stdout)


def load(url: str, servers: set[Proc], args) -> dict:
    """A short warm-up, then the measured run, with the CPU the servers and everything else used meanwhile.
    With --quiet-wait, each run first waits for a quiet machine and is redone (--retries times at most)
    when other processes used more than QUIET_CORES during it."""
    for attempt in range(1, args.retries + 2):
        if args.quiet_wait:
            wait_for_quiet(args.quiet_wait, QUIET_CORES)
        run_wrk(url, args.threads, args.connections, WARMUP_SECONDS)
        meter = CpuMeter(servers)
        figures = run_wrk(url, args.threads, args.connections, args.duration) | meter.read()
        if not args.quiet_wait or figures["other_cores"] <= QUIET_CORES:
            break
    return figures | {"attempts": attempt}


def combine(runs: list[dict]) -> dict:
    """Rounds of one (query, server): median of each figure, sums of the failures."""
    median = {key: round(statistics.median(run[key] for run in runs), 2)
              for key in ("requests_per_s", "p50_ms", "p99_ms", "server_cores", "other_cores")}
    failures = {"requests": sum(r["requests"] for r in runs), "non_2xx": sum(r["non_2xx"] for r in runs),
                "socket_errors": sum(sum(r["socket_errors"].values()) for r in runs)}
    return median | failures | {"rounds_requests_per_s": [round(r["requests_per_s"]) for r in runs],
                                "rounds_other_cores": [r["other_cores"] for r in runs],
                                "attempts": sum(r["attempts"] for r in runs)}


# --- the platform's own view of the load -------------------------------------

def server_side_problems(up_log: Path) -> dict:
    """What the platform logged while under load: 5xx answers, errors, worker timeouts."""
    statuses, errors, timeouts = {}, 0, 0
    for line in up_log.read_text(errors="replace").splitlines():
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
        if record.get("logger") == "siaga112.request" and isinstance(record.get("status"), int):
            statuses[record["status"]] = statuses.get(record["status"], 0) + 1
    return {"logged_5xx": sum(n for s, n in statuses.items() if s >= 500), "logged_errors": errors,
            "worker_timeouts": timeouts}


# --- the bench ---------------------------------------------------------------

def compare(targets: dict[str, tuple[str, set[Proc]]], args) -> list[dict]:
    """Alternate real and bare, query by query, for `args.rounds` rounds, so that a change in the
    machine's background load hits both alike."""
    runs = {(query, name): [] for query in QUERIES for name in targets}
    for round_number in range(1, args.rounds + 1):
        for query in QUERIES:
            for name, (base, servers) in targets.items():
                runs[query, name].append(load(f"{base}{query}", servers, args))
            log(f"round {round_number}, {query}: " + ", ".join(
                f"{name} {runs[query, name][-1]['requests_per_s']:.0f} req/s" for name in targets))
    results = []
    for query in QUERIES:
        real, bare = combine(runs[query, "real"]), combine(runs[query, "bare"])
        results.append({"query": query, "real": real, "bare": bare,
                        "bare_over_real_rps": round(bare["requests_per_s"] / real["requests_per_s"], 2),
                        "real_over_bare_p50": round(real["p50_ms"] / bare["p50_ms"], 2)})
    return results


def measure(args) -> dict:
    extra_env = {"SIAGA_WEB_WORKERS": str(WEB_WORKERS)}
    if args.siaga_log_level:
        extra_env["SIAGA_LOG_LEVEL"] = args.siaga_log_level
    complaints = []
    with fresh_data_dir("siaga-bench-api-") as data_dir:
        up = UpRun(data_dir, free_port(), data_dir / "up.log", extra_env=extra_env)
        up.start()
        bare, bare_port = None, free_port()
        try:
            manifest = capture(up.base, data_dir)
            bare = start_bare(data_dir, manifest, bare_port)
            bare_base = f"http://{LOOPBACK}:{bare_port}"
            results = compare({"real": (up.base, related_processes(up.process.pid, str(data_dir))),
                               "bare": (bare_base, related_processes(bare.pid, f"{LOOPBACK}:{bare_port}"))}, args)
            unchanged = all(http_get(f"{up.base}{query}")[2] == Path(entry["body_file"]).read_bytes()
                            for query, entry in json.loads(manifest.read_text()).items())
        finally:
            if bare is not None:
                complaints += stop_tree(bare, f"{LOOPBACK}:{bare_port}", signal.SIGTERM)[2]
            up.stop()
            complaints += up.leftovers
        problems = server_side_problems(up.log_path)
    return {
        "bench": "regions_api",
        "machine": machine(),
        "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration,
                "warmup_s": WARMUP_SECONDS, "rounds": args.rounds, "quiet_wait_s": args.quiet_wait},
        "gunicorn_workers": WEB_WORKERS,
        "siaga_log_level": args.siaga_log_level or "platform default",
        "results": results,
        "real_bodies_unchanged_after_load": unchanged,
        "server_side": problems,
        "leftovers": complaints,
    }


def table(result: dict) -> None:
    rows = []
    for entry in result["results"]:
        for name in ("real", "bare"):
            f = entry[name]
            rows.append([entry['query'], name, f"{f['requests_per_s']:.0f}", f["p50_ms"], f["p99_ms"],
                         f["non_2xx"], f["socket_errors"], f["server_cores"], f["other_cores"]])
        rows.append(["", "ratio", f"bare {entry['bare_over_real_rps']:.1f}x req/s",
                     f"real {entry['real_over_bare_p50']:.1f}x", "", "", "", "", ""])
    wrk = result["wrk"]
    print_table(f"GET {ENDPOINT}: wrk -t{wrk['threads']} -c{wrk['connections']} -d{wrk['duration_s']}s, "
                f"median of {wrk['rounds']} alternating rounds (gunicorn, {result['gunicorn_workers']} sync workers, "
                f"log level {result['siaga_log_level']})",
                ["query", "server", "req/s", "p50 ms", "p99 ms", "non-2xx", "socket err", "server cores",
                 "other cores"], rows)
    print(f"  server side: {result['server_side']}; bodies unchanged after load: "
          f"{result['real_bodies_unchanged_after_load']}; left over: {result['leftovers'] or 'none'}")
    redone = sum(e[name]["attempts"] - result["wrk"]["rounds"] for e in result["results"] for name in ("real", "bare"))
    print("  other cores: CPU used meanwhile by processes outside the bench (of "
          f"{result['machine']['cpus']}); high values mean a busy machine and noisy figures"
          + (f"; runs redone because of them: {redone}" if result["wrk"]["quiet_wait_s"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, choices=range(1, 121), metavar="S", help="1-120")
    parser.add_argument("--threads", type=int, default=2, choices=range(1, 9), metavar="N", help="1-8")
    parser.add_argument("--connections", type=int, default=16, choices=range(1, 257), metavar="N", help="1-256")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 11), metavar="N",
                        help="alternating rounds of real and bare (1-10); figures are their medians")
    parser.add_argument("--quiet-wait", type=int, default=0, choices=range(601), metavar="S",
                        help=f"before each run, wait up to S s (0-600) for other processes to use under {QUIET_CORES} "
                             "cores, and redo a run during which they did not")
    parser.add_argument("--retries", type=int, default=2, choices=range(6), metavar="N",
                        help="with --quiet-wait: redo a busy run at most N times (0-5)")
    parser.add_argument("--siaga-log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="SIAGA_LOG_LEVEL for `up` (default: the platform's)")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("regions_api.py needs wrk: apt-get install -y wrk")
    emit(measure(args), table, args.json_only)


if __name__ == "__main__":
    main()
