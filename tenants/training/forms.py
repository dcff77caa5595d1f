"""The training page forms (Flask-WTF, with CSRF) and how a refusal reads on a page."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from siaga112.tenants.directory.forms import printable

ERROR_MESSAGES = {
    "not_member": lazy_gettext("Choose a member of this region."),
    "valid_before_completed": lazy_gettext("The end of validity is before the course was completed."),
    "stale": lazy_gettext("Someone else changed this record meanwhile. The page now shows their version; make your "
                          "change again."),
}
UPLOAD_MESSAGES = {
    "TooLarge": lazy_gettext("The file is larger than 10 MB; upload a smaller one."),
    "UnsupportedContent": lazy_gettext("The file is not a PDF, JPEG or PNG (whatever its name says)."),
    "EmptyUpload": lazy_gettext("The file is empty."),
}


def error_message(error) -> str:
    code = getattr(error, "code", None) or type(error).__name__
    return str(ERROR_MESSAGES.get(code) or UPLOAD_MESSAGES.get(code) or error)


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
