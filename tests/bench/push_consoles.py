"""Live push with many consoles open: from a transaction's commit to each open stream hearing of it.

`siaga112 push` (one process, as `siaga112 up` runs it) on the bench's own embedded Redis; --consoles
SSE streams of one tenant opened with aiohttp's client in this process; then --messages transactions,
one every --spacing ms, each a real committed transaction on the bench's own embedded PostgreSQL (as
the runtime role, SELECT 1 and `push.publish`), from a thread of its own. The clock starts in the
transaction's first after-commit step (the instant the commit is known, just before publish's own
PUBLISH) and stops when a stream has read the event's line. Reported: p50/p95/max over every
stream × message, how many never arrived, and the push process's RSS (idle, with the streams open, after)
and CPU while the messages flowed.

    .venv/bin/python tests/bench/push_consoles.py [--consoles 200] [--messages 200] [--spacing 50] [--json-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from benchlib import (CLOCK_TICKS, SIAGA112, LOOPBACK, Proc, emit, free_port, fresh_data_dir, http_get, log, machine,
                      print_table, process_ticks, siaga_env)

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from sqlalchemy import text  # noqa: E402

from siaga112.platform.config import Settings  # noqa: E402
from siaga112.platform.db import Database, bootstrap, database_urls, on_commit  # noqa: E402
from siaga112.platform.embedded import EmbeddedRedis, start_postgres, stop_postgres  # noqa: E402
from siaga112.platform.push import publish, push_token  # noqa: E402
from siaga112.platform.secrets import stored_secret  # noqa: E402
from siaga112.platform.tenancy.context import PLATFORM  # noqa: E402

READY_TIMEOUT = 60.0


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Consoles:
    """`count` open streams of one tenant; each records when it read message i."""

    def __init__(self, port: int, tenant_id: uuid.UUID, token: str, count: int):
        self.url = f"http://{LOOPBACK}:{port}/push/{tenant_id}?token={token}"
        self.count = count
        self.received: list[dict[int, float]] = [{} for _ in range(count)]
        self.opened = 0
        self.all_open = asyncio.Event()

    async def run(self, done: asyncio.Event) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=0)  # the default 100 would queue half the consoles
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
            readers = [asyncio.create_task(self._read(client, index)) for index in range(self.count)]
            await done.wait()
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)

    async def _read(self, client, index: int) -> None:
        async with client.get(self.url) as response:
            if response.status != 200:
                raise RuntimeError(f"stream {index}: HTTP {response.status}")
            await response.content.readline()  # the retry hint: registered with the hub from here on
            self.opened += 1
            if self.opened == self.count:
                self.all_open.set()
            mine = self.received[index]
            async for line in response.content:
                if line.startswith(b"data: "):
                    topic = json.loads(line[6:])["topic"]
                    if topic.startswith("m"):
                        mine.setdefault(int(topic[1:]), time.monotonic())


def publish_all(database: Database, tenant_id: uuid.UUID, messages: int, spacing: float) -> list[float]:
    """Commit `messages` transactions `spacing` s apart; return each one's commit instant."""
    committed_at = [0.0] * messages
    next_at = time.monotonic()
    for i in range(messages):
        with database.transaction(PLATFORM) as session:
            session.execute(text("SELECT 1"))
            on_commit(session, lambda i=i: committed_at.__setitem__(i, time.monotonic()))  # before publish's own
            publish(session, tenant_id, f"m{i}")
        next_at += spacing
        time.sleep(max(0.0, next_at - time.monotonic()))
    return committed_at


async def measure_async(port: int, pid: int, database: Database, secret: str, args) -> dict:
    tenant_id = uuid.uuid4()
    consoles = Consoles(port, tenant_id, push_token(secret, tenant_id, uuid.uuid4()), args.consoles)
    done = asyncio.Event()
    rss_idle = rss_kib(pid)
    runner = asyncio.create_task(consoles.run(done))
    await asyncio.wait_for(consoles.all_open.wait(), READY_TIMEOUT)
    await asyncio.sleep(1.0)
    rss_open = rss_kib(pid)
    log(f"{args.consoles} streams open; publishing {args.messages} messages {args.spacing} ms apart")

    process = {Proc(pid, int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]), "push")}
    ticks, wall = process_ticks(process), time.monotonic()
    committed_at = await asyncio.to_thread(publish_all, database, tenant_id, args.messages, args.spacing / 1000)
    await asyncio.sleep(2.0)  # stragglers
    cpu_s, wall = (process_ticks(process) - ticks) / CLOCK_TICKS, time.monotonic() - wall
    rss_after = rss_kib(pid)
    done.set()
    await runner

    latencies = [(stream[i] - committed_at[i]) * 1000 for stream in consoles.received for i in stream]
    expected = args.consoles * args.messages
    return {
        "bench": "push_consoles",
        "machine": machine(),
        "consoles": args.consoles, "messages": args.messages, "spacing_ms": args.spacing,
        "publish": "push.publish in a committed transaction (PostgreSQL, runtime role), then Redis PUBLISH",
        "deliveries": len(latencies), "missing": expected - len(latencies),
        "latency_ms": {"p50": round(statistics.median(latencies), 2), "p95": round(percentile(latencies, 0.95), 2),
                       "p99": round(percentile(latencies, 0.99), 2), "max": round(max(latencies), 2),
                       "min": round(min(latencies), 2)},
        "push_rss_mib": {"idle": round(rss_idle / 1024, 1), "streams_open": round(rss_open / 1024, 1),
                         "after": round(rss_after / 1024, 1)},
        "push_cpu": {"seconds": round(cpu_s, 2), "wall_s": round(wall, 1), "cores": round(cpu_s / wall, 3)},
    }


def measure(args) -> dict:
    with fresh_data_dir("siaga-bench-push-") as data_dir:
        redis_server = EmbeddedRedis(data_dir)
        redis_url = redis_server.start()
        env = {"SIAGA_DATA_DIR": str(data_dir), "SIAGA_REDIS_URL": redis_url, "SIAGA_LOG_LEVEL": "WARNING",
               "SIAGA_DATABASE_URL": start_postgres(data_dir)}
        os.environ.update(env)  # publish() outside a Flask app reads the process's SIAGA_* settings
        settings = Settings.from_env(env)
        urls = database_urls(settings)
        bootstrap(urls)
        database = Database(urls.runtime)
        port = free_port()
        server = subprocess.Popen([SIAGA112, "push", "--host", LOOPBACK, "--port", str(port)],
                                  env=siaga_env(data_dir, **env), stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while b'"subscribed"' not in _health(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the push server did not subscribe to Redis")
                time.sleep(0.05)
            secret = stored_secret(data_dir, "flask-secret-key", settings.secret_key)
            return asyncio.run(measure_async(port, server.pid, database, secret, args))
        finally:
            server.terminate()
            server.wait(timeout=30)
            database.dispose()
            redis_server.stop()
            stop_postgres(data_dir)


def _health(port: int) -> bytes:
    try:
        return http_get(f"http://{LOOPBACK}:{port}/healthz", timeout=1.0)[2]
    except OSError:
        return b""


def table(result: dict) -> None:
    latency, rss, cpu = result["latency_ms"], result["push_rss_mib"], result["push_cpu"]
    print_table(f"push: commit -> event read by each of {result['consoles']} open streams "
                f"({result['messages']} messages, {result['spacing_ms']} ms apart; ms)",
                ["deliveries", "missing", "p50", "p95", "p99", "max"],
                [[result["deliveries"], result["missing"], latency["p50"], latency["p95"], latency["p99"], latency["max"]]])
    print_table("push process", ["RSS idle MiB", "RSS streams open MiB", "RSS after MiB", "CPU s", "cores"],
                [[rss["idle"], rss["streams_open"], rss["after"], cpu["seconds"], cpu["cores"]]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consoles", type=int, default=200)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--spacing", type=int, default=50, help="ms between two commits")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    emit(measure(args), table, args.json_only)


if __name__ == "__main__":
    main()
