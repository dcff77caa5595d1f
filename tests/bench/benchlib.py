"""Shared helpers of the benchmarks: scratch data dirs, free ports, `siaga112 up`, process trees, stats.

Linux only (process trees are read from /proc). Every wait here is bounded.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SIAGA112 = str(BIN / "siaga112") if (BIN / "siaga112").exists() else (shutil.which("siaga112") or "siaga112")
LOOPBACK = "127.0.0.1"


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds only results."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- scratch space and environment -------------------------------------------

@contextlib.contextmanager
def fresh_data_dir(prefix: str) -> Iterator[Path]:
    """A new SIAGA_DATA_DIR under /tmp, world-traversable (pgserver runs postgres as its own user when
    we are root), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    # pgserver's atexit handler re-creates <data dir>/run/python_PostgresServer/.lockfile when the process
    # exits; this handler, registered before pgserver's, runs after it (atexit is last in, first out).
    atexit.register(shutil.rmtree, path, True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def siaga_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without any SIAGA_* or XDG_RUNTIME_DIR, pointed at `data_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIAGA_") and k != "XDG_RUNTIME_DIR"}
    env["SIAGA_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


# --- HTTP --------------------------------------------------------------------

def http_get(url: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for_200(url: str, process: subprocess.Popen, timeout: float, interval: float = 0.05) -> bool:
    """Poll `url` every `interval` s until it answers 200; False if `process` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if http_get(url, timeout=1.0)[0] == 200:
                return True
        except OSError:
            pass
        if process.poll() is not None:
            return False
        time.sleep(interval)
    return False


# --- process trees (/proc) ---------------------------------------------------

@dataclass(frozen=True)
class Proc:
    pid: int
    start: int  # start time in clock ticks since boot: tells a process from a later one with its pid
    cmdline: str


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(ppid, start time, state) of `pid`, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[19]), fields[0]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def _table() -> dict[int, tuple[int, int, str]]:
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            table[int(entry)] = stat
    return table


def related_processes(root_pid: int, marker: str) -> set[Proc]:
    """`root_pid`'s descendants, plus every process whose command line holds `marker` (the daemonised
    redis-server and postmaster, reparented to init) and their descendants."""
    table = _table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    roots = {root_pid} | {pid for pid in table if marker in _cmdline(pid)}
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in found or pid not in table:
            continue
        found.add(pid)
        todo.extend(children.get(pid, ()))
    return {Proc(pid, table[pid][1], _cmdline(pid)) for pid in found}


def still_running(procs: set[Proc]) -> set[Proc]:
    """Those of `procs` that exist with the same start time and are not zombies."""
    alive = set()
    for proc in procs:
        stat = _stat(proc.pid)
        if stat is not None and stat[1] == proc.start and stat[2] != "Z":
            alive.add(proc)
    return alive


def wait_gone(procs: set[Proc], timeout: float) -> set[Proc]:
    """Wait up to `timeout` s for `procs` to exit; return those still running."""
    deadline = time.monotonic() + timeout
    alive = still_running(procs)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = still_running(alive)
    return alive


def kill_leftovers(procs: set[Proc]) -> None:
    """SIGKILL what a run left behind (by pid, after checking it is the same process), so the next run is clean."""
    for proc in still_running(procs):
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)


# --- CPU accounting: how busy the rest of the machine was ---------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def busy_ticks() -> int:
    """Clock ticks the whole machine (all cores) spent busy since boot."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])
    return user + nice + system + irq + softirq + steal


def process_ticks(procs: set[Proc], columns: tuple[int, int] = (11, 12)) -> int:
    """User + system clock ticks of `procs` (those still running); columns (13, 14): those of their children that
    exited (cutime + cstime)."""
    total = 0
    for proc in procs:
        try:
            raw = Path(f"/proc/{proc.pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        if int(fields[19]) == proc.start:
            total += int(fields[columns[0]]) + int(fields[columns[1]])
    return total


def own_ticks() -> float:
    """This process and its reaped children (wrk), in clock ticks."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage) * CLOCK_TICKS


class CpuMeter:
    """CPU used, in cores, by the servers under test (`procs`) and by everything else on the machine
    except this process and wrk: a high `other_cores` means the figures were taken on a busy machine."""

    def __init__(self, procs: set[Proc]):
        self.procs = procs
        self.started = (time.monotonic(), busy_ticks(), process_ticks(procs), own_ticks())

    def read(self, started_since: set[Proc] = frozenset()) -> dict[str, float]:
        """`started_since`: servers that started after the meter, counted whole."""
        wall, busy, servers, own = (a - b for a, b in zip(
            (time.monotonic(), busy_ticks(), process_ticks(self.procs), own_ticks()), self.started))
        servers += process_ticks(started_since)
        scale = CLOCK_TICKS * wall
        return {"server_cores": round(servers / scale, 2), "other_cores": round(max(0, busy - servers - own) / scale, 2)}


def wait_for_quiet(max_wait: float, threshold: float = 0.3, window: float = 5.0) -> float:
    """Wait (at most `max_wait` s) for a `window` in which the rest of the machine uses under `threshold`
    cores; return the last window's figure."""
    deadline = time.monotonic() + max_wait
    while True:
        meter = CpuMeter(set())
        time.sleep(window)
        other = meter.read()["other_cores"]
        if other < threshold or time.monotonic() + window > deadline:
            return other


# --- `siaga112 up` -----------------------------------------------------------

@dataclass
class UpRun:
    """One `siaga112 up` from start to stop."""

    data_dir: Path
    port: int
    log_path: Path
    process: subprocess.Popen | None = None
    started: float = 0.0
    started_wall: float = 0.0
    ready_s: float | None = None
    other_cores: float | None = None  # CPU used by the rest of the machine while `up` started
    children_started_s: float | None = None
    stop_s: float | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: set[Proc] = field(default_factory=set)
    leftovers: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, ready_timeout: float = 120.0) -> float:
        """Start `up` and return seconds from process start to the first 200 from /readyz."""
        meter = CpuMeter(set())
        with open(self.log_path, "ab") as log_file:
            self.started, self.started_wall = time.monotonic(), time.time()
            self.process = subprocess.Popen(
                [SIAGA112, "up", "--host", LOOPBACK, "--port", str(self.port)],
                env=siaga_env(self.data_dir, **self.extra_env), stdout=log_file, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        if not wait_for_200(f"{self.base}/readyz", self.process, ready_timeout):
            self.stop()
            raise RuntimeError(f"siaga112 up did not become ready; last lines of {self.log_path}:\n"
                               + tail(self.log_path))
        self.ready_s = time.monotonic() - self.started
        self.other_cores = meter.read(started_since=related_processes(self.process.pid, str(self.data_dir)))[
            "other_cores"]
        self.children_started_s = self._children_started()
        return self.ready_s

    def _children_started(self) -> float | None:
        """Seconds from process start to the runner's first "started" line: what `up` spends on the embedded
        servers, migrations and the region sync before it starts gunicorn, the worker and cron."""
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("logger") == "siaga112.platform.runner" \
                    and record.get("message") == "started":
                logged = datetime.strptime(record["time"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                return round(logged - self.started_wall, 3)
        return None

    def stop(self) -> float:
        """SIGINT `up` (as Ctrl-C would, but to `up` alone: it must stop its children itself) and check that
        every process it ran is gone. Returns seconds from SIGINT to `up` exiting."""
        self.stop_s, self.processes, leftovers = stop_tree(self.process, str(self.data_dir), signal.SIGINT)
        self.leftovers += leftovers
        return self.stop_s


def stop_tree(process: subprocess.Popen, marker: str, sig: int, exit_timeout: float = 60.0,
              gone_timeout: float = 30.0) -> tuple[float, set[Proc], list[str]]:
    """Send `sig` to `process`, wait for it to exit, then for every process of its tree (see
    related_processes) to be gone; SIGKILL what is left. Returns (seconds to exit, the tree, complaints)."""
    tree = related_processes(process.pid, marker)
    complaints = []
    signalled = time.monotonic()
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=exit_timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        complaints.append(f"{process.args[0]} did not exit within {exit_timeout:.0f} s of {signal.Signals(sig).name}")
    exited = time.monotonic() - signalled
    alive = wait_gone(tree, gone_timeout)
    complaints += [f"pid {p.pid} still running {gone_timeout:.0f} s after its parent exited: {p.cmdline}"
                   for p in sorted(alive, key=lambda p: p.pid)]
    kill_leftovers(alive)
    return exited, tree, complaints


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


# --- results -----------------------------------------------------------------

def summary(values: list[float], digits: int = 3) -> dict[str, float | int]:
    return {"n": len(values), "min": round(min(values), digits),
            "median": round(statistics.median(values), digits), "max": round(max(values), digits)}


def machine() -> dict[str, object]:
    return {"cpus": os.cpu_count(), "loadavg_1m_at_start": round(os.getloadavg()[0], 2)}


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths))


def emit(result: dict, table, json_only: bool) -> None:
    """Print the human table (unless `json_only`) and the JSON result on stdout."""
    if not json_only:
        table(result)
        print()
    print(json.dumps(result, indent=2, ensure_ascii=False))
