"""The sign-in and invitation forms (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from .passwords import MIN_LENGTH

EMAIL_MAX = 254
PASSWORD_MAX = 1024  # argon2 takes any length; this only bounds the work one request can ask for


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
    password = PasswordField(lazy_gettext("Choose a password"), validators=[
        InputRequired(message=lazy_gettext("Choose a password.")),
        Length(min=MIN_LENGTH, max=PASSWORD_MAX,
               message=lazy_gettext("A password has %(min)d to %(max)d characters."))])
    confirm = PasswordField(lazy_gettext("The same password again"), validators=[
        EqualTo("password", message=lazy_gettext("The two passwords are not the same."))])
