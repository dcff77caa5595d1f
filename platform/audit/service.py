"""Recording changes and verifying the chains.

Each tenant's entries (and the platform's, tenant_id NULL) form a chain: entry
n stores the hash of entry n-1 and its own hash over its fields and that
previous hash. audit_heads keeps each chain's last seq and hash, so removing
the newest entries is noticed as well as changing or removing any other.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user, a machine client, or the system (CLI, jobs)."""

    kind: str  # user | client | system
    id: str
    role: str | None = None
    request_id: str | None = None

    @classmethod
    def system(cls, what: str) -> "Actor":
        return cls("system", what)

    @property
    def user_id(self) -> uuid.UUID | None:
        """The person acting, for a row's "by whom" column; None for a machine client or the system."""
        return uuid.UUID(self.id) if self.kind == "user" else None


def _canonical(entry: AuditEntry) -> bytes:
    fields = {
        "tenant_id": str(entry.tenant_id) if entry.tenant_id else None,
        "seq": entry.seq,
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "role": entry.role,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
        "created_at": entry.created_at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str)) if value is not None else None


def _lock_chain(session: Session, tenant_id: uuid.UUID | None) -> None:
    # One writer per chain at a time, so two changes never claim the same seq or fork the chain.
    key = str(tenant_id) if tenant_id else "platform"
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 112))))


def record(session: Session, actor: Actor, action: str, target_type: str, target_id: Any,
           tenant_id: uuid.UUID | None = None, before: dict | None = None, after: dict | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction: it commits with the change or not at all."""
    _lock_chain(session, tenant_id)
    head = session.scalar(select(AuditHead).where(AuditHead.tenant_id.is_not_distinct_from(tenant_id)))
    entry = AuditEntry(
        tenant_id=tenant_id, seq=(head.seq + 1) if head else 1,
        actor_kind=actor.kind, actor_id=actor.id, role=actor.role,
        action=action, target_type=target_type, target_id=str(target_id),
        before=_jsonable(before), after=_jsonable(after), request_id=actor.request_id,
        created_at=datetime.now(timezone.utc), prev_hash=head.hash if head else GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    if head is None:
        session.add(AuditHead(tenant_id=tenant_id, seq=entry.seq, hash=entry.hash))
    else:
        head.seq, head.hash = entry.seq, entry.hash
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    tenant_id: uuid.UUID | None
    seq: int
    problem: str

    def __str__(self) -> str:
        chain = f"tenant {self.tenant_id}" if self.tenant_id else "platform"
        return f"{chain}, entry {self.seq}: {self.problem}"


def verify_chains(session: Session) -> tuple[int, list[ChainProblem]]:
    """Check every chain visible in this session; returns (entries checked, problems found)."""
    problems: list[ChainProblem] = []
    heads = {head.tenant_id: head for head in session.scalars(select(AuditHead))}
    checked = 0
    chains = session.scalars(select(AuditEntry.tenant_id).distinct()).all()
    for tenant_id in set(chains) | set(heads):
        expected_seq, previous = 1, GENESIS
        entries = session.scalars(select(AuditEntry).where(AuditEntry.tenant_id.is_not_distinct_from(tenant_id))
                                  .order_by(AuditEntry.seq)).all()
        for entry in entries:
            checked += 1
            if entry.seq != expected_seq:
                problems.append(ChainProblem(tenant_id, expected_seq, f"missing (next entry found is {entry.seq})"))
            elif entry.prev_hash != previous:
                problems.append(ChainProblem(tenant_id, entry.seq, "does not follow the entry before it"))
            if entry_hash(entry) != entry.hash:
                problems.append(ChainProblem(tenant_id, entry.seq, "was changed after it was written"))
            expected_seq, previous = entry.seq + 1, entry.hash
        head = heads.get(tenant_id)
        last = entries[-1] if entries else None
        if head is None or last is None or (head.seq, head.hash) != (last.seq, last.hash):
            problems.append(ChainProblem(tenant_id, head.seq if head else 0,
                                         "the newest entries are missing" if head else "chain has no head"))
    return checked, problems


def audit_query(tenant_id: uuid.UUID):
    return select(AuditEntry).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.seq.desc())
