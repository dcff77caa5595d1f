"""The telephony intake: a PBX's event, routed to the region that owns the dialled line, stored once, and the
call it belongs to recomputed from all of its events.

Events may arrive twice and in any order. Each is stored once (its natural key is the call id, the
event and its sequence; an Idempotency-Key header is honoured too), and the call's times and state
come from the events' own times, never from the order they arrived in. A region that is not live yet
records its calls as test calls. A call that reaches its end (ended or abandoned) emits `call.ended`
in the same transaction, once.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import phonenumbers
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from siaga112.platform.jobs.outbox import emit
from siaga112.platform.refusals import N_, Conflict, Invalid, NotFound
from siaga112.platform.tenancy.context import PLATFORM, TenantContext, current_context, set_context
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.directory import service as directory
from siaga112.tenants.directory.phone import InvalidNumber, parse_number

from .models import Call, CallBlock, CallEvent

CALL_ENDED = "call.ended"
FALSE_CALLS = ("prank", "ghost")
REPEAT_WINDOW = timedelta(days=30)
WITHHELD = {"", "anonymous", "unknown", "private", "restricted", "withheld"}
MAX_IDEMPOTENCY_KEY = 200
TERMINAL = ("ended", "abandoned")


@dataclass(frozen=True)
class Intake:
    """What the intake answers the PBX: the call as it stands, whether this event was new, what is known of
    the caller (prank or ghost calls from the same number in the last 30 days)."""

    call: Call
    stored: bool
    repeat_false_calls: int
    block: CallBlock | None = None

    @property
    def advice(self) -> str:
        """What the PBX should do: a blocked caller is warned and queued at low priority, never dropped."""
        return "warn_and_queue_low" if self.block is not None else "normal"


def caller_key(secret: str | bytes, e164: str) -> str:
    """A keyed hash of the caller's number: repeat callers are found without the number itself."""
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"caller:{e164}".encode(), hashlib.sha256).hexdigest()


def _dialed(text: str) -> str:
    try:
        return parse_number(text)
    except InvalidNumber as error:
        raise Invalid(N_("The dialled line %(dialed)s is not an Indonesian phone number."), "dialed",
                      code="invalid_dialed", dialed=text[:40]) from error


def _caller(text: str | None) -> str | None:
    """The caller's number in E.164 (any country), or None when the PBX says it is withheld."""
    if text is None or text.strip().lower() in WITHHELD:
        return None
    try:
        number = phonenumbers.parse(text.strip()[:40], "ID")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise Invalid(N_("The caller %(caller)s is not a phone number; send null (or \"anonymous\") when it is "
                         "withheld."), "caller", code="invalid_caller", caller=text[:40])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def route(session: Session, dialed: str, client_tenant_id: uuid.UUID) -> Tenant:
    """The tenant that owns the dialled line (read across tenants), which must be the client's own;
    the session is then in that tenant's context."""
    set_context(session, PLATFORM)
    found = directory.lookup_line(session, dialed)
    if found is None:
        raise Invalid(N_("No region on Siaga112 has the line %(dialed)s; register it as an inbound line first."),
                      "dialed", code="unknown_line", dialed=dialed)
    _line, tenant = found
    if tenant.id != client_tenant_id:
        raise Invalid(N_("%(dialed)s is a line of another region; this client posts for its own region only."),
                      "dialed", code="not_your_line", dialed=dialed)
    set_context(session, TenantContext(tenant.id))
    return tenant


def intake(session: Session, client_tenant_id: uuid.UUID, body: dict, secret: str | bytes,
           idempotency_key: str | None = None) -> Intake:
    """Store one telephony event (once) and bring its call up to date."""
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        raise Invalid(N_("The Idempotency-Key header has 1 to %(limit)s characters."), "Idempotency-Key",
                      code="invalid_idempotency_key", location="headers", limit=MAX_IDEMPOTENCY_KEY)
    dialed = _dialed(body["dialed"])
    caller = _caller(body.get("caller"))
    tenant = route(session, dialed, client_tenant_id)
    if idempotency_key is not None:
        replayed = _replayed(session, tenant, idempotency_key, body)
        if replayed is not None:
            return _answer(session, tenant, replayed, stored=False)
    call = _call_for(session, tenant, body["call_id"], dialed, caller, secret)
    stored = session.scalar(insert(CallEvent).values(
        tenant_id=tenant.id, call_id=call.id, event=body["event"], sequence=body.get("sequence"), at=body["at"],
        agent=body.get("agent"), idempotency_key=idempotency_key).on_conflict_do_nothing()
        .returning(CallEvent.id)) is not None
    if stored:
        _recompute(session, call)
    return _answer(session, tenant, call, stored)


def _replayed(session: Session, tenant: Tenant, key: str, body: dict) -> Call | None:
    """The call of the event sent before under this Idempotency-Key; Conflict if the key came with another event."""
    seen = session.execute(select(CallEvent, Call).join(Call, Call.id == CallEvent.call_id).where(
        CallEvent.tenant_id == tenant.id, CallEvent.idempotency_key == key)).first()
    if seen is None:
        return None
    event, call = seen
    if (call.pbx_call_id, event.event, event.sequence) != (body["call_id"], body["event"], body.get("sequence")):
        raise Conflict(N_("This Idempotency-Key was used for another event (%(event)s of call %(call_id)s); use a new "
                          "key for a new event."), "Idempotency-Key", code="idempotency_key_reused",
                       location="headers", event=event.event, call_id=call.pbx_call_id)
    return call


def _call_for(session: Session, tenant: Tenant, pbx_call_id: str, dialed: str, caller: str | None,
              secret: str | bytes) -> Call:
    """The call of this PBX call id, created by its first event whichever that is, and locked."""
    session.execute(insert(Call).values(
        tenant_id=tenant.id, pbx_call_id=pbx_call_id, dialed_e164=dialed, caller_e164=caller,
        caller_key=caller_key(secret, caller) if caller else None, is_test=tenant.status != "live",
    ).on_conflict_do_nothing(constraint="uq_calls_tenant_pbx_call_id"))
    call = session.scalar(select(Call).where(Call.tenant_id == tenant.id, Call.pbx_call_id == pbx_call_id)
                          .with_for_update().execution_options(populate_existing=True))
    if call.caller_e164 is None and caller is not None:  # a later event may carry the number the first lacked
        call.caller_e164, call.caller_key = caller, caller_key(secret, caller)
    return call


def derive(events: list[tuple[str, datetime, str | None]]) -> dict:
    """The call's times and state from its events (event, at, agent), whatever order they came in."""
    def first(kind):
        times = [at for event, at, _agent in events if event == kind]
        return min(times) if times else None

    offered = first("offered") or min(at for _event, at, _agent in events)
    answered, ended = first("answered"), first("ended")
    state = ("ended" if answered else "abandoned") if ended else ("in_progress" if answered else "ringing")
    agents = [agent for event, _at, agent in sorted(events, key=lambda e: (e[0] != "answered", e[1])) if agent]
    return {"offered_at": offered, "answered_at": answered, "ended_at": ended, "state": state,
            "agent": agents[0] if agents else None}


def _recompute(session: Session, call: Call) -> None:
    events = session.execute(select(CallEvent.event, CallEvent.at, CallEvent.agent).where(
        CallEvent.tenant_id == call.tenant_id, CallEvent.call_id == call.id)).all()
    was_terminal = call.state in TERMINAL
    for name, value in derive([tuple(row) for row in events]).items():
        setattr(call, name, value)
    call.operator_id = _operator(session, call.tenant_id, call.agent)
    call.updated_at, call.version = func.now(), Call.version + 1
    session.flush()
    if call.state in TERMINAL and not was_terminal:
        # No personal data in the event: the monitoring rollups need the region, the times and the outcome.
        emit(session, CALL_ENDED, {"tenant_id": str(call.tenant_id), "call_id": str(call.id), "state": call.state,
                                   "is_test": call.is_test})


def _operator(session: Session, tenant_id: uuid.UUID, agent: str | None) -> uuid.UUID | None:
    """The region's operator whose e-mail the PBX sent as the agent (extensions are mapped in a later step)."""
    from siaga112.platform.identity.models import Membership, User

    if not agent or "@" not in agent:
        return None
    return session.scalar(select(User.id).join(Membership, Membership.user_id == User.id).where(
        Membership.tenant_id == tenant_id, Membership.role.in_(("operator", "supervisor")),
        func.lower(User.email) == agent.strip().lower()).limit(1))


def _answer(session: Session, tenant: Tenant, call: Call, stored: bool) -> Intake:
    return Intake(call, stored, repeat_false_calls(session, tenant.id, call),
                  active_block(session, tenant.id, call.caller_key))


def repeat_false_calls(session: Session, tenant_id: uuid.UUID, call: Call) -> int:
    """Prank and ghost calls from the same number in the last 30 days, by its keyed hash."""
    if call.caller_key is None:
        return 0
    return session.scalar(select(func.count()).select_from(Call).where(
        Call.tenant_id == tenant_id, Call.caller_key == call.caller_key, Call.id != call.id,
        Call.classification.in_(FALSE_CALLS), Call.offered_at > func.now() - REPEAT_WINDOW))


# --- reading -------------------------------------------------------------------------------------------

def calls_query(tenant_id: uuid.UUID, state: str | None = None):
    query = select(Call).where(Call.tenant_id == tenant_id)
    if state:
        query = query.where(Call.state == state)
    return query.order_by(Call.offered_at.desc().nulls_last(), Call.id)


def get_call(session: Session, tenant_id: uuid.UUID, call_id: uuid.UUID) -> Call:
    call = session.scalar(select(Call).where(Call.tenant_id == tenant_id, Call.id == call_id))
    if call is None:
        raise NotFound(N_("This region has no such call."))
    return call


# --- what the region's people do to a call -----------------------------------------------------------

def snapshot(call: Call) -> dict:
    """What the audit log keeps of a call: never the caller's number."""
    return {"pbx_call_id": call.pbx_call_id, "state": call.state, "classification": call.classification,
            "source": call.source, "is_test": call.is_test}


def classify(session: Session, call: Call, classification: str | None, actor) -> Call:
    """Set (or clear) how the call is classified; audited."""
    from siaga112.platform.audit.service import record

    before = snapshot(call)
    if call.classification == classification:
        return call
    call.classification = classification
    call.updated_at, call.version = func.now(), call.version + 1
    session.flush()
    record(session, actor, "call.classify", "call", call.id, tenant_id=call.tenant_id, before=before,
           after=snapshot(call))
    return call


def log_by_hand(session: Session, tenant: Tenant, fields: dict, actor, secret: str | bytes) -> Call:
    """A call an operator logs by hand (a region whose telephony is not connected yet); audited."""
    from siaga112.platform.audit.service import record

    offered, answered, ended = fields["offered_at"], fields.get("answered_at"), fields.get("ended_at")
    if answered is not None and answered < offered:
        raise Invalid(N_("The call cannot be answered before it came in."), "answered_at", code="answered_before_offered")
    if ended is not None and ended < (answered or offered):
        raise Invalid(N_("The call cannot end before it came in or was answered."), "ended_at",
                      code="ended_before_start")
    lines = directory.active_lines(session, tenant.id)
    if not lines:
        raise Invalid(N_("Register the region's 112 inbound line first: a call is logged on the line it came in on."),
                      "dialed", code="no_line")
    caller = _caller(fields.get("caller"))
    derived = derive([(kind, at, None) for kind, at in (("offered", offered), ("answered", answered),
                                                         ("ended", ended)) if at is not None])
    call = Call(tenant_id=tenant.id, pbx_call_id=f"manual-{uuid.uuid4()}", dialed_e164=lines[0].e164,
                caller_e164=caller, caller_key=caller_key(secret, caller) if caller else None,
                is_test=tenant.status != "live", source="manual", classification=fields.get("classification"),
                operator_id=uuid.UUID(actor.id) if actor.kind == "user" else None,
                **{name: derived[name] for name in ("offered_at", "answered_at", "ended_at", "state")})
    session.add(call)
    session.flush()
    record(session, actor, "call.log", "call", call.id, tenant_id=tenant.id, after=snapshot(call))
    if call.state in TERMINAL:
        emit(session, CALL_ENDED, {"tenant_id": str(tenant.id), "call_id": str(call.id), "state": call.state,
                                   "is_test": call.is_test})
    return call


# --- the caller's number: personal data (UU 27/2022 PDP) ------------------------------------------------

RETENTION = timedelta(days=90)  # the default retention of callers' numbers


def read_caller(session: Session, call: Call, actor) -> str | None:
    """The caller's number, for the region's own staff; every read is written to the audit log."""
    from siaga112.platform.audit.service import record

    record(session, actor, "call.caller_read", "call", call.id, tenant_id=call.tenant_id,
           after={"withheld": call.caller_e164 is None})
    return call.caller_e164


def erase_old_callers(session: Session, now: datetime | None = None, retention: timedelta = RETENTION) -> int:
    """Erase the numbers of calls older than the retention period, keeping the rest of each record (its times,
    outcome and the keyed hash, which names no one). Needs platform context: it runs over every region."""

    if current_context(session) != PLATFORM:
        raise RuntimeError("erase_old_callers runs over every region: call it in platform context.")
    cutoff = (now or datetime.now(timezone.utc)) - retention
    return session.execute(update(Call).where(Call.caller_e164.is_not(None), Call.offered_at < cutoff)
                           .values(caller_e164=None)).rowcount


# --- temporary blocks of a caller -------------------------------------------------------------------------

DEFAULT_BLOCK_HOURS = 24
MAX_BLOCK_HOURS = 7 * 24


def active_block(session: Session, tenant_id: uuid.UUID, key: str | None) -> CallBlock | None:
    if key is None:
        return None
    return session.scalar(select(CallBlock).where(
        CallBlock.tenant_id == tenant_id, CallBlock.caller_key == key, CallBlock.lifted_at.is_(None),
        CallBlock.expires_at > func.now()).order_by(CallBlock.expires_at.desc()).limit(1))


def block_snapshot(block: CallBlock) -> dict:
    return {"from_call_id": str(block.from_call_id), "reason": block.reason,
            "expires_at": block.expires_at.isoformat() if isinstance(block.expires_at, datetime) else None}


def block_caller(session: Session, call: Call, reason: str, hours: int | None, actor) -> CallBlock:
    """Block the caller of `call` for `hours` (24 by default, at most 7 days), with a reason; audited."""
    from siaga112.platform.audit.service import record

    hours = DEFAULT_BLOCK_HOURS if hours is None else hours
    if not 1 <= hours <= MAX_BLOCK_HOURS:
        raise Invalid(N_("Block for 1 to %(max)s hours (7 days at most)."), "hours", code="block_too_long",
                      max=MAX_BLOCK_HOURS)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(N_("Say why the caller is blocked."), "reason", code="reason_required")
    if call.caller_key is None:
        raise Invalid(N_("This call's number was withheld or has been erased: there is no caller to block."),
                      "call_id", code="no_caller")
    if active_block(session, call.tenant_id, call.caller_key) is not None:
        raise Conflict(N_("This caller is blocked already; lift that block to set another."), "call_id",
                       code="already_blocked")
    block = CallBlock(tenant_id=call.tenant_id, caller_key=call.caller_key, from_call_id=call.id, reason=reason,
                      created_by=uuid.UUID(actor.id) if actor.kind == "user" else None,
                      expires_at=datetime.now(timezone.utc) + timedelta(hours=hours))
    session.add(block)
    session.flush()
    record(session, actor, "call_block.create", "call_block", block.id, tenant_id=call.tenant_id,
           after=block_snapshot(block))
    return block


def blocks_query(tenant_id: uuid.UUID):
    """The blocks in force, the one ending soonest first."""
    return (select(CallBlock).where(CallBlock.tenant_id == tenant_id, CallBlock.lifted_at.is_(None),
                                    CallBlock.expires_at > func.now())
            .order_by(CallBlock.expires_at, CallBlock.id))


def get_block(session: Session, tenant_id: uuid.UUID, block_id: uuid.UUID) -> CallBlock:
    block = session.scalar(select(CallBlock).where(CallBlock.tenant_id == tenant_id, CallBlock.id == block_id))
    if block is None:
        raise NotFound(N_("This region has no such block."))
    return block


def lift_block(session: Session, block: CallBlock, actor) -> None:
    """End a block before its time (idempotent); audited."""
    from siaga112.platform.audit.service import record

    if block.lifted_at is not None:
        return
    block.lifted_at = func.now()
    block.lifted_by = uuid.UUID(actor.id) if actor.kind == "user" else None
    session.flush()
    record(session, actor, "call_block.lift", "call_block", block.id, tenant_id=block.tenant_id,
           before=block_snapshot(block))
