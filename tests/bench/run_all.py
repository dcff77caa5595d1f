"""Run every benchmark, each in its own process and data dir; print the tables, then one JSON document.

    .venv/bin/python tests/bench/run_all.py           # full run, about 6 minutes
    .venv/bin/python tests/bench/run_all.py --quick   # smoke run of the harness, about 1 minute
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import bench_coverage
import calls
import dispatch
import onboarding
import regions_api
import regions_sync
import startup
from benchlib import HERE, log, wait_for_quiet

BENCHES = {
    "up_start": (startup, ["--runs", "3"], ["--runs", "1"]),
    "regions_sync": (regions_sync, ["--repeats", "5", "--cli-repeats", "3"], ["--repeats", "2", "--cli-repeats", "1"]),
    "regions_api": (regions_api, ["--duration", "10", "--rounds", "3"], ["--duration", "2", "--rounds", "1"]),
    "coverage": (bench_coverage, ["--repeats", "20"], ["--repeats", "3", "--tenants", "20"]),
    "onboarding": (onboarding, ["--repeats", "20"], ["--repeats", "3", "--tenants", "20", "--wrk-duration", "1"]),
    "calls": (calls, ["--duration", "10", "--rounds", "3", "--quiet-wait", "120"],
              ["--duration", "2", "--rounds", "1", "--calls", "20", "--quiet-wait", "0", "--round-quiet-wait", "0"]),
    "dispatch": (dispatch, ["--repeats", "20"], ["--quick"]),
}
BENCH_TIMEOUT = 2 * 3600  # seconds; each bench bounds its own waits below this


def run_bench(module, arguments: list[str]) -> dict:
    argv = [sys.executable, str(HERE / f"{module.__name__}.py"), *arguments, "--json-only"]
    result = subprocess.run(argv, stdout=subprocess.PIPE, text=True, timeout=BENCH_TIMEOUT, check=True)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and shorter loads (checks the harness)")
    parser.add_argument("--only", choices=sorted(BENCHES), action="append", help="run only this bench (repeatable)")
    parser.add_argument("--quiet-wait", type=int, default=0, choices=range(1801), metavar="S",
                        help="before each bench (and each wrk run), wait up to S s (0-1800) for the rest of the "
                             "machine to go quiet")
    args = parser.parse_args()
    results = {}
    for name, (module, full, quick) in BENCHES.items():
        if args.only and name not in args.only:
            continue
        if args.quiet_wait:
            log(f"waiting up to {args.quiet_wait} s for a quiet machine")
            log(f"other processes use {wait_for_quiet(args.quiet_wait):.2f} cores")
        log(f"running {name}")
        extra = ["--quiet-wait", str(min(args.quiet_wait, 120))] if args.quiet_wait and module is regions_api else []
        results[name] = run_bench(module, (quick if args.quick else full) + extra)
    for name, result in results.items():
        BENCHES[name][0].table(result)
    print()
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
