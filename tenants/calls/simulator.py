"""A traffic simulator for a region's 112 line: realistic calls, played as the PBX's telephony events.

Generation is pure and separate from sending. `generate()` draws call scenarios for a profile over a
span of time from a seeded `random.Random` (the same seed gives the same calls): arrivals follow a
daily curve (few at 3 a.m., most in the evening) with occasional bursts (five to eight callers within
two minutes about one incident), callers are Indonesian mobile numbers (some withheld, a pool of
repeat prank and ghost callers who call again and again), each call is answered after a ring or
abandoned, talks for as long as its kind usually does, and carries the classification the operator
would give it. `deliveries()` turns scenarios into the events a PBX sends (offered, answered, ended
with their sequence numbers, in the body of TelephonyEventSchema), and — as real PBXs do — sends some
twice and some out of order, so that whoever receives them meets the intake's real rules.

Sending is one of two ways: `play()` posts the deliveries to the intake endpoint over HTTP (`Pbx`:
a machine client's token, an Idempotency-Key per event, retries on 503 and lost connections honouring
Retry-After), at the scenarios' own times divided by a speed; `intake_all()` hands them to the intake
service in-process (the demo region's history). Classifying is the operators' work, not the PBX's:
what is sent carries no classification.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

KINDS = ("emergency", "non_emergency", "information", "prank", "ghost", "wrong_number", "test")
FALSE_KINDS = ("prank", "ghost")  # the calls repeat callers make
# Local hour → relative call volume (mean 1): fewest around 3 a.m., most from late afternoon into the evening,
# when pranks (often children's) peak too.
HOURLY = (0.45, 0.32, 0.24, 0.2, 0.24, 0.36, 0.6, 0.8, 0.92, 0.98, 1.02, 1.06, 1.06, 1.02, 1.02, 1.08, 1.2,
          1.35, 1.55, 1.65, 1.6, 1.35, 1.05, 0.78)
_MEAN_HOURLY = sum(HOURLY) / len(HOURLY)
# Talk time in seconds by kind: (shortest, most usual, longest) of a triangular draw.
TALK = {"emergency": (60, 150, 480), "non_emergency": (40, 100, 300), "information": (20, 60, 180),
        "prank": (5, 20, 90), "ghost": (5, 12, 30), "wrong_number": (4, 10, 25), "test": (8, 15, 40)}
# Indonesian mobile prefixes after +62 (Telkomsel, Indosat, XL, Axis, Tri, Smartfren).
MOBILE_PREFIXES = ("811", "812", "813", "821", "822", "823", "852", "853", "814", "815", "816", "855", "856",
                   "857", "858", "817", "818", "819", "859", "877", "878", "831", "832", "838", "895", "896",
                   "897", "898", "899", "881", "882", "887", "888")
WITHHELD_FORMS = (None, "anonymous", "private", "")  # how PBXs say the number is withheld
EXTENSIONS = ("201", "202", "203", "204")  # agents when no operator is known
BURST_SIZE = (5, 8)
BURST_SECONDS = 120


@dataclass(frozen=True)
class Profile:
    """What a region's 112 line receives in a day. The kind shares are of the answered calls (what operators
    classify); a call is abandoned with `abandoned_share` whatever it was about."""

    name: str
    calls_per_day: float
    shares: dict[str, float]
    abandoned_share: float
    bursts_per_day: float
    withheld_share: float = 0.04
    repeat_share: float = 0.6  # of prank and ghost calls: made by a caller of the repeat pool
    duplicate_share: float = 0.03  # of events: sent twice (a PBX retrying after a lost answer)
    reorder_share: float = 0.03  # of calls: two events arrive in the wrong order


# Calibrated on field figures: Kabupaten Lampung Barat ~50 calls a day, 70 % prank; Jakarta 637,292 calls in
# 2024 (~1,750 a day), 23 % prank; Kota Batu 61,897 incoming calls of which 57,073 dropped before answer.
PROFILES = {
    "small": Profile("small", 50, {"prank": 0.70, "ghost": 0.08, "information": 0.07, "emergency": 0.08,
                                   "non_emergency": 0.04, "wrong_number": 0.02, "test": 0.01},
                     abandoned_share=0.20, bursts_per_day=0.15),
    "city": Profile("city", 150, {"prank": 0.42, "ghost": 0.18, "information": 0.14, "emergency": 0.14,
                                  "non_emergency": 0.07, "wrong_number": 0.04, "test": 0.01},
                    abandoned_share=0.45, bursts_per_day=0.8),
    "metro": Profile("metro", 1750, {"prank": 0.23, "ghost": 0.24, "information": 0.20, "emergency": 0.18,
                                     "non_emergency": 0.09, "wrong_number": 0.05, "test": 0.01},
                     abandoned_share=0.30, bursts_per_day=5),
}


@dataclass(frozen=True)
class Scenario:
    """One call as it happens: who called, when, whether and by whom it was answered, and what it was."""

    call_id: str
    offered_at: datetime
    caller: str | None  # as the PBX sends it: None or another withheld form when withheld
    kind: str
    answered: bool
    ring_seconds: float  # until answered, or until the caller gave up
    talk_seconds: float  # 0 when abandoned
    agent: str | None  # the operator's e-mail or extension; None when abandoned
    burst: int | None = None  # the burst (one incident, many callers) it belongs to

    @property
    def answered_at(self) -> datetime | None:
        return self.offered_at + timedelta(seconds=self.ring_seconds) if self.answered else None

    @property
    def ended_at(self) -> datetime:
        return self.offered_at + timedelta(seconds=self.ring_seconds + self.talk_seconds)

    @property
    def classification(self) -> str | None:
        """What the operator who answered would classify it as (nobody classifies an abandoned call)."""
        return self.kind if self.answered else None

    @property
    def state(self) -> str:
        """The state the intake must give the call once all its events are in."""
        return "ended" if self.answered else "abandoned"


OnDuty = Callable[[datetime], Sequence[str]]


def always(agents: Sequence[str]) -> OnDuty:
    """The same agents at every hour (when the roster is not known)."""
    return lambda _at: agents


def generate(profile: Profile, start: datetime, end: datetime, seed: int | str, on_duty: OnDuty = always(()),
             zone: str = "Asia/Jakarta") -> list[Scenario]:
    """The calls offered from start to end, in order; deterministic for a seed."""
    return _Generator(profile, random.Random(seed), on_duty, ZoneInfo(zone)).run(start, end)


class _Generator:
    def __init__(self, profile: Profile, rng: random.Random, on_duty: OnDuty, zone: ZoneInfo):
        self.profile, self.rng, self.on_duty, self.zone = profile, rng, on_duty, zone
        self.serial = rng.randrange(10**6)
        pool_size = max(3, round(profile.calls_per_day * sum(profile.shares[k] for k in FALSE_KINDS) / 4))
        self.repeaters = [self.mobile() for _ in range(pool_size)]
        # A few repeaters call far more often than the rest (Zipf-like weights).
        self.repeater_weights = [1 / (rank + 1) for rank in range(pool_size)]

    def run(self, start: datetime, end: datetime) -> list[Scenario]:
        calls = [self.ordinary(at) for at in self.arrivals(start, end)]
        for number, at in enumerate(self.bursts(start, end)):
            calls.extend(self.burst(at, number))
        return sorted((call for call in calls if call.offered_at < end), key=lambda call: call.offered_at)

    def arrivals(self, start: datetime, end: datetime) -> Iterable[datetime]:
        """A Poisson process following the daily curve (by thinning a process at the busiest hour's rate)."""
        peak = self.profile.calls_per_day / 86400 * max(HOURLY) / _MEAN_HOURLY
        at = start
        while True:
            at += timedelta(seconds=self.rng.expovariate(peak))
            if at >= end:
                return
            if self.rng.random() < HOURLY[at.astimezone(self.zone).hour] / max(HOURLY):
                yield at

    def bursts(self, start: datetime, end: datetime) -> Iterable[datetime]:
        if self.profile.bursts_per_day <= 0:
            return
        at = start
        while True:
            at += timedelta(days=self.rng.expovariate(self.profile.bursts_per_day))
            if at >= end:
                return
            yield at

    def burst(self, at: datetime, number: int) -> list[Scenario]:
        """Several people calling about the same incident (a fire, a crash) within two minutes."""
        size = self.rng.randint(*BURST_SIZE)
        offsets = sorted(self.rng.uniform(0, BURST_SECONDS) for _ in range(size))
        return [self.call(at + timedelta(seconds=offset), "emergency", self.mobile(), number) for offset in offsets]

    def ordinary(self, at: datetime) -> Scenario:
        kinds, weights = zip(*self.profile.shares.items())
        kind = self.rng.choices(kinds, weights)[0]
        return self.call(at, kind, self.caller(kind))

    def call(self, at: datetime, kind: str, caller: str | None, burst: int | None = None) -> Scenario:
        self.serial += 1
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # a PBX's clock: milliseconds
        answered = self.rng.random() >= self.profile.abandoned_share
        if answered:
            ring = min(60.0, 2 + self.rng.lognormvariate(1.6, 0.6))
            talk = self.rng.triangular(TALK[kind][0], TALK[kind][2], TALK[kind][1])
            agent = self.agent(at)
        else:
            ring, talk, agent = min(90.0, 1 + self.rng.lognormvariate(2.0, 0.8)), 0.0, None
        # Asterisk-style unique ids: the epoch second and a serial.
        return Scenario(f"{int(at.timestamp())}.{self.serial}", at, caller, kind, answered, round(ring, 3),
                        round(talk, 3), agent, burst)

    def caller(self, kind: str) -> str | None:
        if self.rng.random() < self.profile.withheld_share:
            return self.rng.choice(WITHHELD_FORMS)
        if kind in FALSE_KINDS and self.rng.random() < self.profile.repeat_share:
            return self.rng.choices(self.repeaters, self.repeater_weights)[0]
        return self.mobile()

    def mobile(self) -> str:
        return f"+62{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**7, 10**8)}"

    def agent(self, at: datetime) -> str:
        return self.rng.choice(list(self.on_duty(at)) or EXTENSIONS)


# --- from scenarios to what the PBX sends ------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    """One POST of one event: when it is sent, its body, its Idempotency-Key (None: the PBX sent none)."""

    send_at: datetime
    body: dict
    key: str | None
    copy: bool = False  # the same event sent again
    late: bool = False  # sent after an event that happened later


def events_of(scenario: Scenario, dialed: str) -> list[tuple[datetime, dict]]:
    """The call's events in the order they happened: (at, body)."""
    def body(event: str, at: datetime, sequence: int, agent: str | None = None) -> dict:
        return {"event": event, "call_id": scenario.call_id, "dialed": dialed, "caller": scenario.caller,
                "at": at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "sequence": sequence, "agent": agent}

    happened = [(scenario.offered_at, body("offered", scenario.offered_at, 0))]
    if scenario.answered:
        happened.append((scenario.answered_at, body("answered", scenario.answered_at, 1, scenario.agent)))
    happened.append((scenario.ended_at, body("ended", scenario.ended_at, 2, scenario.agent)))
    return happened


def key_of(body: dict) -> str:
    return f"{body['call_id']}/{body['event']}/{body['sequence']}"


def deliveries(scenarios: Iterable[Scenario], dialed: str, profile: Profile, seed: int | str,
               imperfect: bool = True) -> list[Delivery]:
    """What the PBX sends for these calls, in the order it sends it; `imperfect` adds its repeats and
    reorderings (deterministic for a seed)."""
    rng = random.Random(f"deliveries:{seed}")
    sent = []
    for scenario in scenarios:
        timed = [Delivery(at + timedelta(seconds=rng.uniform(0.02, 0.3)), body, key_of(body))
                 for at, body in events_of(scenario, dialed)]
        if imperfect:
            timed = _reordered(timed, rng, profile.reorder_share) + _copies(timed, rng, profile.duplicate_share)
        sent.extend(timed)
    return sorted(sent, key=lambda delivery: delivery.send_at)


def _reordered(timed: list[Delivery], rng: random.Random, share: float) -> list[Delivery]:
    """Now and then an event is held up and arrives after the call's next one (its own time is unchanged)."""
    if rng.random() >= share:
        return timed
    index = rng.randrange(len(timed) - 1)
    held, next_one = timed[index], timed[index + 1]
    late = Delivery(next_one.send_at + timedelta(seconds=rng.uniform(0.2, 3)), held.body, held.key, late=True)
    return timed[:index] + [late] + timed[index + 1:]


def _copies(timed: list[Delivery], rng: random.Random, share: float) -> list[Delivery]:
    """A retry after a lost answer: the same event again, with its key or (a PBX that sends none) without."""
    return [Delivery(delivery.send_at + timedelta(seconds=rng.uniform(0.5, 10)), delivery.body,
                     delivery.key if rng.random() < 0.5 else None, copy=True)
            for delivery in timed if rng.random() < share]


# --- sending ----------------------------------------------------------------------------------------------

Post = Callable[[dict, str | None], tuple[int, dict | None]]  # (body, Idempotency-Key) → (status, JSON answer)


@dataclass
class Summary:
    """What a run sent and what the intake made of it."""

    sent: int = 0
    stored: int = 0
    duplicates: int = 0
    failed: Counter = field(default_factory=Counter)  # status (or "connection") → how many
    states: dict[str, str] = field(default_factory=dict)  # call id → state after its last answer
    kinds: Counter = field(default_factory=Counter)  # what the calls were about, for the operators to classify

    def count(self, status: int | str, answer: dict | None, call_id: str) -> None:
        self.sent += 1
        if status in (200, 201) and answer:
            self.stored += answer["stored"]
            self.duplicates += not answer["stored"]
            self.states[call_id] = answer["call"]["state"]
        else:
            self.failed[status] += 1

    def as_dict(self) -> dict:
        states = Counter(self.states.values())
        return {"sent": self.sent, "stored": self.stored, "duplicates": self.duplicates,
                "failed": {str(status): count for status, count in self.failed.items()}, "calls": len(self.states),
                "states": dict(states), "abandoned": states["abandoned"], "kinds": dict(self.kinds)}

    def lines(self) -> list[str]:
        states = Counter(self.states.values())
        return [f"events sent: {self.sent} (stored {self.stored}, duplicates {self.duplicates}, "
                f"failed {sum(self.failed.values())}{_listed(self.failed)})",
                f"calls: {len(self.states)} ({_listed(states, bare=True)}); "
                f"abandoned: {states['abandoned']}",
                f"left for the operators to classify, by what they were: {_listed(self.kinds, bare=True)}"]


def _listed(counts: Counter, bare: bool = False) -> str:
    text = ", ".join(f"{name} {count}" for name, count in counts.most_common())
    return (text or "none") if bare else (f": {text}" if text else "")


def play(sent: Sequence[Delivery], post: Post, scenarios: Sequence[Scenario] = (), speed: float | None = None,
         sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
         echo: Callable[[str], None] | None = None) -> Summary:
    """Post every delivery, each at its time divided by `speed` after the first (None: as fast as possible)."""
    summary = Summary(kinds=Counter(scenario.kind for scenario in scenarios))
    if not sent:
        return summary
    origin, began = sent[0].send_at, clock()
    for index, delivery in enumerate(sent):
        if speed:
            wait = (delivery.send_at - origin).total_seconds() / speed - (clock() - began)
            if wait > 0:
                sleep(wait)
        status, answer = post(delivery.body, delivery.key)
        summary.count(status, answer, delivery.body["call_id"])
        if echo and (index + 1) % 500 == 0:
            echo(f"… {index + 1} of {len(sent)} events sent")
    return summary


class Pbx:
    """Posts events to the intake endpoint as a region's machine client, the way a PBX would: it fetches
    (and renews) its token by client credentials and retries on 503 and lost connections, honouring
    Retry-After, with backoff (urllib3's Retry)."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, retries: int = 8, timeout: float = 10):
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.base_url, self.auth, self.timeout = base_url.rstrip("/"), (client_id, client_secret), timeout
        self.http = requests.Session()
        retry = Retry(total=retries, connect=retries, read=2, status=retries, backoff_factor=0.5, backoff_max=30,
                      status_forcelist=(503,), allowed_methods=None, respect_retry_after_header=True,
                      raise_on_status=False)
        self.http.mount(self.base_url, HTTPAdapter(max_retries=retry))
        self.token, self.expires = None, 0.0

    def _bearer(self) -> str:
        if self.token is None or time.monotonic() > self.expires - 30:
            answer = self.http.post(f"{self.base_url}/oauth/token", data={"grant_type": "client_credentials"},
                                    auth=self.auth, timeout=self.timeout)
            answer.raise_for_status()
            granted = answer.json()
            self.token, self.expires = granted["access_token"], time.monotonic() + granted.get("expires_in", 300)
        return self.token

    def post(self, body: dict, key: str | None, renewed: bool = False) -> tuple[int | str, dict | None]:
        import requests

        headers = {"Authorization": f"Bearer {self._bearer()}"} | ({"Idempotency-Key": key} if key else {})
        try:
            answer = self.http.post(f"{self.base_url}/api/v1/telephony/events", json=body, headers=headers,
                                    timeout=self.timeout)
        except requests.ConnectionError:
            return "connection", None
        if answer.status_code == 401 and not renewed:  # the token ran out meanwhile: once more with a new one
            self.token = None
            return self.post(body, key, renewed=True)
        return answer.status_code, answer.json() if answer.ok else None


# --- in-process: the intake service itself (the demo region's history) ------------------------------------

def intake_all(session, tenant_id, sent: Iterable[Delivery], secret: str | bytes) -> dict:
    """Hand each delivery to the intake service, as the endpoint would; {PBX call id: the call}. The session is
    left in the tenant's context."""
    from .service import intake

    calls = {}
    for delivery in sent:
        calls[delivery.body["call_id"]] = intake(session, tenant_id, _as_loaded(delivery.body), secret,
                                                 delivery.key).call
    return calls


def _as_loaded(body: dict) -> dict:
    """The body as TelephonyEventSchema loads it (the time parsed)."""
    return body | {"at": datetime.fromisoformat(body["at"].replace("Z", "+00:00"))}


def hours_span(hours: float, now: datetime | None = None) -> tuple[datetime, datetime]:
    """From now (to the second) for `hours`."""
    start = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    return start, start + timedelta(hours=hours)
