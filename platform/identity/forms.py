"""The sign-in and invitation forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from .passwords import MIN_LENGTH

EMAIL_MAX = 254
PASSWORD_MAX = 1024  # argon2 takes any length; this only bounds the work one request can ask for


def password_fields(label):
    """A new password and the same again: the rules every chosen password follows."""
    return (PasswordField(label, validators=[
                InputRequired(message=lazy_gettext("Choose a password.")),
                Length(min=MIN_LENGTH, max=PASSWORD_MAX,
                       message=lazy_gettext("A password has %(min)d to %(max)d characters."))]),
            PasswordField(lazy_gettext("The same password again"), validators=[
                EqualTo("password", message=lazy_gettext("The two passwords are not the same."))]))


class SignInForm(FlaskForm):
    email = EmailField(lazy_gettext("E-mail address"), validators=[
        InputRequired(message=lazy_gettext("Enter your e-mail address.")),
        Length(max=EMAIL_MAX, message=lazy_gettext("An e-mail address has at most %(max)d characters.")),
    ])
    password = PasswordField(lazy_gettext("Password"), validators=[
        InputRequired(message=lazy_gettext("Enter your password.")),
        Length(max=PASSWORD_MAX, message=lazy_gettext("A password has at most %(max)d characters.")),
    ])


class AcceptForm(FlaskForm):
    """Accept an invitation as the signed-in person (the CSRF token is all it carries)."""


class ChoosePasswordForm(FlaskForm):
    """Accept an invitation by choosing a password (a new account, or one that never had one)."""

    name = StringField(lazy_gettext("Your name"), validators=[
        InputRequired(message=lazy_gettext("Enter your name.")),
        Length(max=120, message=lazy_gettext("At most %(max)d characters."))])
    password, confirm = password_fields(lazy_gettext("Choose a password"))


def offer(form, roles, agencies):
    """The roles and agencies a form may choose from (agencies as (id, name) pairs)."""
    from .roles import ROLE_LABELS

    form.role.choices = [(role, ROLE_LABELS[role]) for role in roles]
    form.agency_id.choices = [("", lazy_gettext("— none —"))] + [(str(id_), name) for id_, name in agencies]
    return form


class InviteForm(FlaskForm):
    """Invite a person into the region with one role (and the agency of an agency responder)."""

    email = EmailField(lazy_gettext("E-mail address"), validators=[
        InputRequired(message=lazy_gettext("Enter the person's e-mail address.")),
        Length(max=EMAIL_MAX, message=lazy_gettext("An e-mail address has at most %(max)d characters."))])
    name = StringField(lazy_gettext("Name"), validators=[
        InputRequired(message=lazy_gettext("Enter the person's name.")),
        Length(max=120, message=lazy_gettext("At most %(max)d characters."))])
    role = SelectField(lazy_gettext("Role"), validators=[InputRequired(message=lazy_gettext("Choose a role."))])
    agency_id = SelectField(lazy_gettext("Agency (for an agency responder)"), validators=[Optional()])

    def offer(self, roles, agencies) -> "InviteForm":
        return offer(self, roles, agencies)


class RoleForm(FlaskForm):
    """Change one membership's role."""

    role = SelectField(lazy_gettext("Role"), validators=[InputRequired(message=lazy_gettext("Choose a role."))])
    agency_id = SelectField(lazy_gettext("Agency"), validators=[Optional()])

    def offer(self, roles, agencies) -> "RoleForm":
        return offer(self, roles, agencies)


class ConfirmForm(FlaskForm):
    """A button: the CSRF token is all it carries."""


class NewPasswordForm(FlaskForm):
    """The page a password-reset link opens."""

    password, confirm = password_fields(lazy_gettext("New password"))
