"""The categories page forms (Flask-WTF, with CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, widgets
from wtforms.validators import InputRequired, Length, Regexp

from siaga112.tenants.directory.forms import printable

from .models import CODE_PATTERN


class AgencyChecklist(SelectMultipleField):
    """Agencies as a list of checkboxes: a category usually goes to one or two of a handful."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _name(label):
    return StringField(label, validators=[InputRequired(message=lazy_gettext("Enter a name.")), printable,
                                          Length(max=120, message=lazy_gettext("At most %(max)d characters."))])


class CategoryForm(FlaskForm):
    code = StringField(lazy_gettext("Code"), validators=[
        InputRequired(message=lazy_gettext("Enter a code.")),
        Length(min=2, max=40, message=lazy_gettext("Between %(min)d and %(max)d characters.")),
        Regexp(CODE_PATTERN, message=lazy_gettext("Lower-case letters, digits and single underscores, starting with a "
                                                  "letter (for example gas_leak)."))])
    name_id = _name(lazy_gettext("Name in Indonesian"))
    name_en = _name(lazy_gettext("Name in English"))
    emergency = BooleanField(lazy_gettext("Emergency"))
    agency_ids = AgencyChecklist(lazy_gettext("Goes to"), choices=[], validate_choice=False)


class CategoryEditForm(FlaskForm):
    name_id = _name(lazy_gettext("Name in Indonesian"))
    name_en = _name(lazy_gettext("Name in English"))
    emergency = BooleanField(lazy_gettext("Emergency"))
    active = BooleanField(lazy_gettext("Active (operators can choose it)"))
    agency_ids = AgencyChecklist(lazy_gettext("Goes to"), choices=[], validate_choice=False)
    version = HiddenField()
