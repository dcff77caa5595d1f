"""The training page forms (Flask-WTF, with CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from siaga112.tenants.directory.forms import printable


def _text(label):
    return StringField(label, validators=[InputRequired(message=lazy_gettext("Fill this in.")), printable,
                                          Length(max=160, message=lazy_gettext("At most %(max)d characters."))])


class TrainingForm(FlaskForm):
    user_id = SelectField(lazy_gettext("Person"), choices=[], validate_choice=True)
    course = _text(lazy_gettext("Course"))
    provider = _text(lazy_gettext("Provider"))
    completed_on = DateField(lazy_gettext("Completed on"), validators=[
        InputRequired(message=lazy_gettext("Enter the date the course was completed."))])
    valid_until = DateField(lazy_gettext("Valid until"), validators=[Optional()])
    certificate = FileField(lazy_gettext("Certificate (PDF, JPEG or PNG, at most 10 MB)"))


class TrainingEditForm(TrainingForm):
    version = HiddenField()


class DeleteForm(FlaskForm):
    """Deleting a record, tied to the version the reader saw."""

    version = HiddenField(validators=[InputRequired()])
