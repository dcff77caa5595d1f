"""Coverage and conflicts of a roster: pure computation, no database.

Everything is placed on one time line of instants (integer seconds since the epoch, UTC), converted
from the tenant's local wall-clock times with zoneinfo at each date, so no fixed UTC offset is
assumed anywhere (Indonesia keeps none of its three zones on daylight saving, but the code does
not rely on that).

Roster days. A roster day D runs from D at the day start to D+1 at the day start, where the day
start is the earliest start time of the active shifts (07:30 for 07:30–16:00, 16:00–23:30,
23:30–07:30), or midnight without shifts. So the night shift of D belongs to D, and a roster of
the dates 1–31 can cover its own range in full without the month before. `from`/`to` name roster
days; the report states the window they span in local time and UTC.

Coverage is pointwise. At an instant t, `required` is the sum of min_staff of the active shift
instances that contain t (overlapping shifts each want their own people), and `on_duty` the
number of distinct people with an assignment (of any shift) containing t. t is a gap when no
active shift contains it ("uncovered") or on_duty < required ("understaffed"). The segments of
the report partition the window; gaps are the segments that are not covered.

Conflicts, per person: two assignments that overlap in time; a rest shorter than MIN_REST between
the end of one duty and the start of the next (0 h for back-to-back double shifts); more than
`max_weekly_hours` on duty in a roster week (Monday to Sunday roster days).
"""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

MIN_REST_HOURS = 8
DEFAULT_MAX_WEEKLY_HOURS = 56  # 40 regular hours plus 16 of overtime: an upper bound for a 24/7 rotation
MAX_RANGE_DAYS = 62  # two months: a roster page plus its neighbour; keeps one request's work bounded
HOUR = 3600
DAY = timedelta(days=1)


@dataclass(frozen=True)
class ShiftSpec:
    """A shift template as the computation needs it (local wall-clock times)."""

    id: uuid.UUID
    code: str
    start: time
    end: time
    min_staff: int
    active: bool = True
    name: str = ""

    @property
    def crosses_midnight(self) -> bool:
        return self.end < self.start


@dataclass(frozen=True)
class Duty:
    """An assignment placed in time; assignment_id is None for one the rotation generator proposes."""

    user_id: uuid.UUID
    shift_id: uuid.UUID
    local_date: date
    start: int
    end: int
    assignment_id: uuid.UUID | None = None


class Clock:
    """Local wall-clock times of one IANA zone to instants and back (cached: a roster repeats its times)."""

    def __init__(self, zone_name: str):
        self.zone_name = zone_name
        self.zone = ZoneInfo(zone_name)
        self._instants: dict[tuple[date, time], int] = {}

    def instant(self, day: date, at: time) -> int:
        key = (day, at)
        found = self._instants.get(key)
        if found is None:
            found = self._instants[key] = int(datetime.combine(day, at, tzinfo=self.zone).timestamp())
        return found

    def shift_bounds(self, day: date, shift: ShiftSpec) -> tuple[int, int]:
        """Start and end instants of `shift` on the local date `day` (ending the next day if it crosses midnight)."""
        end_day = day + DAY if shift.end <= shift.start else day
        return self.instant(day, shift.start), self.instant(end_day, shift.end)

    def duty(self, user_id, day: date, shift: ShiftSpec, assignment_id=None) -> Duty:
        start, end = self.shift_bounds(day, shift)
        return Duty(user_id, shift.id, day, start, end, assignment_id)

    def local(self, instant: int) -> datetime:
        return datetime.fromtimestamp(instant, self.zone)

    @staticmethod
    def utc(instant: int) -> datetime:
        return datetime.fromtimestamp(instant, timezone.utc)


def day_start(shifts) -> time:
    """When a roster day begins: the earliest start of the active shifts, else midnight."""
    return min((s.start for s in shifts if s.active), default=time(0))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def duty_dates_needed(first: date, last: date) -> tuple[date, date]:
    """The local dates whose assignments a report on first..last reads: the weeks around it, and the
    day before (a night shift reaching into the range, a rest across its start)."""
    return monday_of(first) - timedelta(days=2), monday_of(last) + timedelta(days=7)


@dataclass(frozen=True)
class Segment:
    """A stretch of the window in which the numbers do not change."""

    start: int
    end: int
    required: int
    on_duty: int
    shift_ids: tuple[uuid.UUID, ...]  # the active shifts whose instances contain it

    @property
    def kind(self) -> str:
        if self.required == 0:
            return "uncovered"
        return "understaffed" if self.on_duty < self.required else "covered"

    @property
    def seconds(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Conflict:
    """overlap: the shared time of two duties; short_rest: the rest between them; weekly_hours: the week."""

    kind: str
    user_id: uuid.UUID
    start: int
    end: int
    duties: tuple[Duty, ...]
    hours: float
    limit_hours: float | None = None
    week_start: date | None = None


@dataclass(frozen=True)
class DayCoverage:
    day: date
    start: int
    end: int
    covered_seconds: int

    @property
    def percent(self) -> float:
        return floor_percent(self.covered_seconds, self.end - self.start)


@dataclass
class CoverageReport:
    clock: Clock
    first_day: date
    last_day: date
    day_start: time
    start: int
    end: int
    max_weekly_hours: float
    segments: list[Segment]
    conflicts: list[Conflict]
    days: list[DayCoverage]
    staffing: dict[tuple[date, uuid.UUID], int] = field(default_factory=dict)  # people per shift instance
    shifts: dict[uuid.UUID, ShiftSpec] = field(default_factory=dict)  # every shift the duties name

    @property
    def gaps(self) -> list[Segment]:
        return [segment for segment in self.segments if segment.kind != "covered"]

    @property
    def covered_seconds(self) -> int:
        return sum(segment.seconds for segment in self.segments if segment.kind == "covered")

    @property
    def percent(self) -> float:
        return floor_percent(self.covered_seconds, self.end - self.start)


def floor_percent(part: int, whole: int) -> float:
    # Rounded down: 99.97 % must never read as the 100 % that means "no gap at all".
    return math.floor(part * 1000 / whole) / 10 if whole else 0.0


def merged(intervals) -> list[tuple[int, int]]:
    """The union of (start, end) intervals; touching ones join (a person on duty without a break)."""
    result: list[list[int]] = []
    for start, end in sorted(intervals):
        if result and start <= result[-1][1]:
            result[-1][1] = max(result[-1][1], end)
        else:
            result.append([start, end])
    return [(start, end) for start, end in result]


def compute(clock: Clock, shifts, duties, first: date, last: date,
            max_weekly_hours: float = DEFAULT_MAX_WEEKLY_HOURS) -> CoverageReport:
    """The coverage of the roster days first..last. `duties` should span duty_dates_needed(first, last)."""
    shifts = list(shifts)
    active = [shift for shift in shifts if shift.active]
    starts_at = day_start(active)
    window = clock.instant(first, starts_at), clock.instant(last + DAY, starts_at)
    by_user: dict[uuid.UUID, list[Duty]] = defaultdict(list)
    for duty in duties:
        by_user[duty.user_id].append(duty)
    on_duty = {user: merged((d.start, d.end) for d in items) for user, items in by_user.items()}
    segments = _sweep(clock, active, on_duty, first, last, window)
    days = _days(clock, segments, first, last, starts_at)
    conflicts = _conflicts(clock, by_user, on_duty, first, last, starts_at, window, max_weekly_hours)
    return CoverageReport(clock, first, last, starts_at, window[0], window[1], max_weekly_hours, segments,
                          conflicts, days, _staffing(duties, first, last), {s.id: s for s in shifts})


def _sweep(clock, active, on_duty, first, last, window) -> list[Segment]:
    """Cut the window at every change of requirement or staff; merge stretches whose numbers repeat."""
    events: dict[int, list] = defaultdict(lambda: [0, 0, []])  # instant -> [Δrequired, Δon_duty, shift changes]
    day = first - DAY  # a shift of the day before may reach into the window
    while day <= last:
        for shift in active:
            start, end = clock.shift_bounds(day, shift)
            if start < window[1] and end > window[0]:
                events[start][0] += shift.min_staff
                events[start][2].append((shift.id, 1))
                events[end][0] -= shift.min_staff
                events[end][2].append((shift.id, -1))
        day += DAY
    for blocks in on_duty.values():
        for start, end in blocks:
            events[start][1] += 1
            events[end][1] -= 1
    for edge in window:  # cut at the window's edges even where nothing changes there
        events[edge][0] += 0
    segments: list[Segment] = []
    required = staff = 0
    running: Counter = Counter()
    instants = sorted(events)
    for index, instant in enumerate(instants[:-1]):
        d_required, d_staff, changes = events[instant]
        required, staff = required + d_required, staff + d_staff
        for shift_id, delta in changes:
            running[shift_id] += delta
        end = instants[index + 1]
        if instant < window[0] or end > window[1]:
            continue
        shift_ids = tuple(sorted((s for s, n in running.items() if n > 0), key=str))
        previous = segments[-1] if segments else None
        if previous and (previous.required, previous.on_duty, previous.shift_ids) == (required, staff, shift_ids):
            segments[-1] = Segment(previous.start, end, required, staff, shift_ids)
        else:
            segments.append(Segment(instant, end, required, staff, shift_ids))
    return segments


def _days(clock, segments, first, last, starts_at) -> list[DayCoverage]:
    days, index = [], 0
    day = first
    while day <= last:
        start, end = clock.instant(day, starts_at), clock.instant(day + DAY, starts_at)
        covered = 0
        while index < len(segments) and segments[index].end <= start:
            index += 1
        probe = index
        while probe < len(segments) and segments[probe].start < end:
            segment = segments[probe]
            if segment.kind == "covered":
                covered += min(end, segment.end) - max(start, segment.start)
            probe += 1
        days.append(DayCoverage(day, start, end, covered))
        day += DAY
    return days


def _staffing(duties, first, last) -> dict[tuple[date, uuid.UUID], int]:
    people: dict[tuple[date, uuid.UUID], set] = defaultdict(set)
    for duty in duties:
        if first <= duty.local_date <= last:
            people[(duty.local_date, duty.shift_id)].add(duty.user_id)
    return {key: len(users) for key, users in people.items()}


def _conflicts(clock, by_user, on_duty, first, last, starts_at, window, max_weekly_hours) -> list[Conflict]:
    """Overlaps and short rests at a duty that starts in the window (the later of the two duties), so
    that a conflict across the edge of two ranges belongs to exactly one of them; weekly hours of every
    roster week that touches the range."""
    found: list[Conflict] = []
    for user, items in by_user.items():
        items.sort(key=lambda d: (d.start, d.end, str(d.shift_id), d.local_date))
        found.extend(c for c in _overlaps(user, items) if window[0] <= c.start < window[1])
        found.extend(c for c in _short_rests(user, items) if window[0] <= c.end < window[1])
        found.extend(_weekly(clock, user, on_duty[user], first, last, starts_at, max_weekly_hours))
    found.sort(key=lambda c: (c.start, c.kind, str(c.user_id)))
    return found


def _overlaps(user, items: list[Duty]) -> list[Conflict]:
    """Every pair of the person's duties that share time (items sorted by start)."""
    found, open_duties = [], []
    for duty in items:
        open_duties = [other for other in open_duties if other.end > duty.start]
        for other in open_duties:
            shared = min(other.end, duty.end) - duty.start
            found.append(Conflict("overlap", user, duty.start, duty.start + shared, (other, duty), shared / HOUR))
        open_duties.append(duty)
    return found


def _short_rests(user, items: list[Duty]) -> list[Conflict]:
    """Each break between the end of the duty so far and the next start that is under MIN_REST_HOURS.

    A duty that starts before the latest end so far overlaps (reported above) and is no break.
    """
    found = []
    latest: Duty | None = None
    for duty in items:
        if latest is not None and duty.start >= latest.end and duty.start - latest.end < MIN_REST_HOURS * HOUR:
            found.append(Conflict("short_rest", user, latest.end, duty.start, (latest, duty),
                                  (duty.start - latest.end) / HOUR, MIN_REST_HOURS))
        if latest is None or duty.end > latest.end:
            latest = duty
    return found


def _weekly(clock, user, blocks, first, last, starts_at, max_weekly_hours) -> list[Conflict]:
    """Hours on duty in each roster week (Monday to Sunday) that touches first..last."""
    found = []
    monday = monday_of(first)
    while monday <= last:
        start, end = clock.instant(monday, starts_at), clock.instant(monday + timedelta(days=7), starts_at)
        seconds = sum(max(0, min(end, b_end) - max(start, b_start)) for b_start, b_end in blocks)
        if seconds > max_weekly_hours * HOUR:
            found.append(Conflict("weekly_hours", user, start, end, (), seconds / HOUR, max_weekly_hours, monday))
        monday += timedelta(days=7)
    return found
