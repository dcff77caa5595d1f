from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import InputRequired


class ExternalUploadForm(FlaskForm):
    file = FileField(lazy_gettext("CSV file (region_code,live_since,note)"),
                     validators=[FileRequired(lazy_gettext("Choose the CSV file to import."))])


class ExternalConfirmForm(FlaskForm):
    """The previewed file travels back signed (views.py), so that confirming needs no second upload."""

    plan = HiddenField(validators=[InputRequired()])
