"""The roster API's request and response bodies (marshmallow), and the coverage report as a document."""

from __future__ import annotations

import re
from datetime import time

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from siaga112.platform.refusals import Invalid
from siaga112.platform.schemas import PrintableText

from . import coverage, generator, service
from .models import MIN_STAFF_MAX

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
DATE_RANGE = validate.Range(min=service.FIRST_DATE, max=service.LAST_DATE,
                            error=f"Use a date from {service.FIRST_DATE} to {service.LAST_DATE}.")


class LocalTime(fields.String):
    """A wall-clock time in the tenant's zone, HH:MM (24-hour)."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": TIME_PATTERN, "example": "07:30",
                              "description": "Local time of the tenant, HH:MM (24-hour)", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value.strftime("%H:%M") if value is not None else None

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not re.fullmatch(TIME_PATTERN, text):
            raise ValidationError("Use a 24-hour local time HH:MM, such as 07:30 or 23:30.")
        return time(int(text[:2]), int(text[3:]))


class ShiftCode(fields.String):
    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": "^[A-Za-z0-9]{1,3}$", "example": "P",
                              "description": "1–3 letters or digits shown in the roster grid (stored in capitals)"}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if not re.fullmatch(r"[A-Z0-9]{1,3}", text):
            raise ValidationError("Use 1 to 3 letters or digits, such as P (pagi), S (siang), M (malam).")
        return text


def _name(**kwargs):
    return PrintableText(validate=validate.Length(min=1, max=60, error="Use 1 to 60 characters."),
                         metadata={"example": "Pagi"}, **kwargs)


def _min_staff(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(
        min=1, max=MIN_STAFF_MAX, error=f"The minimum staff is a whole number from 1 to {MIN_STAFF_MAX}."),
        metadata={"example": 2}, **kwargs)


class ShiftSchema(Schema):
    id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True)
    code = fields.String(dump_only=True)
    start_time = LocalTime(dump_only=True)
    end_time = LocalTime(dump_only=True)
    min_staff = fields.Integer(dump_only=True)
    active = fields.Boolean(dump_only=True)
    crosses_midnight = fields.Boolean(dump_only=True, metadata={"description": "Ends on the day after it starts"})
    duration_minutes = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ShiftCreateSchema(Schema):
    name = _name(required=True)
    code = ShiftCode(required=True)
    start_time = LocalTime(required=True)
    end_time = LocalTime(required=True)
    min_staff = _min_staff(required=True)
    active = fields.Boolean(load_default=True)


class ShiftUpdateSchema(Schema):
    name = _name()
    code = ShiftCode()
    start_time = LocalTime()
    end_time = LocalTime()
    min_staff = _min_staff()
    active = fields.Boolean()


def _range_check(data):
    """The service's rule for a range of roster days, reported against the query field it concerns."""
    if "first" in data and "last" in data:
        try:
            service.check_range(data["first"], data["last"])
        except Invalid as refusal:
            raise ValidationError(refusal.english(), field_name=refusal.field) from None


class RangeQuerySchema(Schema):
    first = fields.Date(data_key="from", required=True, validate=DATE_RANGE,
                        metadata={"description": "First roster day (local date), included", "example": "2026-01-01"})
    last = fields.Date(data_key="to", required=True, validate=DATE_RANGE,
                       metadata={"description": f"Last roster day, included; at most {coverage.MAX_RANGE_DAYS} days "
                                                "after `from` counting both", "example": "2026-01-31"})

    @validates_schema
    def check_range(self, data, **kwargs):
        _range_check(data)


class AssignmentQuerySchema(RangeQuerySchema):
    user_id = fields.UUID(metadata={"description": "Only this person's assignments"})
    shift_id = fields.UUID(metadata={"description": "Only this shift's assignments"})


def _max_weekly_hours(strict: bool):
    # A query string is text: only a JSON body can insist on an integer type.
    return fields.Integer(strict=strict, load_default=coverage.DEFAULT_MAX_WEEKLY_HOURS,
                          validate=validate.Range(min=1, max=168, error="Use a whole number of hours from 1 to 168."),
                          metadata={"description": "Report people on duty more hours than this in a roster week"})


class CoverageQuerySchema(RangeQuerySchema):
    max_weekly_hours = _max_weekly_hours(strict=False)


class AssignmentSchema(Schema):
    id = fields.UUID(dump_only=True)
    user_id = fields.UUID(dump_only=True)
    membership_id = fields.UUID(dump_only=True)
    name = fields.String(dump_only=True, attribute="user.name")
    shift_id = fields.UUID(dump_only=True)
    shift_code = fields.String(dump_only=True, attribute="shift.code")
    date = fields.Date(dump_only=True, attribute="local_date", metadata={"description": "The local date it starts on"})
    start = fields.DateTime(dump_only=True, metadata={"description": "Start, UTC"})
    end = fields.DateTime(dump_only=True, metadata={"description": "End, UTC"})
    start_local = fields.DateTime(dump_only=True, metadata={"description": "Start, tenant's local time"})
    end_local = fields.DateTime(dump_only=True, metadata={"description": "End, tenant's local time"})
    created_at = fields.DateTime(dump_only=True)


class AssignmentCreateSchema(Schema):
    user_id = fields.UUID(required=True, metadata={"description": "The person (a member of this tenant)"})
    shift_id = fields.UUID(required=True)
    date = fields.Date(required=True, validate=DATE_RANGE, metadata={"description": "Local date the shift starts on"})


# --- coverage ----------------------------------------------------------------------------------

class RosterIntervalSchema(Schema):
    start = fields.DateTime(metadata={"description": "UTC"})
    end = fields.DateTime(metadata={"description": "UTC"})
    start_local = fields.DateTime(metadata={"description": "Tenant's local time"})
    end_local = fields.DateTime(metadata={"description": "Tenant's local time"})


class CoverageGapSchema(RosterIntervalSchema):
    kind = fields.String(metadata={"enum": ["uncovered", "understaffed"],
                                   "description": "uncovered: no active shift at all; understaffed: too few on duty"})
    minutes = fields.Integer()
    required = fields.Integer(metadata={"description": "Sum of the minimum staff of the shifts at that time"})
    on_duty = fields.Integer()
    shift_ids = fields.List(fields.UUID())
    shift_codes = fields.List(fields.String())


class RosterConflictDutySchema(Schema):
    assignment_id = fields.UUID(allow_none=True, metadata={"description": "null for a proposed assignment"})
    date = fields.Date()
    shift_id = fields.UUID()
    shift_code = fields.String()


class RosterConflictSchema(RosterIntervalSchema):
    kind = fields.String(metadata={"enum": ["overlap", "short_rest", "weekly_hours"]})
    user_id = fields.UUID()
    name = fields.String()
    hours = fields.Float(metadata={"description": "Hours shared (overlap), of rest (short_rest) or on duty (weekly)"})
    limit_hours = fields.Float(allow_none=True)
    week_start = fields.Date(allow_none=True, metadata={"description": "Monday of the roster week (weekly_hours)"})
    assignments = fields.List(fields.Nested(RosterConflictDutySchema))


class CoverageDaySchema(Schema):
    date = fields.Date()
    covered_percent = fields.Float()
    gap_minutes = fields.Integer()


class CoverageStaffingSchema(Schema):
    date = fields.Date()
    shift_id = fields.UUID()
    shift_code = fields.String()
    on_shift = fields.Integer()
    min_staff = fields.Integer()


class CoverageSchema(Schema):
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")
    time_zone = fields.String(metadata={"example": "Asia/Jayapura"})
    day_starts_at = LocalTime(metadata={"description": "Roster days run from this local time to the same time "
                                                       "the next day: the earliest start of the active shifts"})
    window = fields.Nested(RosterIntervalSchema, metadata={"description": "The time the roster days span"})
    covered_percent = fields.Float(metadata={"description": "Share of the window without a gap, rounded down"})
    gap_minutes = fields.Integer()
    max_weekly_hours = fields.Float()
    min_rest_hours = fields.Float()
    gaps = fields.List(fields.Nested(CoverageGapSchema))
    conflicts = fields.List(fields.Nested(RosterConflictSchema))
    days = fields.List(fields.Nested(CoverageDaySchema))
    staffing = fields.List(fields.Nested(CoverageStaffingSchema))


def _interval(clock, start: int, end: int) -> dict:
    return {"start": clock.utc(start), "end": clock.utc(end), "start_local": clock.local(start),
            "end_local": clock.local(end)}


def coverage_document(report: coverage.CoverageReport, names: dict) -> dict:
    """The report as CoverageSchema dumps it; `names` maps user ids to names."""
    clock, shifts = report.clock, report.shifts
    code = lambda shift_id: shifts[shift_id].code if shift_id in shifts else "?"  # noqa: E731
    gaps = [{**_interval(clock, g.start, g.end), "kind": g.kind, "minutes": g.seconds // 60, "required": g.required,
             "on_duty": g.on_duty, "shift_ids": list(g.shift_ids), "shift_codes": [code(s) for s in g.shift_ids]}
            for g in report.gaps]
    conflicts = [{**_interval(clock, c.start, c.end), "kind": c.kind, "user_id": c.user_id,
                  "name": names.get(c.user_id, ""), "hours": round(c.hours, 2), "limit_hours": c.limit_hours,
                  "week_start": c.week_start,
                  "assignments": [{"assignment_id": d.assignment_id, "date": d.local_date, "shift_id": d.shift_id,
                                   "shift_code": code(d.shift_id)} for d in c.duties]}
                 for c in report.conflicts]
    days = [{"date": d.day, "covered_percent": d.percent, "gap_minutes": (d.end - d.start - d.covered_seconds) // 60}
            for d in report.days]
    staffing = [{"date": day.day, "shift_id": shift.id, "shift_code": shift.code,
                 "on_shift": report.staffing.get((day.day, shift.id), 0), "min_staff": shift.min_staff}
                for day in report.days for shift in shifts.values() if shift.active]
    return {"first": report.first_day, "last": report.last_day, "time_zone": clock.zone_name,
            "day_starts_at": report.day_start, "window": _interval(clock, report.start, report.end),
            "covered_percent": report.percent, "gap_minutes": sum(g.seconds for g in report.gaps) // 60,
            "max_weekly_hours": report.max_weekly_hours, "min_rest_hours": coverage.MIN_REST_HOURS,
            "gaps": gaps, "conflicts": conflicts, "days": days, "staffing": staffing}


# --- rotation generator ------------------------------------------------------------------------

class RotationSchema(Schema):
    first = fields.Date(data_key="from", required=True, validate=DATE_RANGE, metadata={"example": "2026-01-01"})
    last = fields.Date(data_key="to", required=True, validate=DATE_RANGE, metadata={"example": "2026-01-31"})
    shift_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20),
                            metadata={"description": "Shifts in rotation order; empty: every active shift by start"})
    user_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=generator.PEOPLE_MAX),
                           metadata={"description": "People, in order; empty: every operator of the tenant by name"})
    days_per_shift = fields.Integer(strict=True, load_default=2, validate=validate.Range(
        min=1, max=generator.DAYS_PER_SHIFT_MAX, error=f"Use 1 to {generator.DAYS_PER_SHIFT_MAX} days."))
    days_off = fields.Integer(strict=True, load_default=2, validate=validate.Range(
        min=0, max=generator.DAYS_OFF_MAX, error=f"Use 0 to {generator.DAYS_OFF_MAX} days."))
    replace = fields.Boolean(load_default=False, metadata={
        "description": "Also remove these people's other assignments in the range (otherwise they stay)"})

    @validates_schema
    def check_range(self, data, **kwargs):
        _range_check(data)


class RotationPreviewSchema(RotationSchema):
    max_weekly_hours = _max_weekly_hours(strict=True)


class RotationApplySchema(RotationSchema):
    plan_digest = fields.String(required=True, validate=validate.Regexp(
        r"^[0-9a-f]{64}$", error="Send the plan_digest of the preview you are applying (64 hex digits)."))


class RotationSlotSchema(Schema):
    user_id = fields.UUID()
    name = fields.String()
    date = fields.Date()
    shift_id = fields.UUID()
    shift_code = fields.String()


class RotationRemovalSchema(RotationSlotSchema):
    assignment_id = fields.UUID()


class RotationPreviewResultSchema(Schema):
    plan_digest = fields.String(metadata={"description": "Send it back to /rotation/apply to write this plan"})
    assignments = fields.List(fields.Nested(RotationSlotSchema), metadata={"description": "Every slot of the plan"})
    to_add = fields.Integer(metadata={"description": "Slots not on the roster yet"})
    unchanged = fields.Integer(metadata={"description": "Slots already on the roster"})
    to_remove = fields.List(fields.Nested(RotationRemovalSchema), metadata={"description": "Removed in replace mode"})
    coverage = fields.Nested(CoverageSchema, metadata={"description": "The coverage with the plan applied"})


class RotationApplyResultSchema(Schema):
    plan_digest = fields.String()
    created = fields.Integer()
    removed = fields.Integer()
    unchanged = fields.Integer(metadata={"description": "Slots of the plan that were already on the roster"})


def slot_document(plan: generator.Plan, user_id, day, shift_id) -> dict:
    codes = {s.id: s.code for s in plan.shifts}
    return {"user_id": user_id, "name": plan.names.get(user_id, ""), "date": day, "shift_id": shift_id,
            "shift_code": codes.get(shift_id, "?")}


def preview_document(plan: generator.Plan, report: coverage.CoverageReport, names: dict) -> dict:
    shifts = report.shifts
    return {
        "plan_digest": plan.digest,
        "assignments": [slot_document(plan, *slot) for slot in plan.slots],
        "to_add": len(plan.to_add),
        "unchanged": plan.unchanged,
        "to_remove": [{**slot_document(plan, *slot), "assignment_id": assignment_id,
                       "shift_code": shifts[slot[2]].code if slot[2] in shifts else "?"}
                      for assignment_id, slot in plan.to_remove],
        "coverage": coverage_document(report, names),
    }
