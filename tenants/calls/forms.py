"""The console's and board's page forms (Flask-WTF: each carries its CSRF token) and the labels they show."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from siaga112.tenants.directory.forms import SelectChoice


def choices(pairs) -> list:
    """(value, label) pairs as the select's choices."""
    return [SelectChoice(value, label) for value, label in pairs]

# The single keys of the console: classifying a call in the 30 s to 1 min Cilegon's SOP allows.
CLASSIFICATION_KEYS = (("1", "emergency"), ("2", "non_emergency"), ("3", "information"), ("4", "prank"),
                       ("5", "ghost"), ("6", "wrong_number"), ("7", "test"))
CLASSIFICATION_LABELS = {
    "emergency": lazy_gettext("Emergency"),
    "non_emergency": lazy_gettext("Non-emergency"),
    "information": lazy_gettext("Information"),
    "prank": lazy_gettext("Prank"),
    "ghost": lazy_gettext("Ghost (silent)"),
    "wrong_number": lazy_gettext("Wrong number"),
    "test": lazy_gettext("Test"),
}
STATE_LABELS = {
    "ringing": lazy_gettext("Ringing"),
    "in_progress": lazy_gettext("On the line"),
    "ended": lazy_gettext("Ended"),
    "abandoned": lazy_gettext("Dropped before answer"),
}
PRIORITY_LABELS = {
    "urgent": lazy_gettext("Urgent"),
    "high": lazy_gettext("High"),
    "normal": lazy_gettext("Normal"),
    "low": lazy_gettext("Low"),
}
OUTCOME_LABELS = {
    "reached_emergency": lazy_gettext("Reached: an emergency"),
    "reached_no_emergency": lazy_gettext("Reached: no emergency"),
    "no_answer": lazy_gettext("No answer"),
    "unreachable": lazy_gettext("Number unreachable"),
}
REASON_LABELS = {"abandoned": lazy_gettext("Dropped before answer"), "ghost": lazy_gettext("Silent call")}


class CallForm(FlaskForm):
    """What the operator records of the current call."""

    classification = RadioField(lazy_gettext("Classification"), validators=[Optional()],
                                choices=choices((value, CLASSIFICATION_LABELS[value]) for _key, value in CLASSIFICATION_KEYS))
    category = SelectField(lazy_gettext("Category"), validators=[Optional()], choices=[])
    location_text = StringField(lazy_gettext("Location (what the caller says)"), validators=[Optional(), Length(max=500)])
    latitude = FloatField(lazy_gettext("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(lazy_gettext("Longitude"), validators=[Optional(), NumberRange(-180, 180)])
    notes = TextAreaField(lazy_gettext("Notes"), validators=[Optional(), Length(max=4000)])


class IncidentForm(FlaskForm):
    summary = StringField(lazy_gettext("What happened"), validators=[InputRequired(), Length(max=1000)])
    priority = SelectField(lazy_gettext("Priority"), default="normal", choices=choices(PRIORITY_LABELS.items()))


class AttachForm(FlaskForm):
    incident_id = SelectField(lazy_gettext("Open incident"), validators=[InputRequired()], choices=[])


class BlockForm(FlaskForm):
    reason = StringField(lazy_gettext("Reason"), validators=[InputRequired(), Length(max=500)])
    hours = IntegerField(lazy_gettext("Hours"), default=24, validators=[InputRequired(), NumberRange(1, 168)])


class CallbackForm(FlaskForm):
    outcome = SelectField(lazy_gettext("Outcome"), validators=[InputRequired()], choices=choices(OUTCOME_LABELS.items()))
    note = StringField(lazy_gettext("Note"), validators=[Optional(), Length(max=1000)])


class HandoverForm(FlaskForm):
    note = TextAreaField(lazy_gettext("Handover note for the next shift"), validators=[InputRequired(), Length(max=4000)])


class ActionForm(FlaskForm):
    """A one-button action (acknowledge, lift a block): its CSRF token only."""
