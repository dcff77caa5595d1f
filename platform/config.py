"""Settings, read only from SIAGA_* environment variables.

Every variable is listed in VARIABLES with its default and meaning; the
README's configuration table is the same list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

VARIABLES = {
    "SIAGA_DATA_DIR": ("./var", "Folder for the embedded PostgreSQL and Redis, generated secrets and uploads."),
    "SIAGA_DATABASE_URL": ("", "PostgreSQL server to use, as a user that may create roles (e.g. `postgresql:///siaga112`). "
                           "Empty: an embedded server in SIAGA_DATA_DIR/pg."),
    "SIAGA_REDIS_URL": ("", "Redis to use (e.g. `redis://127.0.0.1:6379/0`). Empty: an embedded Redis in SIAGA_DATA_DIR."),
    "SIAGA_HOST": ("127.0.0.1", "Address `siaga112 up` binds the web server to."),
    "SIAGA_PORT": ("8112", "Port `siaga112 up` serves on."),
    "SIAGA_WEB_WORKERS": ("2", "gunicorn worker processes started by `siaga112 up`."),
    "SIAGA_SECRET_KEY": ("", "Flask secret key. Empty: generated once into SIAGA_DATA_DIR/secrets."),
    "SIAGA_DATABASE_APP_PASSWORD": ("", "Password of the runtime database role. Empty: generated once into SIAGA_DATA_DIR/secrets."),
    "SIAGA_DATABASE_OWNER_PASSWORD": ("", "Password of the owner (migration) role. Empty: generated once into SIAGA_DATA_DIR/secrets."),
    "SIAGA_PUBLIC_URL": ("", "The address people and clients reach Siaga112 at (the OAuth issuer), e.g. "
                         "`https://siaga112.go.id`. Empty: the address `siaga112 up` last served at (it records it "
                         "in SIAGA_DATA_DIR/public-url), else http://SIAGA_HOST:SIAGA_PORT."),
    "SIAGA_JWT_KEY": ("", "PEM private key (RSA) that signs access and ID tokens. Empty: generated once into "
                      "SIAGA_DATA_DIR/secrets."),
    "SIAGA_ACCESS_TOKEN_TTL": ("300", "Lifetime of access tokens in seconds (short: roles are read when a token is issued)."),
    "SIAGA_TRUSTED_PROXIES": ("0", "How many reverse proxies (e.g. the ingress) sit in front and set X-Forwarded-For/Proto/Host; "
                              "0 trusts none of those headers."),
    "SIAGA_LOG_LEVEL": ("INFO", "Log level of the JSON logs (DEBUG, INFO, WARNING, ERROR)."),
    "SIAGA_OUTBOX_INTERVAL": ("10", "Seconds between two relays of pending outbox events by rq cron."),
    "SIAGA_SMTP_URL": ("", "SMTP server for e-mail: `smtp://host:25` (plain), `smtp+starttls://user:password@host:587` or "
                       "`smtps://user:password@host:465` (user and password percent-encoded). Empty: each message is "
                       "written as an .eml file into SIAGA_DATA_DIR/mail."),
    "SIAGA_MAIL_FROM": ("Siaga112 <noreply@localhost>", "Sender of the platform's e-mail, e.g. "
                        "`Siaga112 <noreply@siaga112.go.id>`."),
    "SIAGA_PUSH_PORT": ("", "Port of the push server (`siaga112 push`, started by `siaga112 up`) that tells open pages "
                        "something changed. Empty: SIAGA_PORT + 1."),
    "SIAGA_PUSH_URL": ("", "Base address pages open their push stream at, e.g. `https://siaga112.go.id` where the "
                       "ingress routes `/push/` to the push server (same origin); `off`: no push, live pages re-read "
                       "every 15 s. Empty: http://SIAGA_HOST:SIAGA_PUSH_PORT."),
}


class ConfigError(ValueError):
    """A SIAGA_* variable holds a value the platform cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str
    host: str
    port: int
    web_workers: int
    secret_key: str
    database_app_password: str
    database_owner_password: str
    log_level: str
    outbox_interval: int
    public_url: str
    jwt_key: str
    access_token_ttl: int
    trusted_proxies: int
    smtp_url: str
    mail_from: str
    push_port: int
    push_url: str  # "" when push is off

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        get = _reader(os.environ if env is None else env)

        data_dir = Path(get("SIAGA_DATA_DIR")).expanduser().resolve()
        return cls(
            data_dir=data_dir,
            database_url=get("SIAGA_DATABASE_URL"),
            redis_url=get("SIAGA_REDIS_URL"),
            host=get("SIAGA_HOST"),
            port=_integer(get, "SIAGA_PORT", 1, 65535),
            web_workers=_integer(get, "SIAGA_WEB_WORKERS", 1, 64),
            secret_key=get("SIAGA_SECRET_KEY"),
            database_app_password=get("SIAGA_DATABASE_APP_PASSWORD"),
            database_owner_password=get("SIAGA_DATABASE_OWNER_PASSWORD"),
            log_level=_choice(get, "SIAGA_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR")),
            outbox_interval=_integer(get, "SIAGA_OUTBOX_INTERVAL", 1, 3600),
            public_url=(get("SIAGA_PUBLIC_URL") or recorded_public_url(data_dir)
                        or f"http://{get('SIAGA_HOST')}:{get('SIAGA_PORT')}").rstrip("/"),
            jwt_key=get("SIAGA_JWT_KEY"),
            access_token_ttl=_integer(get, "SIAGA_ACCESS_TOKEN_TTL", 30, 3600),
            trusted_proxies=_integer(get, "SIAGA_TRUSTED_PROXIES", 0, 5),
            smtp_url=_smtp_url(get),
            mail_from=_mail_from(get),
            **push_address(env, get("SIAGA_HOST"), _integer(get, "SIAGA_PORT", 1, 65535)),
        )

    def env(self) -> dict[str, str]:
        """These settings as SIAGA_* variables, for child processes."""
        values = {name: str(getattr(self, name.removeprefix("SIAGA_").lower())) for name in VARIABLES}
        return values | {"SIAGA_PUSH_URL": self.push_url or "off"}  # empty would mean "the default" to a child


PUBLIC_URL_RECORD = "public-url"


def recorded_public_url(data_dir: Path) -> str:
    """The address `siaga112 up` serves at, as it recorded it: the issuer its tokens carry. A command such
    as `siaga112 token issue` must name the same issuer, whatever port `up --port` chose."""
    try:
        return (data_dir / PUBLIC_URL_RECORD).read_text().strip()
    except OSError:
        return ""


def record_public_url(data_dir: Path, url: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / PUBLIC_URL_RECORD).write_text(url + "\n")


def _reader(env: Mapping[str, str]):
    def get(name: str) -> str:
        return env.get(name, "").strip() or VARIABLES[name][0]

    return get


def push_address(env: Mapping[str, str] | None, host: str, port: int) -> dict:
    """push_port and push_url: as set, or next to the web server at host:port (which `up --port` may choose)."""
    get = _reader(os.environ if env is None else env)
    push_port = _integer(get, "SIAGA_PUSH_PORT", 1, 65535) if get("SIAGA_PUSH_PORT") else (port % 65535) + 1
    push_url = get("SIAGA_PUSH_URL") or f"http://{host}:{push_port}"
    if push_url.lower() == "off":
        return {"push_port": push_port, "push_url": ""}
    if urlsplit(push_url).scheme not in ("http", "https") or not urlsplit(push_url).hostname:
        raise ConfigError(f"SIAGA_PUSH_URL must be an http(s) address such as https://siaga112.go.id, or off; "
                          f"got {push_url!r}")
    return {"push_port": push_port, "push_url": push_url.rstrip("/")}


def _integer(get, name: str, low: int, high: int) -> int:
    raw = get(name)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _choice(get, name: str, choices: tuple[str, ...]) -> str:
    value = get(name).upper()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")


def _smtp_url(get) -> str:
    # Checked here so that a mistyped URL stops `siaga112 up`/the worker at start, not the first e-mail.
    value = get("SIAGA_SMTP_URL")
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in SMTP_SCHEMES:
        raise ConfigError(f"SIAGA_SMTP_URL must start with {', '.join(s + '://' for s in SMTP_SCHEMES)}, "
                          f"got {parts.scheme + '://' if parts.scheme else 'no scheme'}")
    if not parts.hostname:
        raise ConfigError("SIAGA_SMTP_URL names no host, e.g. smtp://mail.example.go.id:25")
    try:
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number in range)
    except ValueError:
        raise ConfigError(f"SIAGA_SMTP_URL has an invalid port: {parts.netloc.rpartition('@')[2]!r}") from None
    return value


def _mail_from(get) -> str:
    value = get("SIAGA_MAIL_FROM")
    name, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    try:
        if local and domain:
            return str(Address(name, addr_spec=address))  # normalised, as the From header will carry it
    except ValueError:  # the header parser's errors are ValueErrors
        pass
    raise ConfigError(f"SIAGA_MAIL_FROM must be an e-mail address, optionally with a name "
                      f"(Siaga112 <noreply@example.go.id>), got {value!r}")
