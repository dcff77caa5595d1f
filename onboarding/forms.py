"""The onboarding pages' forms (Flask-WTF), and what a refused form tells its template.

A form that came back refused is re-rendered with what the person entered (a browser cannot be given a chosen
file back, so the page says to choose it again), the error next to its field (aria-invalid, aria-describedby)
and the first field in error focused (the autofocus attribute: the Content-Security-Policy allows no inline
script). `first_invalid` names that field's element id.
"""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import Form, HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from siaga112.tenants.directory.forms import SelectChoice

from .models import VERDICTS
from .state import MAX_NOTE

NOTE_LENGTH = Length(max=MAX_NOTE, message=lazy_gettext("Keep the note under %(count)s characters.", count=MAX_NOTE))


class ActionForm(FlaskForm):
    """One action button: the action's name, and a note where the action needs one."""

    action = HiddenField(validators=[InputRequired()])
    note = TextAreaField(lazy_gettext("Note"), validators=[Optional(), NOTE_LENGTH])


class ItemForm(FlaskForm):
    """A declared item in one submit: the region's yes/no, its note and new evidence files."""

    answer = RadioField(lazy_gettext("Answer"), choices=[SelectChoice("yes", lazy_gettext("Yes")),
                                                         SelectChoice("no", lazy_gettext("No"))],
                        validators=[InputRequired(message=lazy_gettext("Answer yes or no."))])
    note = TextAreaField(lazy_gettext("Note"), validators=[Optional(), NOTE_LENGTH])
    file = MultipleFileField(lazy_gettext("Files (PDF, JPEG or PNG, at most 20 MB each)"))

    def uploads(self) -> list:
        """The files chosen (a file input left empty still sends a nameless part)."""
        return [upload for upload in self.file.data or () if upload and upload.filename]


class RemoveForm(FlaskForm):
    """Removing an evidence file: the CSRF token is all it carries."""


class VerdictForm(Form):
    """One item's verdict on a visit page, its fields prefixed with the item's code (`<code>-verdict`), so that
    the form of every verdict at once and the form of one item read the same inputs. The CSRF token is the
    page's own (Flask-WTF's CSRFProtect checks every POST)."""

    verdict = RadioField(choices=list(VERDICTS), validators=[Optional()], validate_choice=True)
    note = TextAreaField(validators=[Optional(), NOTE_LENGTH])

    def given(self) -> bool:
        return bool(self.verdict.data or (self.note.data or "").strip())


def first_invalid(form, ids: dict[str, str]) -> str | None:
    """The element id of the first field (in `ids`' order: field name → element id) whose value was refused."""
    for name, element in ids.items():
        if getattr(form, name).errors:
            return element
    return None
