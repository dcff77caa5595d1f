"""Security headers on every answer (Flask-Talisman), and no caching of anything a signed-in person sees.

The Content-Security-Policy allows scripts, styles, fonts and connections from this site only: no
inline script or style anywhere (HTMX, Swagger UI and the print button are static files; HTMX is
told not to inject its indicator style), no frames of this site elsewhere (frame-ancestors 'none',
and X-Frame-Options for old browsers), `data:` images for the favicon and Swagger UI's icons;
connections also to the push server's origin (platform/push.py) when it is not this site's.
HSTS is sent when the request came over https (through SIAGA_TRUSTED_PROXIES behind a proxy). A
download (`as_download`) gets a stricter policy still, `default-src 'none'; sandbox`: whatever a file
turns out to be, the browser runs nothing in it.

Cache-Control: no-store goes on every API answer and on every page served to a signed-in person, so
a shared computer's back button or a proxy never shows one person's data to the next.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, g, request
from flask_talisman import Talisman

from .api import API_PREFIX

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {feature: "()" for feature in ("camera", "microphone", "geolocation", "payment", "usb")}
REFERRER_POLICY = "same-origin"  # invitation and dispatch links carry secrets: never send them to another site
DOWNLOAD_POLICY = "default-src 'none'; sandbox"
_DOWNLOAD = "siaga112_download"


def as_download(response):
    """Mark a file response: saved, never rendered or sniffed, never cached, nothing in it runs."""
    response.headers["Cache-Control"] = "private, no-store"
    setattr(response, _DOWNLOAD, True)
    return response


def _keep_download_policy(response):
    # Registered before Talisman, so it runs after Talisman has set the site's policy (Flask runs
    # after_request functions in reverse order).
    if getattr(response, _DOWNLOAD, False):
        response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    return response


def _signed_in() -> bool:
    from .identity.web_session import signed_in_user_id

    return g.get("principal") is not None or signed_in_user_id() is not None


def no_store_when_personal(response):
    if request.path.startswith(API_PREFIX) or request.path.startswith("/oauth/") or _signed_in():
        if "no-store" not in (response.headers.get("Cache-Control") or ""):
            response.headers["Cache-Control"] = "no-store"
    return response


def content_security_policy(push_url: str) -> dict:
    """The site's policy; pages may also connect to the push server when it has an origin of its own
    (SIAGA_PUSH_URL: a port of its own on one machine; behind the ingress it is this site)."""
    if not push_url:
        return CONTENT_SECURITY_POLICY
    parts = urlsplit(push_url)
    return CONTENT_SECURITY_POLICY | {"connect-src": ["'self'", f"{parts.scheme}://{parts.netloc}"]}


def init_headers(app: Flask) -> None:
    app.after_request(_keep_download_policy)
    Talisman(
        app,
        force_https=False,  # TLS ends at the ingress; plain http is for one machine and tests
        session_cookie_secure=False,  # security.py sets Secure from SIAGA_PUBLIC_URL and the request
        frame_options="DENY",
        content_security_policy=content_security_policy(app.extensions["siaga112.settings"].push_url),
        permissions_policy=PERMISSIONS_POLICY,
        referrer_policy=REFERRER_POLICY,
        strict_transport_security=True,
        strict_transport_security_include_subdomains=False,  # other *.go.id sites are not ours to pin
    )
    app.after_request(no_store_when_personal)
