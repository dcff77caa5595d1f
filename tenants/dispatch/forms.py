"""The dispatch pages' forms (Flask-WTF: each carries its CSRF token) and the labels they show."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FieldList, Form, FormField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, \
    TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from .models import MAX_AFTER_MINUTES, MAX_STEPS
from wtforms.widgets import CheckboxInput, ListWidget

from siaga112.tenants.directory.forms import SelectChoice

STATUS_LABELS = {
    "sent": lazy_gettext("Waiting for acknowledgement"),
    "acknowledged": lazy_gettext("Acknowledged"),
    "on_scene": lazy_gettext("On scene"),
    "reported": lazy_gettext("Reported"),
    "done": lazy_gettext("Done"),
    "cancelled": lazy_gettext("Cancelled"),
}
INCIDENT_STATUS_LABELS = {
    "open": lazy_gettext("Open, not dispatched"),
    "dispatched": lazy_gettext("Dispatched, waiting for acknowledgement"),
    "responding": lazy_gettext("Agencies responding"),
    "closed": lazy_gettext("Closed"),
}
VIA_LABELS = {"user": lazy_gettext("signed in"), "link": lazy_gettext("via the e-mailed link"),
              "machine": lazy_gettext("by the agency's system")}
ENTRY_LABELS = {
    "incident_opened": lazy_gettext("Incident opened"),
    "call_offered": lazy_gettext("Call came in"),
    "call_answered": lazy_gettext("Call answered"),
    "call_ended": lazy_gettext("Call ended"),
    "call_note": lazy_gettext("Operator's note"),
    "dispatch_sent": lazy_gettext("Dispatched"),
    "acknowledged": lazy_gettext("Acknowledged"),
    "on_scene": lazy_gettext("On scene"),
    "reported": lazy_gettext("Follow-up report"),
    "photo": lazy_gettext("Photo added"),
    "done": lazy_gettext("Done"),
    "cancelled": lazy_gettext("Dispatch cancelled"),
    "escalated": lazy_gettext("Escalated"),
    "incident_closed": lazy_gettext("Incident closed"),
}
STEP_LABELS = {"agency_again": lazy_gettext("the agency reminded"),
               "supervisor_on_duty": lazy_gettext("the supervisor on duty told"),
               "regional_admin": lazy_gettext("the regional admin told")}
CHANNEL_LABELS = {"platform": lazy_gettext("Notify through Siaga112 (e-mail with a link)"),
                  "phone": lazy_gettext("I phoned the agency (log it)")}


class DispatchForm(FlaskForm):
    agency_ids = SelectMultipleField(lazy_gettext("Agencies"), widget=ListWidget(prefix_label=False),
                                     option_widget=CheckboxInput(), validators=[InputRequired()])
    channel = RadioField(lazy_gettext("How"), choices=[SelectChoice(value, label) for value, label in CHANNEL_LABELS.items()],
                         default="platform")
    note = StringField(lazy_gettext("Note for the agency"), validators=[Optional(), Length(max=1000)])


class ActForm(FlaskForm):
    """A one-tap action: only its CSRF token (the action is in the URL)."""


class ReportForm(FlaskForm):
    text = TextAreaField(lazy_gettext("Follow-up report"), validators=[InputRequired(), Length(max=4000)])
    photo = FileField(lazy_gettext("Photo (JPEG or PNG, optional)"))
    name = StringField(lazy_gettext("Your name"), validators=[Optional(), Length(max=120)])


class CancelForm(FlaskForm):
    reason = StringField(lazy_gettext("Why cancel"), validators=[InputRequired(), Length(max=500)])


class StepForm(Form):
    """One row of the escalation policy; a row left without minutes is no step."""

    after_minutes = IntegerField(lazy_gettext("After (minutes)"),
                                 validators=[Optional(), NumberRange(1, MAX_AFTER_MINUTES)])
    action = SelectField(lazy_gettext("Then"), choices=[SelectChoice(value, label) for value, label in (
        ("agency_again", lazy_gettext("Remind the agency")),
        ("supervisor_on_duty", lazy_gettext("Tell the supervisor on duty (roster)")),
        ("regional_admin", lazy_gettext("Tell the regional admin")))], default="agency_again")


class PolicyForm(FlaskForm):
    steps = FieldList(FormField(StepForm), min_entries=MAX_STEPS, max_entries=MAX_STEPS)

REGION_STATUS_LABELS = {
    "live": lazy_gettext("live on Siaga112"),
    "onboarding": lazy_gettext("preparing on Siaga112, not live yet"),
    "prospect": lazy_gettext("registered on Siaga112, not live yet"),
    "suspended": lazy_gettext("suspended on Siaga112"),
    "external": lazy_gettext("runs 112 outside Siaga112"),
    "not_onboarded": lazy_gettext("no 112 on Siaga112"),
}
TRANSFER_LABELS = {"transferred": lazy_gettext("Handed over"), "referred": lazy_gettext("Referred")}


class TransferForm(FlaskForm):
    region_code = SelectField(lazy_gettext("Region where it happens"), validators=[Optional()])
    other_code = StringField(lazy_gettext("Or another region's code (e.g. 33.26)"),
                             validators=[Optional(), Length(max=5)])
    note = StringField(lazy_gettext("What the receiving region should know"), validators=[Optional(), Length(max=1000)])
