"""The roster page's month grid (people × days, shift codes in the cells) and its coverage chart, as plain data.

Pure: the views hand in who is on which shift when and the coverage report; the templates only lay
out what comes out of here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from . import coverage

CHART_BAR = 24  # SVG units per day
CHART_HEIGHT = 100  # SVG units for 100 %


@dataclass(frozen=True)
class Entry:
    """One person on one shift on one date, on the roster or proposed by the generator."""

    user_id: uuid.UUID
    day: date
    code: str
    start: object  # a sort key: the shift's start time
    assignment_id: uuid.UUID | None = None
    proposed: bool = False


@dataclass
class Column:
    day: date
    percent: float
    gap_minutes: int

    @property
    def has_gap(self) -> bool:
        return self.gap_minutes > 0


@dataclass
class Row:
    user_id: uuid.UUID
    name: str
    cells: list[list[Entry]] = field(default_factory=list)

    @property
    def shifts(self) -> int:
        return sum(len(cell) for cell in self.cells)


@dataclass(frozen=True)
class Staffing:
    on_shift: int
    min_staff: int

    @property
    def short(self) -> bool:
        return self.on_shift < self.min_staff


@dataclass
class Grid:
    columns: list[Column]
    rows: list[Row]
    staffing: list[tuple[coverage.ShiftSpec, list[Staffing]]]


def build(report: coverage.CoverageReport, people: dict[uuid.UUID, str], entries) -> Grid:
    """The grid of the report's days: a row per person in `people` or in `entries`, by name."""
    days = [d.day for d in report.days]
    index = {day: n for n, day in enumerate(days)}
    columns = [Column(d.day, d.percent, (d.end - d.start - d.covered_seconds) // 60) for d in report.days]
    rows: dict[uuid.UUID, Row] = {user_id: Row(user_id, name, [[] for _ in days]) for user_id, name in people.items()}
    for entry in entries:
        if entry.day in index:
            row = rows.setdefault(entry.user_id, Row(entry.user_id, "?", [[] for _ in days]))
            row.cells[index[entry.day]].append(entry)
    for row in rows.values():
        for cell in row.cells:
            cell.sort(key=lambda e: e.start)
    active = sorted((s for s in report.shifts.values() if s.active), key=lambda s: (s.start, s.code))
    staffing = [(shift, [Staffing(report.staffing.get((day, shift.id), 0), shift.min_staff) for day in days])
                for shift in active]
    return Grid(columns, sorted(rows.values(), key=lambda r: (r.name.casefold(), str(r.user_id))), staffing)


@dataclass(frozen=True)
class Bar:
    day: date
    percent: float
    x: int
    y: float
    height: float
    tone: str  # full | partial | low


def chart(report: coverage.CoverageReport) -> list[Bar]:
    """One bar per roster day, as tall as that day's covered share."""
    bars = []
    for n, day in enumerate(report.days):
        height = day.percent * CHART_HEIGHT / 100
        tone = "full" if day.percent == 100 else "partial" if day.percent >= 75 else "low"
        bars.append(Bar(day.day, day.percent, n * CHART_BAR, CHART_HEIGHT - height, height, tone))
    return bars
