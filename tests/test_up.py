"""`siaga112 up`: one command runs everything on embedded servers, stops cleanly, and keeps its data."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.conftest import make_data_dir

SIAGA = [sys.executable, "-m", "siaga112.platform.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def data_dir():
    path = make_data_dir("siaga-up-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def embedded_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_")}
    return env | {"SIAGA_DATA_DIR": str(data_dir), "SIAGA_PORT": str(port), "SIAGA_WEB_WORKERS": "1"}


def start_up(env: dict[str, str], timeout: float = 120) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(SIAGA + ["up"], env=env, stdout=subprocess.PIPE, stderr=None, text=True,
                               start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise AssertionError(f"siaga112 up exited with {process.returncode} before it was ready")
        found = re.search(r"running at (http://\S+/)", line)
        if found:
            return process, found.group(1)
    process.kill()
    raise AssertionError("siaga112 up did not print its URL in time")


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def descendants_alive(pid: int) -> list[str]:
    """Command lines of processes whose parent chain leads to pid (from /proc)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(re.search(r"PPid:\s+(\d+)", status).group(1))
        if ppid == pid:
            alive.append(cmdline)
    return alive


def test_up_runs_everything_stops_cleanly_and_keeps_data(data_dir):
    env = embedded_env(data_dir, free_port())
    process, url = start_up(env)
    try:
        status, body = get(url + "readyz")
        assert status == 200 and b'"ready"' in body
        status, body = get(url + "api/v1/regions/33.75")
        assert status == 200 and b"Kota Pekalongan" in body
        # The demo region's calls keep coming: up plays its traffic as a PBX would.
        assert wait_for(lambda: any(" simulate calls --tenant kota-pekalongan" in command
                                    for command in children_of(process.pid).values()))
        assert b"Kota Pekalongan" in get(url + "?q=Pekalongan")[1]

        # Other commands share the data dir while up runs.
        sync = subprocess.run(SIAGA + ["regions", "sync"], env=env, capture_output=True, text=True, timeout=120)
        assert sync.returncode == 0, sync.stderr
        assert "0 inserted, 0 updated, 552 unchanged" in sync.stdout
        runtime_url = subprocess.run(SIAGA + ["db", "url"], env=env, capture_output=True, text=True,
                                     timeout=120, check=True).stdout.strip()
        assert runtime_url.startswith("postgresql://siaga112_app:")

        redis_socket = data_dir / "redis" / "redis.sock"
        redis.Redis(unix_socket_path=str(redis_socket)).set("survives", "restart")
    finally:
        assert stop(process) == 0
    assert descendants_alive(process.pid) == []
    assert not redis_socket.exists()
    assert not (data_dir / "pg" / "postmaster.pid").exists()

    process, url = start_up(env)
    try:
        assert get(url + "readyz")[0] == 200
        assert redis.Redis(unix_socket_path=str(redis_socket)).get("survives") == b"restart"
    finally:
        assert stop(process) == 0


def children_of(pid: int) -> dict[int, str]:
    """{pid: command line} of the processes `pid` started."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if re.search(rf"PPid:\s+{pid}\n", status):
            found[int(entry.name)] = cmdline
    return found


def worker_and_cron(pid: int) -> dict[int, str]:
    """{pid: command line} of up's worker and cron processes (a restarted one would have a new pid)."""
    return {child: command for child, command in children_of(pid).items()
            if " worker" in command or " cron" in command}


def redis_answers(socket_path: Path) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except (redis.ConnectionError, OSError):
        return False


def wait_for(condition, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_up_rides_out_its_redis_and_postgresql_going_away_and_still_stops_them(data_dir, monkeypatch):
    """[W2 1/6] items 1, 2 and 8, with `up`'s own embedded servers really stopped underneath it."""
    runtime = data_dir / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", os.environ.get("XDG_RUNTIME_DIR") or str(runtime))  # pgserver's, on import
    from pgserver._commands import pg_ctl

    port = free_port()
    env = embedded_env(data_dir, port) | {"SIAGA_PORT": "8112"}  # `up --port` below must win over the variable
    process = subprocess.Popen(SIAGA + ["up", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    redis_socket, pgdata = data_dir / "redis" / "redis.sock", data_dir / "pg"
    try:
        deadline = time.monotonic() + 120
        while "running at" not in process.stdout.readline():
            assert process.poll() is None and time.monotonic() < deadline, "up did not start"
        url = f"http://127.0.0.1:{port}/"
        children = worker_and_cron(process.pid)
        assert len(children) == 2, children

        # Item 1: Redis goes away; the API answers, the worker and cron wait, up brings Redis back.
        redis.Redis(unix_socket_path=str(redis_socket)).shutdown(nosave=True)
        assert status_of(url + "api/v1/regions/33.75") == 200
        ready = json.loads(urllib.request.urlopen(url + "readyz", timeout=10).read())
        assert ready["status"] in ("degraded", "ready")  # `up` may have revived Redis already
        assert wait_for(lambda: redis_answers(redis_socket)), "up did not start its Redis again"
        time.sleep(3)
        assert worker_and_cron(process.pid) == children  # nobody exited, nobody was given up on

        # Item 2: PostgreSQL stopped and started underneath: 503 meanwhile, served again after.
        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, user=user)
        assert status_of(url) == 503
        pg_ctl(["-w", "-o", f"-h '' -k {pgdata}", "-l", str(pgdata / "log"), "start"], pgdata=pgdata, user=user)
        assert wait_for(lambda: status_of(url) == 200, timeout=30)

        # Item 8: a token from the CLI names the issuer `up` serves as, not SIAGA_PORT's.
        issued = subprocess.run(SIAGA + ["token", "issue", "verifikator@demo.siaga112.id"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert issued.returncode == 0, issued.stderr
        request = urllib.request.Request(url + "api/v1/onboarding", headers={"Authorization": f"Bearer {issued.stdout.strip()}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    finally:
        assert stop(process) == 0
    assert descendants_alive(process.pid) == []
    assert not (pgdata / "postmaster.pid").exists()  # the restarted PostgreSQL was stopped too
    assert not redis_socket.exists()
