"""Web base: Bahasa Indonesia by default, English on request, the layout and the language switch."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, g, redirect, request
from flask_babel import Babel, get_locale

from .identity.access import public

LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"
LANGUAGE_COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600

bp = Blueprint("web", __name__)


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

    @app.context_processor
    def layout_context():
        return {"languages": LANGUAGES, "current_language": str(get_locale())}
