"""The roster pages' forms (Flask-WTF: each carries its CSRF token).

Plain text fields with our own messages rather than WTForms' number/date/time fields, whose
parse errors WTForms only has in English: every message a person sees here is in the catalogue.
The rules themselves (a shift may not end when it starts, who may be rostered …) are the
service's; the pages show its refusals next to the field they name.
"""

from __future__ import annotations

from datetime import date, time

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

TIME_RE = r"^\s*([01][0-9]|2[0-3]):[0-5][0-9]\s*$"
DATE_RE = r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$"
NUMBER_RE = r"^\s*[0-9]{1,3}\s*$"


def _time(text: str) -> time:
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


def _real_date(_form, field) -> None:
    try:
        date.fromisoformat((field.data or "").strip())
    except ValueError:
        raise ValidationError(lazy_gettext("This date does not exist; use a date such as 2026-12-01.")) from None


def _time_field(label):
    return StringField(label, validators=[
        InputRequired(message=lazy_gettext("Enter a time such as 07:30.")),
        Regexp(TIME_RE, message=lazy_gettext("Use a 24-hour time such as 07:30 or 23:30."))])


def _number_field(label, default):
    return StringField(label, default=default, validators=[
        InputRequired(message=lazy_gettext("Enter a whole number.")),
        Regexp(NUMBER_RE, message=lazy_gettext("Use a whole number, such as 2."))])


def _date_field(label):
    return StringField(label, validators=[
        InputRequired(message=lazy_gettext("Enter a date.")),
        Regexp(DATE_RE, message=lazy_gettext("Use a date such as 2026-12-01.")), _real_date])


class ShiftForm(FlaskForm):
    name = StringField(lazy_gettext("Name"), validators=[
        InputRequired(message=lazy_gettext("Enter a name, such as Pagi.")),
        Length(max=60, message=lazy_gettext("A name has at most %(max)d characters."))])
    code = StringField(lazy_gettext("Code in the roster grid"), validators=[
        InputRequired(message=lazy_gettext("Enter a code, such as P.")),
        Regexp(r"^\s*[A-Za-z0-9]{1,3}\s*$", message=lazy_gettext("Use 1 to 3 letters or digits, such as P."))])
    start_time = _time_field(lazy_gettext("Starts at (local time)"))
    end_time = _time_field(lazy_gettext("Ends at (local time)"))
    min_staff = _number_field(lazy_gettext("Minimum staff on duty"), "1")
    active = BooleanField(lazy_gettext("Active (rostered and counted for coverage)"), default=True)
    version = HiddenField()

    def values(self) -> dict:
        return {"name": self.name.data.strip(), "code": self.code.data.strip().upper(),
                "start_time": _time(self.start_time.data), "end_time": _time(self.end_time.data),
                "min_staff": int(self.min_staff.data), "active": bool(self.active.data)}


class ChoicesForm(FlaskForm):
    """Checkbox lists whose choices come from the database; the service checks what comes back."""

    @staticmethod
    def checkboxes(label):
        return SelectMultipleField(label, choices=[], validate_choice=False, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())


class RotationForm(ChoicesForm):
    first = _date_field(lazy_gettext("First day"))
    last = _date_field(lazy_gettext("Last day"))
    days_per_shift = _number_field(lazy_gettext("Days on each shift"), "2")
    days_off = _number_field(lazy_gettext("Days off after the cycle"), "2")
    replace = BooleanField(lazy_gettext("Replace these people's other assignments in these days"))
    shift_ids = ChoicesForm.checkboxes(lazy_gettext("Shifts, in rotation order"))
    user_ids = ChoicesForm.checkboxes(lazy_gettext("People"))
    plan_digest = HiddenField()

    def validate_user_ids(self, field) -> None:
        # The API takes "nobody named" as every operator; on the page every operator is ticked to begin with,
        # so a rotation with nobody ticked is a slip, not a wish.
        if not field.data:
            raise ValidationError(lazy_gettext("Tick the people of the rotation: nobody is chosen."))


class AssignmentForm(FlaskForm):
    user_id = SelectField(lazy_gettext("Person"), choices=[], validate_choice=False,
                          validators=[InputRequired(message=lazy_gettext("Choose a person."))])
    shift_id = SelectField(lazy_gettext("Shift"), choices=[], validate_choice=False,
                           validators=[InputRequired(message=lazy_gettext("Choose a shift."))])


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
