"""The sign-in form (Flask-WTF: its CSRF token comes with it)."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

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
