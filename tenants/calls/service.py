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
from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, selectinload

from siaga112.platform.jobs.outbox import emit
from siaga112.platform.push import publish
from siaga112.platform.refusals import N_, Conflict, Invalid, NotFound
from siaga112.platform.tenancy.context import PLATFORM, TenantContext, current_context, set_context
from siaga112.platform.tenancy.models import Tenant
from siaga112.tenants.directory import service as directory
from siaga112.tenants.directory.phone import InvalidNumber, parse_number

from .blocks import (DEFAULT_BLOCK_HOURS, MAX_BLOCK_HOURS, active_block, block_caller, blocks_query, get_block, in_force,
                     lift_block)
from .floor import (Board, acknowledge_handover, board, callbacks_query, extensions_query, get_callback, get_handover,
                    handovers_query, record_callback, remove_extension, set_extension, waiting_calls, write_handover)
from .incidents import apply_changes, get_incident, incidents_query, number_prefix, open_from_call, update_incident
from .models import AgentExtension, Call, CallBlock, CallEvent, Callback, CallSettings

# The context's one service: the subjects' modules stand behind it (docs/architecture.md).
__all__ = [
    "DEFAULT_BLOCK_HOURS", "MAX_BLOCK_HOURS", "active_block", "block_caller", "blocks_query", "get_block", "lift_block",
    "Board", "acknowledge_handover", "board", "callbacks_query", "extensions_query", "get_callback", "get_handover",
    "handovers_query", "record_callback", "remove_extension", "set_extension", "waiting_calls", "write_handover",
    "get_incident", "incidents_query", "number_prefix", "open_from_call", "update_incident",
    "Intake", "caller_key", "route", "intake", "derive", "add_callback", "repeat_false_calls", "calls_query",
    "get_call", "test_call_counts", "snapshot", "category_id", "located", "update_call", "classify", "log_by_hand",
    "read_caller", "erase_old_callers", "RETENTION_DAYS", "retention_days", "settings_of", "set_retention",
]

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


def route(session: Session, dialed: str, client_tenant_id: uuid.UUID | None):
    """The tenant that owns the dialled line (its `id` and `status`), which must be the client's own (a national
    gateway's client has none: any region's line); the session is then in that tenant's context.

    A region's client is looked up in its own region first, under its own row-level security, so that the
    common case costs one query and no change of context; the lines of every region are read only to route a
    gateway's call, or to say why a line is refused."""
    if client_tenant_id is not None:
        set_context(session, TenantContext(client_tenant_id))
        tenant = directory.tenant_of_own_line(session, client_tenant_id, dialed)
        if tenant is not None:
            return tenant
    set_context(session, PLATFORM)
    found = directory.lookup_line(session, dialed)
    if found is None:
        raise Invalid(N_("No region on Siaga112 has the line %(dialed)s; register it as an inbound line first."),
                      "dialed", code="unknown_line", dialed=dialed)
    _line, tenant = found
    if client_tenant_id is not None and tenant.id != client_tenant_id:
        raise Invalid(N_("%(dialed)s is a line of another region; this client posts for its own region only."),
                      "dialed", code="not_your_line", dialed=dialed)
    set_context(session, TenantContext(tenant.id))
    return tenant


def intake(session: Session, client_tenant_id: uuid.UUID | None, body: dict, secret: str | bytes,
           idempotency_key: str | None = None) -> Intake:
    """Store one telephony event (once) and bring its call up to date."""
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        raise Invalid(N_("The Idempotency-Key header has 1 to %(limit)s characters."), "Idempotency-Key",
                      code="invalid_idempotency_key", location="headers", limit=MAX_IDEMPOTENCY_KEY)
    dialed = _dialed(body["dialed"])
    caller = _caller(body.get("caller"))
    tenant = route(session, dialed, client_tenant_id)
    call, created = _call_for(session, tenant, body["call_id"], dialed, caller, secret)
    # Stored once: a repeat of the natural key or of the Idempotency-Key inserts nothing (both are unique).
    stored = session.scalar(insert(CallEvent).values(
        tenant_id=tenant.id, call_id=call.id, event=body["event"], sequence=body.get("sequence"), at=body["at"],
        agent=body.get("agent"), idempotency_key=idempotency_key).on_conflict_do_nothing()
        .returning(CallEvent.id)) is not None
    if not stored and idempotency_key is not None:
        _check_replay(session, tenant, idempotency_key, body)  # a key reused for another event: 409, all undone
    if stored:
        _take_location(call, body.get("location"))
        # A new call has this one event only: no need to read its events back.
        _recompute(session, call, [(body["event"], body["at"], body.get("agent"))] if created else None)
        publish(session, tenant.id, "calls")  # the open consoles and boards re-read their queue
    return _answer(session, tenant, call, stored)


def _check_replay(session: Session, tenant: Tenant, key: str, body: dict) -> None:
    """Conflict if this Idempotency-Key was sent before with another event (the same event again is a replay)."""
    seen = session.execute(select(CallEvent.event, CallEvent.sequence, Call.pbx_call_id)
                           .join(Call, (Call.tenant_id == CallEvent.tenant_id) & (Call.id == CallEvent.call_id))
                           .where(CallEvent.tenant_id == tenant.id, CallEvent.idempotency_key == key)).first()
    if seen is None:
        return
    if (seen.pbx_call_id, seen.event, seen.sequence) != (body["call_id"], body["event"], body.get("sequence")):
        raise Conflict(N_("This Idempotency-Key was used for another event (%(event)s of call %(call_id)s); use a new "
                          "key for a new event."), "Idempotency-Key", code="idempotency_key_reused",
                       location="headers", event=seen.event, call_id=seen.pbx_call_id)


def _call_for(session: Session, tenant: Tenant, pbx_call_id: str, dialed: str, caller: str | None,
              secret: str | bytes) -> tuple[Call, bool]:
    """The call of this PBX call id, created by its first event whichever that is, and locked (a row this
    transaction inserted is its own until it commits); True if this event created it."""
    created = session.scalar(insert(Call).values(
        tenant_id=tenant.id, pbx_call_id=pbx_call_id, dialed_e164=dialed, caller_e164=caller,
        caller_key=caller_key(secret, caller) if caller else None, is_test=tenant.status != "live",
    ).on_conflict_do_nothing(constraint="uq_calls_tenant_pbx_call_id").returning(Call))
    if created is not None:
        return created, True
    call = session.scalar(select(Call).where(Call.tenant_id == tenant.id, Call.pbx_call_id == pbx_call_id)
                          .with_for_update().execution_options(populate_existing=True))
    if call.caller_e164 is None and caller is not None:  # a later event may carry the number the first lacked
        call.caller_e164, call.caller_key = caller, caller_key(secret, caller)
    return call, False


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


def _take_location(call: Call, location: dict | None) -> None:
    """The newest position the PBX sent (Advanced Mobile Location may send several as the fix improves)."""
    if not location:
        return
    if call.location_at is not None and location.get("at") is not None and location["at"] < call.location_at:
        return
    call.latitude, call.longitude = location["latitude"], location["longitude"]
    call.location_radius_m, call.location_method = location.get("radius_m"), location.get("method")
    call.location_at = location.get("at")


def _recompute(session: Session, call: Call, events: list[tuple] | None = None) -> None:
    """The call from all its events (read back unless given); its operator looked up only when the agent changed."""
    if events is None:
        events = session.execute(select(CallEvent.event, CallEvent.at, CallEvent.agent).where(
            CallEvent.tenant_id == call.tenant_id, CallEvent.call_id == call.id)).all()
    was_terminal, agent_before = call.state in TERMINAL, call.agent
    for name, value in derive([tuple(row) for row in events]).items():
        setattr(call, name, value)
    if call.agent != agent_before or (call.agent and call.operator_id is None):
        call.operator_id = _operator(session, call.tenant_id, call.agent)
    call.updated_at, call.version = func.now(), Call.version + 1
    session.flush()
    if call.state in TERMINAL and not was_terminal:
        _call_reached_its_end(session, call)


def _call_reached_its_end(session: Session, call: Call) -> None:
    """Once per call: `call.ended` for the monitoring, and a call that dropped before anyone answered goes on the
    callback list (Kota Batu: most of its calls dropped before answer — some of them were emergencies)."""
    # No personal data in the event: the monitoring rollups need the region, the times and the outcome.
    emit(session, CALL_ENDED, {"tenant_id": str(call.tenant_id), "call_id": str(call.id), "state": call.state,
                               "is_test": call.is_test})
    if call.state == "abandoned":
        add_callback(session, call, "abandoned")


def add_callback(session: Session, call: Call, reason: str) -> None:
    """Put the call on the callback list, once; a withheld number cannot be called back."""
    if call.caller_key is None:
        return
    session.execute(insert(Callback).values(tenant_id=call.tenant_id, call_id=call.id, reason=reason)
                    .on_conflict_do_nothing(constraint="uq_callbacks_tenant_call"))


def _operator(session: Session, tenant_id: uuid.UUID, agent: str | None) -> uuid.UUID | None:
    """The region's operator the PBX names as the agent: by the extension they answer on, or by e-mail."""
    from siaga112.platform.identity.models import Membership, User

    if not agent:
        return None
    if "@" not in agent:
        return session.scalar(select(AgentExtension.user_id).where(
            AgentExtension.tenant_id == tenant_id, AgentExtension.extension == agent.strip()))
    return session.scalar(select(User.id).join(Membership, Membership.user_id == User.id).where(
        Membership.tenant_id == tenant_id, Membership.role.in_(("operator", "supervisor")),
        func.lower(User.email) == agent.strip().lower()).limit(1))


def _answer(session: Session, tenant: Tenant, call: Call, stored: bool) -> Intake:
    """What is known of the caller, in one query (the block row is loaded only when there is one)."""
    if call.caller_key is None:
        return Intake(call, stored, 0, None)
    repeats, block_id = session.execute(select(_repeat_false_calls(tenant.id, call).scalar_subquery(),
                                               in_force(tenant.id, call.caller_key)
                                               .with_only_columns(CallBlock.id).scalar_subquery())).one()
    return Intake(call, stored, repeats, session.get(CallBlock, block_id) if block_id else None)


def _repeat_false_calls(tenant_id: uuid.UUID, call: Call):
    return select(func.count()).select_from(Call).where(
        Call.tenant_id == tenant_id, Call.caller_key == call.caller_key, Call.id != call.id,
        Call.classification.in_(FALSE_CALLS), Call.offered_at > func.now() - REPEAT_WINDOW)



def repeat_false_calls(session: Session, tenant_id: uuid.UUID, call: Call) -> int:
    """Prank and ghost calls from the same number in the last 30 days, by its keyed hash."""
    if call.caller_key is None:
        return 0
    return session.scalar(_repeat_false_calls(tenant_id, call))


# --- reading -------------------------------------------------------------------------------------------

def calls_query(tenant_id: uuid.UUID, state: str | None = None, classification: str | None = None,
                incident_id: uuid.UUID | None = None, since: datetime | None = None, until: datetime | None = None):
    """The region's calls, newest first, filtered (`classification="none"`: not classified yet)."""
    query = select(Call).where(Call.tenant_id == tenant_id).options(selectinload(Call.category))
    if state:
        query = query.where(Call.state == state)
    if classification:
        query = query.where(Call.classification.is_(None) if classification == "none"
                            else Call.classification == classification)
    if incident_id:
        query = query.where(Call.incident_id == incident_id)
    if since:
        query = query.where(Call.offered_at >= since)
    if until:
        query = query.where(Call.offered_at < until)
    return query.order_by(Call.offered_at.desc().nulls_last(), Call.id)


def test_call_counts(session: Session, tenant_id: uuid.UUID, since: datetime) -> tuple[int, int]:
    """How many test calls the region took since then, and how many of them an operator classified."""
    total, classified = session.execute(
        select(func.count(), func.count(Call.classification))
        .where(Call.tenant_id == tenant_id, Call.is_test.is_(True), Call.offered_at >= since)).one()
    return total, classified


def get_call(session: Session, tenant_id: uuid.UUID, call_id: uuid.UUID, field: str | None = None) -> Call:
    """The region's call; named in a body (`field`), an unknown one is a 422 on that field, in the path a 404."""
    call = session.scalar(select(Call).where(Call.tenant_id == tenant_id, Call.id == call_id))
    if call is None:
        if field:
            raise Invalid(N_("This region has no such call."), field, code="unknown_call")
        raise NotFound(N_("This region has no such call."))
    return call


# --- what the region's people do to a call -----------------------------------------------------------

def snapshot(call: Call) -> dict:
    """What the audit log keeps of a call: never the caller's number, nor the text an operator typed."""
    return {"pbx_call_id": call.pbx_call_id, "state": call.state, "classification": call.classification,
            "category_id": str(call.category_id) if call.category_id else None,
            "incident_id": str(call.incident_id) if call.incident_id else None,
            "located": call.latitude is not None or bool(call.location_text), "notes": bool(call.notes),
            "source": call.source, "is_test": call.is_test}


def category_id(session: Session, tenant_id: uuid.UUID, code: str | None) -> uuid.UUID | None:
    """The id of one of the region's active categories, by its code; a 422 naming `category` otherwise."""
    from siaga112.tenants.categories.models import IncidentCategory

    if code is None:
        return None
    found = session.scalar(select(IncidentCategory.id).where(
        IncidentCategory.tenant_id == tenant_id, IncidentCategory.code == code, IncidentCategory.active.is_(True)))
    if found is None:
        raise Invalid(N_("This region has no active category %(category)s."), "category", code="unknown_category",
                      category=code[:40])
    return found


def located(fields: dict, now: datetime | None = None) -> dict:
    """The location columns from what a person typed: coordinates come in pairs, and a position typed in by hand
    is `manual`, of now."""
    values = {name: fields[name] for name in ("location_text", "latitude", "longitude", "location_radius_m")
              if name in fields}
    if ("latitude" in values) != ("longitude" in values) or (
            "latitude" in values and (values["latitude"] is None) != (values["longitude"] is None)):
        missing = "longitude" if values.get("latitude") is not None else "latitude"
        raise Invalid(N_("Give the latitude and the longitude together (or clear both)."), missing,
                      code="coordinates_pair")
    if "latitude" in values:
        has_position = values["latitude"] is not None
        values["location_method"] = "manual" if has_position else None
        values["location_at"] = (now or datetime.now(timezone.utc)) if has_position else None
        if not has_position:
            values["location_radius_m"] = None
    if "location_text" in values:
        values["location_text"] = (values["location_text"] or "").strip() or None
    return values


def update_call(session: Session, call: Call, changes: dict, actor) -> Call:
    """What the operator records of a call: its classification, category, location, notes and incident; audited
    (without the number and the typed text). A ghost call goes on the callback list: a silent caller may be a
    person who cannot speak."""
    from siaga112.platform.audit.service import record

    from .incidents import open_incident_id

    before = snapshot(call)
    values = located(changes)
    if "classification" in changes:
        values["classification"] = changes["classification"]
    if "category" in changes:
        values["category_id"] = category_id(session, call.tenant_id, changes["category"])
    if "notes" in changes:
        values["notes"] = (changes["notes"] or "").strip() or None
    if "incident_id" in changes:
        values["incident_id"] = open_incident_id(session, call.tenant_id, changes["incident_id"])
    values = apply_changes(session, call, values)
    if not values:
        return call
    publish(session, call.tenant_id, "calls")
    if values.get("classification") == "ghost":
        add_callback(session, call, "ghost")
    record(session, actor, "call.update", "call", call.id, tenant_id=call.tenant_id, before=before,
           after=snapshot(call))
    return call


def classify(session: Session, call: Call, classification: str | None, actor) -> Call:
    """Set (or clear) how the call is classified; audited."""
    return update_call(session, call, {"classification": classification}, actor)


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
                operator_id=actor.user_id,
                **{name: derived[name] for name in ("offered_at", "answered_at", "ended_at", "state")})
    session.add(call)
    session.flush()
    publish(session, tenant.id, "calls")
    record(session, actor, "call.log", "call", call.id, tenant_id=tenant.id, after=snapshot(call))
    if call.state in TERMINAL:
        emit(session, CALL_ENDED, {"tenant_id": str(tenant.id), "call_id": str(call.id), "state": call.state,
                                   "is_test": call.is_test})
    return call


# --- the caller's number: personal data (UU 27/2022 PDP) ------------------------------------------------

RETENTION_DAYS = 90  # the default retention of callers' numbers, unless the region set its own


def read_caller(session: Session, call: Call, actor) -> str | None:
    """The caller's number, for the region's own staff; every read is written to the audit log."""
    from siaga112.platform.audit.service import record

    record(session, actor, "call.caller_read", "call", call.id, tenant_id=call.tenant_id,
           after={"withheld": call.caller_e164 is None})
    return call.caller_e164


def erase_old_callers(session: Session, now: datetime | None = None) -> int:
    """Erase the numbers of calls older than their region's retention period (90 days unless it set its own),
    keeping the rest of each record (its times, outcome and the keyed hash, which names no one). One statement
    over every region: it needs platform context."""
    if current_context(session) != PLATFORM:
        raise RuntimeError("erase_old_callers runs over every region: call it in platform context.")
    days = (select(CallSettings.caller_retention_days).where(CallSettings.tenant_id == Call.tenant_id)
            .scalar_subquery())
    cutoff = literal(now or datetime.now(timezone.utc)) - func.make_interval(0, 0, 0, func.coalesce(days, RETENTION_DAYS))
    return session.execute(update(Call).where(Call.caller_e164.is_not(None), Call.offered_at < cutoff)
                           .values(caller_e164=None)).rowcount


def retention_days(session: Session, tenant_id: uuid.UUID) -> int:
    found = session.get(CallSettings, tenant_id)
    return found.caller_retention_days if found else RETENTION_DAYS


def settings_of(session: Session, tenant_id: uuid.UUID) -> CallSettings:
    """The region's call settings; the defaults (not stored) until it changes them."""
    return session.get(CallSettings, tenant_id) or CallSettings(tenant_id=tenant_id, caller_retention_days=RETENTION_DAYS,
                                                                version=0)


def set_retention(session: Session, tenant_id: uuid.UUID, days: int, actor) -> CallSettings:
    """How many days the region keeps callers' numbers (1 to 3650); audited. Shortening it erases older numbers
    on the retention job's next run."""
    from siaga112.platform.audit.service import record

    if not 1 <= days <= 3650:
        raise Invalid(N_("Keep callers' numbers for 1 to 3650 days."), "caller_retention_days",
                      code="retention_out_of_range")
    before = retention_days(session, tenant_id)
    row = session.scalar(insert(CallSettings).values(tenant_id=tenant_id, caller_retention_days=days)
                         .on_conflict_do_update(constraint="pk_call_settings", set_={
                             "caller_retention_days": days, "updated_at": func.now(),
                             "version": CallSettings.version + 1})
                         .returning(CallSettings).execution_options(populate_existing=True))
    record(session, actor, "call_settings.update", "call_settings", tenant_id, tenant_id=tenant_id,
           before={"caller_retention_days": before}, after={"caller_retention_days": days})
    return row
