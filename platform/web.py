"""Web base: Bahasa Indonesia by default, English on request, the layout and the language switch."""

from __future__ import annotations

from pathlib import Path

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import dates

from flask import Blueprint, Flask, g, redirect, request
from flask_babel import Babel, format_date, format_decimal, format_time, get_locale, get_timezone

from .identity.access import public

LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"
LANGUAGE_COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600

bp = Blueprint("web", __name__)
# Indonesia's three zones by the names people use (docs/glossary.md).
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def number(value) -> str:
    """12.345 in Bahasa Indonesia, 12,345 in English."""
    return format_decimal(value)


def percent(value) -> str:
    """75,5 % in Bahasa Indonesia, 75.5 % in English (one decimal at most)."""
    return f"{format_decimal(value, '#,##0.#')} %"


def zone_name(zone: str | None = None) -> str:
    zone = zone or str(get_timezone())
    return ZONE_NAMES.get(zone, zone)


def day(value: date | datetime, pattern: str = "d MMM yyyy") -> str:
    """2 Des 2026 (a datetime is first put on the page's clock: the region's, or Jakarta's)."""
    return format_date(value, pattern)


def moment(value: datetime, zone: str | None = None, pattern: str = "d MMM yyyy") -> str:
    """2 Des 2026 23.30 WIB: date, time and zone on the page's clock, or on `zone`'s (a region's, on a page
    that is not the region's own, such as the landing page)."""
    if zone is None:
        return f"{format_date(value, pattern)} {format_time(value, 'short')} {zone_name()}"
    local = value.astimezone(ZoneInfo(zone))
    return (f"{dates.format_date(local, pattern, locale=get_locale())} "
            f"{dates.format_time(local, 'short', tzinfo=local.tzinfo, locale=get_locale())} {zone_name(zone)}")


def select_locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    # Browsers drop tabs/newlines inside URLs ("/\t/evil.example" becomes "//evil.example"), and a
    # newline in a header is a 500: refuse control characters and spaces too.
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable() and not any(char.isspace() for char in target)):
        return target
    return "/"


def chosen_id(text: str | None) -> uuid.UUID | None:
    """The id a form's select sent: None when nothing was chosen; one that is no id becomes an id nothing has,
    so that the service refuses it with its own reason ("choose an agency of this region") instead of a 500."""
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return uuid.UUID(int=0)


def select_time_zone() -> str | None:
    """A region's pages show times on the region's clock (WIB, WITA or WIT); national pages on Jakarta's."""
    tenant = getattr(g.get("access"), "tenant", None)
    return tenant.time_zone if tenant is not None else None


@bp.get("/language/<code>")
@public
def set_language(code: str):
    response = redirect(safe_next(request.args.get("next")))
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


def init_web(app: Flask, translation_folders: list[Path]) -> None:
    """Babel with the kernel's catalogue plus the contexts' own (the composition root finds those)."""
    folders = [Path(__file__).parent / "translations", *translation_folders]
    app.config.update(
        BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE,
        BABEL_DEFAULT_TIMEZONE="Asia/Jakarta",
        BABEL_TRANSLATION_DIRECTORIES=";".join(str(folder) for folder in folders),
    )
    Babel(app, locale_selector=select_locale, timezone_selector=select_time_zone)
    app.register_blueprint(bp)

    for name, function in {"number": number, "percent": percent, "day": day, "moment": moment}.items():
        app.jinja_env.filters[name] = function
    app.jinja_env.globals["zone_name"] = zone_name

    @app.context_processor
    def layout_context():
        return {"languages": LANGUAGES, "current_language": str(get_locale())}
