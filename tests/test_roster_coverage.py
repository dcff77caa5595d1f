"""Coverage, rest and weekly-hour rules: hypothesis properties against brute force, in all three zones.

Generated rosters have shifts at half-hour times (many crossing midnight), people with random
assignments around and inside the range, and a tenant in WIB, WITA or WIT. Every boundary is on
a half hour (Indonesia's offsets are whole hours), so a brute force that looks at every half hour
of the window, and measures time in half-hour slots, sees everything the sweep line does.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siaga112.tenants.roster import coverage
from siaga112.tenants.roster.coverage import Clock, ShiftSpec
from siaga112.tenants.roster.generator import people_needed, rotation_slots

OFFSETS = {"Asia/Jakarta": 7, "Asia/Makassar": 8, "Asia/Jayapura": 9}
HALF_HOUR = 1800
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

half_hours = st.integers(0, 47).map(lambda n: time(n // 2, 30 * (n % 2)))


@st.composite
def shift_sets(draw):
    shifts = []
    for index in range(draw(st.integers(1, 4))):
        start = draw(half_hours)
        end = draw(half_hours.filter(lambda t, start=start: t != start))
        shifts.append(ShiftSpec(uuid.UUID(int=index + 1), f"S{index}", start, end, draw(st.integers(1, 3)),
                                active=index == 0 or draw(st.booleans())))
    return shifts


@st.composite
def rosters(draw):
    """(clock, shifts, duties, first, last, max_weekly_hours)."""
    clock = Clock(draw(st.sampled_from(sorted(OFFSETS))))
    shifts = draw(shift_sets())
    first = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 3 * 365)))
    last = first + timedelta(days=draw(st.integers(0, 9)))
    people = [uuid.UUID(int=1000 + n) for n in range(draw(st.integers(1, 3)))]
    load_from, load_to = coverage.duty_dates_needed(first, last)
    # Days anywhere the report reads, and often just around the range, where conflicts and coverage happen.
    around = (first - load_from).days - 1
    days = st.one_of(st.integers(0, (load_to - load_from).days), st.integers(around, around + (last - first).days + 2))
    size = draw(st.integers(0, 60))
    picks = draw(st.sets(st.tuples(st.integers(0, len(people) - 1), days, st.integers(0, len(shifts) - 1)),
                         min_size=min(size // 2, len(people) * len(shifts)), max_size=size))
    duties = [clock.duty(people[p], load_from + timedelta(days=d), shifts[s], uuid.UUID(int=10_000 + n))
              for n, (p, d, s) in enumerate(sorted(picks))]
    return clock, shifts, duties, first, last, draw(st.integers(8, 60))


def compute(roster):
    clock, shifts, duties, first, last, max_weekly_hours = roster
    return coverage.compute(clock, shifts, duties, first, last, max_weekly_hours)


def instances(clock, shifts, first, last):
    """Every active shift instance that could touch the window, by brute force."""
    return [(shift, *clock.shift_bounds(first + timedelta(days=n), shift))
            for n in range(-3, (last - first).days + 3) for shift in shifts if shift.active]


@given(rosters())
@PROPERTY
def test_gaps_and_covered_time_partition_the_window(roster):
    report = compute(roster)
    assert report.segments[0].start == report.start and report.segments[-1].end == report.end
    for before, after in zip(report.segments, report.segments[1:]):
        assert before.end == after.start  # contiguous, no overlap
        assert (before.required, before.on_duty, before.shift_ids) != (after.required, after.on_duty, after.shift_ids)
    gap_seconds = sum(gap.seconds for gap in report.gaps)
    assert gap_seconds + report.covered_seconds == report.end - report.start
    assert (report.percent == 100.0) == (gap_seconds == 0)
    assert sum(day.end - day.start for day in report.days) == report.end - report.start


@given(rosters())
@PROPERTY
def test_every_half_hour_has_the_required_and_on_duty_numbers_of_brute_force(roster):
    clock, shifts, duties, first, last, _limit = roster
    report = compute(roster)
    every = instances(clock, shifts, first, last)
    segment = iter(report.segments)
    current = next(segment)
    for t in range(report.start, report.end, HALF_HOUR):
        while not current.start <= t < current.end:
            current = next(segment)
        required = sum(shift.min_staff for shift, start, end in every if start <= t < end)
        on_duty = len({d.user_id for d in duties if d.start <= t < d.end})
        assert (current.required, current.on_duty) == (required, on_duty)
        assert set(current.shift_ids) == {shift.id for shift, start, end in every if start <= t < end}
        expected = "uncovered" if required == 0 else "understaffed" if on_duty < required else "covered"
        assert current.kind == expected


@given(rosters())
@PROPERTY
def test_roster_days_start_at_the_earliest_shift_in_local_time(roster):
    clock, shifts, _duties, first, last, _limit = roster
    report = compute(roster)
    start, end = clock.local(report.start), clock.local(report.end)
    assert start.utcoffset() == timedelta(hours=OFFSETS[clock.zone_name])
    assert (start.date(), start.time()) == (first, min(s.start for s in shifts if s.active))
    assert (end.date(), end.time()) == (last + timedelta(days=1), start.time())
    for shift, begin, finish in instances(clock, shifts, first, last):
        local_start, local_end = clock.local(begin), clock.local(finish)
        assert (local_start.time(), local_end.time()) == (shift.start, shift.end)
        assert (local_end.date() - local_start.date()).days == (1 if shift.crosses_midnight else 0)


def _in_window(report, instant):
    return report.start <= instant < report.end


@given(rosters())
@PROPERTY
def test_a_person_never_overlaps_unless_reported(roster):
    _clock, _shifts, duties, *_rest = roster
    report = compute(roster)
    expected = {frozenset((a.assignment_id, b.assignment_id)) for a in duties for b in duties
                if a.user_id == b.user_id and a.assignment_id != b.assignment_id
                and a.start < b.end and b.start < a.end and _in_window(report, max(a.start, b.start))}
    reported = [frozenset(d.assignment_id for d in c.duties) for c in report.conflicts if c.kind == "overlap"]
    assert len(reported) == len(set(reported))
    assert set(reported) == expected


@given(rosters())
@PROPERTY
def test_rest_under_8_hours_is_reported_iff_it_happens(roster):
    """A rest is the time from the end of a duty to the next start with no duty of the person in between
    (back-to-back shifts rest 0 hours)."""
    _clock, _shifts, duties, *_rest = roster
    report = compute(roster)
    expected = set()
    for a in duties:
        for b in duties:
            if (a.user_id == b.user_id and a is not b and 0 <= b.start - a.end < 8 * 3600
                    and _in_window(report, b.start)
                    and not any(c.user_id == a.user_id and c is not a and c is not b
                                and c.start < b.start and c.end > a.end for c in duties)):
                expected.add((a.user_id, a.end, b.start))
    reported = {(c.user_id, c.start, c.end) for c in report.conflicts if c.kind == "short_rest"}
    assert reported == expected
    assert all(c.hours == (c.end - c.start) / 3600 < 8 for c in report.conflicts if c.kind == "short_rest")


@given(rosters())
@PROPERTY
def test_weekly_hours_over_the_limit_are_reported_per_roster_week(roster):
    clock, shifts, duties, first, last, limit = roster
    report = compute(roster)
    expected = set()
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        week_start = clock.instant(monday, report.day_start)
        week_end = clock.instant(monday + timedelta(days=7), report.day_start)
        for user in {d.user_id for d in duties}:
            on = {t for d in duties if d.user_id == user
                  for t in range(max(d.start, week_start), min(d.end, week_end), HALF_HOUR)}
            if len(on) * HALF_HOUR > limit * 3600:
                expected.add((user, monday, len(on) / 2))
        monday += timedelta(days=7)
    assert {(c.user_id, c.week_start, c.hours) for c in report.conflicts if c.kind == "weekly_hours"} == expected


@given(zone=st.sampled_from(sorted(OFFSETS)), month=st.integers(0, 59), min_staff=st.integers(1, 3),
       extra=st.integers(0, 5), days_per_shift=st.integers(1, 3))
@settings(max_examples=40, deadline=None)
def test_the_rotation_covers_a_month_without_conflicts_given_the_people_it_needs(
        zone, month, min_staff, extra, days_per_shift):
    """Three shifts (one crossing midnight), two days off per cycle: 4 × min_staff people with two days on
    each shift (each works 6 days of 8), 5 × min_staff with one day on each."""
    clock = Clock(zone)
    shifts = [ShiftSpec(uuid.UUID(int=n + 1), code, start, end, min_staff)
              for n, (code, start, end) in enumerate((("P", time(7, 30), time(16)), ("S", time(16), time(23, 30)),
                                                       ("M", time(23, 30), time(7, 30))))]
    first = date(2026 + month // 12, month % 12 + 1, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    needed = people_needed(3, min_staff, days_per_shift, 2)
    # Cycles of 5, 8 and 11 days: min_staff × cycle / days_per_shift, rounded up.
    assert needed == {1: 5 * min_staff, 2: 4 * min_staff, 3: -(-11 * min_staff // 3)}[days_per_shift]
    people = [uuid.UUID(int=100 + n) for n in range(needed + extra)]
    specs = {s.id: s for s in shifts}
    slots = rotation_slots(people, [s.id for s in shifts], first, last, days_per_shift, 2)
    duties = [clock.duty(user, day, specs[shift_id]) for user, day, shift_id in slots]
    report = coverage.compute(clock, shifts, duties, first, last)
    assert report.percent == 100.0 and report.gaps == []
    assert report.conflicts == []


def test_times_follow_the_zone_database_not_a_fixed_offset():
    """Indonesia has no daylight saving, but the code asks zoneinfo at every date: Jakarta was UTC+7:30
    until 1964, and a zone with daylight saving gets a 7-hour night shift on the night clocks go forward."""
    jakarta = Clock("Asia/Jakarta")
    assert jakarta.local(jakarta.instant(date(1963, 6, 1), time(7, 30))).utcoffset() == timedelta(hours=7, minutes=30)
    assert jakarta.local(jakarta.instant(date(2026, 6, 1), time(7, 30))).utcoffset() == timedelta(hours=7)
    night = ShiftSpec(uuid.UUID(int=1), "M", time(23, 30), time(7, 30), 1)
    amsterdam = Clock("Europe/Amsterdam")
    start, end = amsterdam.shift_bounds(date(2026, 3, 28), night)
    assert end - start == 7 * 3600
    assert Clock.utc(start) == datetime(2026, 3, 28, 22, 30, tzinfo=timezone.utc)
