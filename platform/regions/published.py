"""The registry as the last sync (or external-112 import) left it: a per-process copy, told when it changes.

The home page and GET /api/v1/regions change only when `siaga112 regions sync` or the external-112
import changes the registry, and (the page) when a tenant is created or changes status. Each
process keeps the regions in memory, and the answers it built from them (bounded), under a
*stamp*: `registry_state.version` (bumped by service.bump_registry_version in the writer's
transaction) with the count and summed versions of the tenants.

Each process LISTENs on the channel `siaga112_registry` over a connection of its own; triggers
(migration 0010) NOTIFY it when registry_state or tenants change, which PostgreSQL delivers when
the writer commits, whichever process or machine it is. A request polls that connection's
socket (no round trip) and reads the stamp again only when something arrived, or the connection
was lost (then it connects again and reads it again: nothing can have been missed unseen).
Answers carry an ETag and Last-Modified and are 304 when the client already has them.

If the listening connection cannot be had, the request reads the stamp through its own session
(503 while PostgreSQL is away) and nothing is trusted until it listens again.
"""

from __future__ import annotations

import hashlib
import os
import select
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

import psycopg
from flask import current_app, request
from werkzeug.http import http_date
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from .models import Province, Region

EXTENSION = "siaga112.published_registry"
_MAKING = threading.Lock()
MAX_ANSWERS = 512  # answers kept per process (the search term is free text: the cache must be bounded)
CHANNEL = "siaga112_registry"
STAMP = ("SELECT s.version, t.n, t.versions, s.changed_at, greatest(s.changed_at, t.changed_at) "
         "FROM registry_state s, (SELECT count(*) AS n, coalesce(sum(version), 0) AS versions, "
         "max(updated_at) AS changed_at FROM tenants) t WHERE s.id = 1")


@dataclass(frozen=True)
class Stamp:
    key: tuple  # (registry version, tenants, summed tenant versions)
    registry_changed_at: datetime
    changed_at: datetime  # the registry's or a tenant's, whichever is later (the home page)

    @property
    def version(self) -> int:
        return self.key[0]

    @classmethod
    def of(cls, row) -> "Stamp":
        return cls(tuple(row[:3]), row[3], row[4])


@dataclass(frozen=True)
class PublicRegion:
    code: str
    name: str
    kind: str
    province_code: str
    province_name: str
    time_zone: str
    external_since: date | None
    external_note: str

    def api(self) -> dict[str, Any]:
        """As RegionSchema dumps it (test_regions checks the two agree)."""
        return {"code": self.code, "name": self.name, "kind": self.kind,
                "province": {"code": self.province_code, "name": self.province_name}, "time_zone": self.time_zone}


@dataclass(frozen=True)
class Answer:
    """A body and all its headers, validators included, built once: serving it again costs a dict look-up."""

    body: bytes
    etag: str
    changed_at: datetime
    headers: dict[str, str]


class Published:
    """One process's copy of the registry and of the answers built from it."""

    def __init__(self, libpq_url: str):
        self._url = libpq_url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._pid = os.getpid()
        self._stamp: Stamp | None = None
        self._news = False
        self._regions: tuple[int, list[PublicRegion]] | None = None
        self._answers: OrderedDict[tuple, Answer] = OrderedDict()
        self._answers_of: tuple | None = None  # the stamp the stored answers were built under

    # -- the stamp ---------------------------------------------------------

    def _listening(self) -> psycopg.Connection:
        if self._pid != os.getpid():  # a forked child never shares its parent's socket
            self._conn, self._pid = None, os.getpid()
        if self._conn is None or self._conn.closed:
            self._stamp = None
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=5)
            conn.add_notify_handler(self._told)
            conn.execute(f"LISTEN {CHANNEL}")
            self._conn = conn
        return self._conn

    def _told(self, _notify) -> None:
        self._news = True

    def stamp(self, session: Callable[[], Session]) -> Stamp:
        """The current stamp: read again only when a change was announced (or never read yet)."""
        with self._lock:
            try:
                conn = self._listening()
                if self._stamp is None or self._news or select.select([conn.fileno()], [], [], 0)[0]:
                    self._news = False  # whatever arrives during this read marks the next read
                    self._stamp = Stamp.of(conn.execute(STAMP).fetchone())
                return self._stamp
            except psycopg.Error:
                if self._conn is not None:
                    self._conn.close()
                self._conn = self._stamp = None
        return Stamp.of(session().connection().exec_driver_sql(STAMP).fetchone())  # 503 if the database is away

    def wait_for_news(self, timeout: float) -> bool:
        """Whether a change was announced within `timeout` seconds (for tests and benches)."""
        with self._lock:
            conn = self._conn
            return self._news or (conn is not None and bool(select.select([conn.fileno()], [], [], timeout)[0]))

    # -- the copy ----------------------------------------------------------

    def regions(self, session: Callable[[], Session], version: int) -> list[PublicRegion]:
        cached = self._regions
        if cached is not None and cached[0] == version:
            return cached[1]
        rows = session().execute(
            sql_select(Region.code, Region.name, Region.kind, Province.code, Province.name, Province.time_zone,
                   Region.external_112_since, Region.external_112_note)
            .join(Province, Province.code == Region.province_code).order_by(Region.code)).all()
        regions = [PublicRegion(*row[:7], row[7] or "") for row in rows]
        with self._lock:
            self._regions = (version, regions)
        return regions

    def stored(self, stamp: Stamp, key: tuple) -> Answer | None:
        return self._answers.get((stamp.key, *key))

    def answer(self, stamp: Stamp, key: tuple, build: Callable[[], tuple[bytes, dict[str, str]]],
               changed_at: datetime) -> Answer:
        """The answer to `key` under `stamp`: its body and headers, built once per process and stamp, with an
        ETag (a hash of the body) and Last-Modified (`changed_at`)."""
        found = self.stored(stamp, key)
        if found is not None:
            return found
        body, headers = build()
        etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
        answer = Answer(body, etag, changed_at, headers | {"ETag": etag, "Last-Modified": http_date(changed_at)})
        key = (stamp.key, *key)
        with self._lock:
            if self._answers_of != stamp.key:  # what older stamps built will never be asked for again
                self._answers.clear()
                self._answers_of = stamp.key
            self._answers[key] = answer
            while len(self._answers) > MAX_ANSWERS:
                self._answers.popitem(last=False)
        return answer


def matching(regions, province: str | None = None, kind: str | None = None, q: str | None = None):
    """The regions `service.region_query` selects (part of the name, any case), from the process's copy."""
    needle = q.casefold() if q else None
    return [region for region in regions if (not province or region.province_code == province)
            and (not kind or region.kind == kind) and (needle is None or needle in region.name.casefold())]


def published() -> Published:
    """The app's copy, made on first use, on the app database's own (runtime role) URL."""
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        from ..db import app_database

        url = app_database().engine.url
        with _MAKING:
            found = current_app.extensions.setdefault(
                EXTENSION, Published(url.set(drivername="postgresql").render_as_string(hide_password=False)))
    return found


def respond(answer: Answer):
    """The stored answer, or 304 when the request's validators match it (If-None-Match first;
    If-Modified-Since only without it, RFC 9110 13.2.2)."""
    offered = request.headers.get("If-None-Match")
    if offered is not None:
        fresh = offered.strip() == "*" or answer.etag in offered  # a weak W/"…" of ours matches too
    else:
        since = request.if_modified_since
        fresh = since is not None and answer.changed_at.replace(microsecond=0) <= since
    if fresh:
        return current_app.response_class(status=304, headers={name: value for name, value in answer.headers.items()
                                                                if name != "Content-Type"})
    return current_app.response_class(answer.body, headers=answer.headers)
