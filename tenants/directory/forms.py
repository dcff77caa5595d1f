"""The directory's page forms (Flask-WTF: each carries its CSRF token) and the labels its pages show."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from .phone import MAX_INPUT, InvalidNumber, parse_number

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms before 3.3 takes (value, label) pairs
    def SelectChoice(value, label):  # noqa: N802
        return value, label

KIND_LABELS = {
    "police": lazy_gettext("Police"),
    "fire": lazy_gettext("Fire and rescue"),
    "medical": lazy_gettext("Medical / ambulance (PSC 119)"),
    "disaster": lazy_gettext("Disaster management (BPBD)"),
    "utility": lazy_gettext("Utility (PLN, PDAM)"),
    "public_order": lazy_gettext("Public order (Satpol PP)"),
    "social": lazy_gettext("Social services (Dinsos)"),
    "health_center": lazy_gettext("Community health centre (Puskesmas)"),
    "blood": lazy_gettext("Blood service (PMI)"),
    "other": lazy_gettext("Other"),
}
AFFILIATION_LABELS = {
    "opd": lazy_gettext("Regional government body (OPD)"),
    "vertical": lazy_gettext("Central government office (instansi vertikal)"),
    "other": lazy_gettext("Other (state company, PMI, private)"),
}
NUMBER_KIND_LABELS = {
    "inbound_line": lazy_gettext("112 inbound line"),
    "backup_line": lazy_gettext("Backup line"),
    "agency_contact": lazy_gettext("Agency contact"),
}
PHONE_MESSAGES = {
    "empty": lazy_gettext("Enter a phone number."),
    "too_long": lazy_gettext("A phone number has at most %(max)d characters.", max=MAX_INPUT),
    "not_indonesian": lazy_gettext("Only Indonesian numbers (+62) can be registered here."),
    "extension": lazy_gettext("Leave out the extension."),
}
HOW_TO_WRITE = lazy_gettext("This is not a valid Indonesian phone number. Write it as 0285 421112, (0285) 421112, "
                            "+62 285 421112 or 0812-3456-7890.")
EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"
CONTROL_CHARACTERS = lazy_gettext("Remove control characters from this text.")


def phone_message(error: InvalidNumber):
    return PHONE_MESSAGES.get(error.reason, HOW_TO_WRITE)


def phone_number(form, field) -> None:
    """Validator: the field holds a valid Indonesian number; its E.164 form is left in field.e164."""
    field.e164 = None
    if not (field.data or "").strip():
        return
    try:
        field.e164 = parse_number(field.data)
    except InvalidNumber as error:
        raise ValidationError(str(phone_message(error))) from None


def printable(form, field) -> None:
    """Validator: no control characters (PostgreSQL refuses NUL; the others are never meant)."""
    if any((ord(char) < 32 and char not in "\t\n\r") or ord(char) == 127 for char in field.data or ""):
        raise ValidationError(str(CONTROL_CHARACTERS))


def _choices(labels: dict) -> list:
    return [SelectChoice(value, label) for value, label in labels.items()]


class AgencyForm(FlaskForm):
    """Add an agency, optionally with its first contact number (one page, one transaction)."""

    name = StringField(lazy_gettext("Name"), validators=[
        InputRequired(message=lazy_gettext("Enter the agency's name.")), printable,
        Length(max=160, message=lazy_gettext("At most %(max)d characters."))])
    kind = SelectField(lazy_gettext("Kind"), choices=_choices(KIND_LABELS), validate_choice=True)
    affiliation = SelectField(lazy_gettext("Affiliation"), default="", choices=[
        SelectChoice("", lazy_gettext("As usual for the kind")), *_choices(AFFILIATION_LABELS)])
    email = StringField(lazy_gettext("E-mail address"), validators=[
        Optional(), Length(max=254, message=lazy_gettext("At most %(max)d characters.")),
        Regexp(EMAIL_PATTERN, message=lazy_gettext("Enter an e-mail address such as piket@example.go.id."))])
    contact_number = StringField(lazy_gettext("Contact number"), validators=[phone_number])
    contact_label = StringField(lazy_gettext("Label of the number"), validators=[
        printable, Length(max=120, message=lazy_gettext("At most %(max)d characters."))])


class AgencyEditForm(FlaskForm):
    name = AgencyForm.name
    kind = AgencyForm.kind
    affiliation = SelectField(lazy_gettext("Affiliation"), choices=_choices(AFFILIATION_LABELS))
    email = AgencyForm.email
    active = BooleanField(lazy_gettext("Active (calls can be dispatched to it)"))
    version = HiddenField()


class NumberForm(FlaskForm):
    number = StringField(lazy_gettext("Number"), validators=[
        InputRequired(message=lazy_gettext("Enter a phone number.")), phone_number])
    kind = SelectField(lazy_gettext("Kind"), choices=_choices(NUMBER_KIND_LABELS))
    label = StringField(lazy_gettext("Label"), validators=[
        printable, Length(max=120, message=lazy_gettext("At most %(max)d characters."))])
    agency_id = SelectField(lazy_gettext("Agency (for agency contacts)"), choices=[], validate_choice=False)


class VersionForm(FlaskForm):
    """A one-button action on a row (activate, deactivate, delete), tied to the version the reader saw."""

    version = IntegerField(validators=[InputRequired()])

