"""The call centre's floor as a supervisor runs it: the callback list, shift handovers, the extensions people
answer on, and the board's picture of now (who is on shift and on a call, calls waiting, today's calls)."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from siaga112.platform.audit.service import record
from siaga112.platform.push import publish
from siaga112.platform.identity.roles import OPERATOR, SUPERVISOR
from siaga112.platform.refusals import N_, Conflict, Invalid, NotFound
from siaga112.platform.tenancy.models import Tenant

from .models import AgentExtension, Call, Callback, Handover, Incident

# --- callbacks ----------------------------------------------------------------------------------------

def callbacks_query(tenant_id: uuid.UUID, done: bool | None = False):
    """The callback list: those still to do first, the oldest first (it has waited longest)."""
    query = select(Callback).where(Callback.tenant_id == tenant_id)
    if done is not None:
        query = query.where(Callback.done_at.is_not(None) if done else Callback.done_at.is_(None))
    return query.order_by(Callback.done_at.desc().nulls_first(), Callback.created_at, Callback.id)


def get_callback(session: Session, tenant_id: uuid.UUID, callback_id: uuid.UUID) -> Callback:
    callback = session.scalar(select(Callback).where(Callback.tenant_id == tenant_id, Callback.id == callback_id))
    if callback is None:
        raise NotFound(N_("This region has no such callback."))
    return callback


def record_callback(session: Session, callback: Callback, outcome: str, note: str | None, actor) -> Callback:
    """Write down how the callback went; once written it is done (a second outcome corrects the first). Audited."""
    before = {"outcome": callback.outcome}
    callback.outcome, callback.note = outcome, (note or "").strip() or None
    callback.done_at, callback.done_by = func.now(), actor.user_id
    callback.version = callback.version + 1
    session.flush()
    publish(session, callback.tenant_id, "calls")
    record(session, actor, "callback.done", "callback", callback.id, tenant_id=callback.tenant_id, before=before,
           after={"outcome": outcome, "call_id": str(callback.call_id)})
    return callback


# --- handovers ------------------------------------------------------------------------------------------

def handovers_query(tenant_id: uuid.UUID):
    return select(Handover).where(Handover.tenant_id == tenant_id).order_by(Handover.written_at.desc(), Handover.id)


def get_handover(session: Session, tenant_id: uuid.UUID, handover_id: uuid.UUID) -> Handover:
    handover = session.scalar(select(Handover).where(Handover.tenant_id == tenant_id, Handover.id == handover_id))
    if handover is None:
        raise NotFound(N_("This region has no such handover note."))
    return handover


def write_handover(session: Session, tenant_id: uuid.UUID, note: str, actor) -> Handover:
    """The outgoing supervisor's note for the next shift; audited (without its text)."""
    note = (note or "").strip()
    if not note:
        raise Invalid(N_("Write what the next shift must know."), "note", code="note_required")
    handover = Handover(tenant_id=tenant_id, note=note, written_by=actor.user_id)
    session.add(handover)
    session.flush()
    record(session, actor, "handover.write", "handover", handover.id, tenant_id=tenant_id, after={"length": len(note)})
    return handover


def acknowledge_handover(session: Session, handover: Handover, actor) -> Handover:
    """The incoming supervisor — another person than the writer — confirms having read the note; audited."""
    if handover.acknowledged_at is not None:
        raise Conflict(N_("This handover note was acknowledged already."), code="already_acknowledged")
    if handover.written_by is not None and handover.written_by == actor.user_id:
        raise Invalid(N_("The incoming supervisor acknowledges the note, not the one who wrote it."),
                      code="own_handover")
    handover.acknowledged_by, handover.acknowledged_at = actor.user_id, func.now()
    handover.version = handover.version + 1
    session.flush()
    record(session, actor, "handover.acknowledge", "handover", handover.id, tenant_id=handover.tenant_id)
    return handover


# --- extensions -----------------------------------------------------------------------------------------

def extensions_query(tenant_id: uuid.UUID):
    return select(AgentExtension).where(AgentExtension.tenant_id == tenant_id).order_by(AgentExtension.extension)


EXTENSION = re.compile(r"[0-9A-Za-z*#._-]{1,20}")


def set_extension(session: Session, tenant_id: uuid.UUID, extension: str, user_id: uuid.UUID, actor) -> AgentExtension:
    """The person who answers on `extension` (an operator or supervisor of the region); replaces the previous one.
    Audited."""
    from siaga112.tenants.roster.service import roster_people

    if not EXTENSION.fullmatch(extension):
        raise Invalid(N_("An extension has 1 to 20 letters, digits or * # . _ -, as the PBX names it."), "extension",
                      code="invalid_extension", location="path")

    if not any(p.user_id == user_id for p in roster_people(session, tenant_id, (OPERATOR, SUPERVISOR))):
        raise Invalid(N_("This person is not an operator or supervisor of this region."), "user_id",
                      code="not_a_call_taker")
    row = session.scalar(insert(AgentExtension).values(tenant_id=tenant_id, extension=extension, user_id=user_id)
                         .on_conflict_do_update(constraint="uq_agent_extensions_tenant_extension",
                                                set_={"user_id": user_id})
                         .returning(AgentExtension).execution_options(populate_existing=True))
    record(session, actor, "extension.set", "agent_extension", row.id, tenant_id=tenant_id,
           after={"extension": extension, "user_id": str(user_id)})
    return row


def remove_extension(session: Session, tenant_id: uuid.UUID, extension: str, actor) -> None:
    row = session.scalar(select(AgentExtension).where(AgentExtension.tenant_id == tenant_id,
                                                      AgentExtension.extension == extension))
    if row is None:
        raise NotFound(N_("No one answers on this extension."))
    record(session, actor, "extension.remove", "agent_extension", row.id, tenant_id=tenant_id,
           before={"extension": extension, "user_id": str(row.user_id)})
    session.delete(row)
    session.flush()


# --- the board ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OnShift:
    user_id: uuid.UUID
    name: str
    shift: str
    until: datetime
    on_call: Call | None


@dataclass(frozen=True)
class Board:
    on_shift: list[OnShift]
    waiting: list[Call]
    in_progress: list[Call]
    today: Counter  # classification (None: not classified yet) → calls
    today_total: int
    abandoned_today: int
    callbacks: list[Callback]  # the last day's, the most recent first: a dropped 112 call is rung back soon
    callbacks_open: int  # all still to do, older ones included
    incidents: list[Incident]
    handovers: list[Handover]


CALLBACK_WINDOW = timedelta(hours=24)
BOARD_CALLBACKS = 10


def local_midnight(tenant: Tenant, now: datetime) -> datetime:
    """Midnight of today on the region's clock, as an instant: "today's calls" are the region's today."""
    zone = ZoneInfo(tenant.time_zone)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def waiting_calls(session: Session, tenant_id: uuid.UUID, limit: int = 50) -> list[Call]:
    """Calls ringing now, the longest waiting first."""
    return list(session.scalars(select(Call).where(Call.tenant_id == tenant_id, Call.state == "ringing")
                                .order_by(Call.offered_at.nulls_last(), Call.id).limit(limit)))


def board(session: Session, tenant: Tenant, user_id: uuid.UUID, now: datetime | None = None,
          every_callback: bool = False) -> Board:
    """The board's picture of now; `every_callback` lists all callbacks still to do, not only the last day's."""
    from siaga112.tenants.roster.service import names_of, today

    now = now or datetime.now(timezone.utc)
    since = local_midnight(tenant, now)
    in_progress = list(session.scalars(select(Call).where(Call.tenant_id == tenant.id, Call.state == "in_progress")
                                       .order_by(Call.answered_at, Call.id)))
    by_operator = {call.operator_id: call for call in in_progress if call.operator_id}
    duty = today(session, tenant, user_id, now, days=0).on_duty
    names = names_of(session, {placed.user_id for placed in duty})
    on_shift = sorted((OnShift(p.user_id, names.get(p.user_id, "?"), p.shift.name, p.end, by_operator.get(p.user_id))
                       for p in duty), key=lambda o: (o.on_call is None, o.name.casefold()))
    counts = Counter(dict(session.execute(
        select(Call.classification, func.count()).where(Call.tenant_id == tenant.id, Call.offered_at >= since)
        .group_by(Call.classification)).all()))
    abandoned = session.scalar(select(func.count()).select_from(Call).where(
        Call.tenant_id == tenant.id, Call.offered_at >= since, Call.state == "abandoned"))
    return Board(
        on_shift=on_shift, waiting=waiting_calls(session, tenant.id), in_progress=in_progress, today=counts,
        today_total=sum(counts.values()), abandoned_today=abandoned,
        callbacks=list(session.scalars(select(Callback).where(
            Callback.tenant_id == tenant.id, Callback.done_at.is_(None),
            Callback.created_at > (now - CALLBACK_WINDOW if not every_callback else datetime.min.replace(tzinfo=timezone.utc)))
            .order_by(Callback.created_at.desc(), Callback.id).limit(200 if every_callback else BOARD_CALLBACKS))),
        callbacks_open=session.scalar(select(func.count()).select_from(Callback).where(
            Callback.tenant_id == tenant.id, Callback.done_at.is_(None))),
        incidents=list(session.scalars(select(Incident).where(Incident.tenant_id == tenant.id, Incident.status != "closed")
                                       .order_by(Incident.created_at.desc()).limit(50))),
        handovers=list(session.scalars(handovers_query(tenant.id).limit(5))))
