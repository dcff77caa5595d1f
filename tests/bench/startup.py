"""`siaga112 up` start time: seconds from process start to the first 200 from /readyz.

One cold run creates the data (initdb, roles, migrations, regions), then RUNS warm runs reuse it.
Each run is stopped with SIGINT and must leave no process behind (gunicorn, rq worker, rq cron,
redis-server, postgres).

    .venv/bin/python tests/bench/startup.py [--runs 3] [--json-only]
"""

from __future__ import annotations

import argparse

from benchlib import UpRun, emit, free_port, fresh_data_dir, log, machine, print_table, summary


def one_run(data_dir, index: int) -> UpRun:
    run = UpRun(data_dir, free_port(), data_dir / f"up-{index}.log")
    ready = run.start()
    stop = run.stop()
    log(f"run {index}: ready after {ready:.2f} s (children started at {run.children_started_s} s, "
        f"other processes used {run.other_cores} cores), "
        f"stopped in {stop:.2f} s, {len(run.processes)} processes, {len(run.leftovers)} left over")
    return run


def measure(runs: int) -> dict:
    with fresh_data_dir("siaga-bench-up-") as data_dir:
        cold = one_run(data_dir, 0)
        warm = [one_run(data_dir, index) for index in range(1, runs + 1)]
    every = [cold] + warm
    return {
        "bench": "up_start",
        "machine": machine(),
        "cold_ready_s": round(cold.ready_s, 3),
        "warm_ready_s": summary([r.ready_s for r in warm]),
        "warm_children_started_s": _summary_or_none([r.children_started_s for r in warm]),
        "stop_s": summary([r.stop_s for r in every]),
        "other_cores_during_start": [r.other_cores for r in every],
        "processes_per_run": [len(r.processes) for r in every],
        "leftovers": [line for r in every for line in r.leftovers],
    }


def _summary_or_none(values: list) -> dict | None:
    return summary(values) if None not in values else None


def _row(name: str, stats: dict) -> list:
    return [name, stats["n"], stats["min"], stats["median"], stats["max"]]


def table(result: dict) -> None:
    cold = result["cold_ready_s"]
    rows = [["cold (first run, creates data)", 1, cold, cold, cold], _row("warm", result["warm_ready_s"])]
    if result["warm_children_started_s"]:
        rows.append(_row("  of which before children start", result["warm_children_started_s"]))
    rows.append(_row("stop (SIGINT -> up exited)", result["stop_s"]))
    print_table("siaga112 up: process start -> first 200 from /readyz (seconds)",
                ["run", "n", "min", "median", "max"], rows)
    print(f"  CPU used by other processes while starting (cores of {result['machine']['cpus']}, per run): "
          f"{result['other_cores_during_start']}")
    print(f"  processes seen per run: {result['processes_per_run']}; "
          f"left over after stop: {len(result['leftovers']) or 'none'}")
    for line in result["leftovers"]:
        print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, choices=range(1, 21), metavar="N", help="warm runs (1-20)")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    emit(measure(args.runs), table, args.json_only)


if __name__ == "__main__":
    main()
