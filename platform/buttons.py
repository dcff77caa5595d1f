"""A page's button: run one action, then back to the page with what was done, or why not (Post/Redirect/Get).

For the buttons of list pages (resend, withdraw, revoke…), which carry nothing typed that a refusal could
lose: the refusal's reason is flashed in the reader's language and the page shows it where the person
looks. A form with typed input re-renders itself instead (see _forms.html).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from .db import request_session
from .refusals import Refusal


def press(back_to: str, action: Callable, done: Callable[[object], str]):
    """`action(session, access)` under the request's unit of work; `done(result)` is the sentence to show."""
    from .identity.access import current_access

    if not FlaskForm().validate_on_submit():  # the CSRF token
        flash(_("This form has expired or did not come from Siaga112. Go back, reload the page and try again."),
              "error")
        return redirect(back_to)
    session = request_session()
    try:
        result = action(session, current_access())
    except Refusal as refusal:
        session.rollback()
        flash(refusal.text(), "error")
    else:
        flash(done(result), "done")
    return redirect(back_to)
