"""`siaga112 up`: one command runs everything on embedded servers, stops cleanly, and keeps its data."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
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
    process = subprocess.Popen(SIAGA + ["up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
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
