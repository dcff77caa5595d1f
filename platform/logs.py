"""JSON logs on stderr; every line logged during a request carries its request id."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g:
            record.request_id = g.request_id
        return True


def json_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    ))
    handler.addFilter(RequestIdFilter())
    return handler


class QuietReconnects(logging.Filter):
    """Lets one record a minute through for each message that repeats while a dependency is away (rq
    logs its reconnection attempts every few seconds); every other record passes."""

    REPEATING = ("could not connect to Redis", "Redis connection timeout")

    def __init__(self, every: float = 60.0):
        super().__init__()
        self.every, self.last_seen = every, {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        repeating = next((text for text in self.REPEATING if text in message), None)
        if repeating is None:
            return True
        now = time.monotonic()
        if now - self.last_seen.get((record.name, repeating), float("-inf")) < self.every:
            return False
        self.last_seen[(record.name, repeating)] = now
        return True


def configure_logging(level: str) -> None:
    """Route every logger (ours, gunicorn's, rq's) through one JSON handler."""
    root = logging.getLogger()
    if not any(getattr(h, "siaga112", False) for h in root.handlers):
        handler = json_handler()
        handler.siaga112 = True
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("rq.worker", "rq.scheduler", "rq.cron"):
        rq_logger = logging.getLogger(name)
        if not any(isinstance(f, QuietReconnects) for f in rq_logger.filters):
            rq_logger.addFilter(QuietReconnects())
    # pgserver narrates every pg_ctl call at INFO; keep its warnings only.
    logging.getLogger("pgserver").setLevel(max(logging.WARNING, root.level))


def init_request_ids(app: Flask) -> None:
    log = logging.getLogger("siaga112.request")

    @app.before_request
    def assign_request_id():
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _ACCEPTABLE_ID.fullmatch(offered) else uuid.uuid4().hex

    @app.after_request
    def log_and_echo_request_id(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        log.info("request", extra={"method": request.method, "path": request.path, "status": response.status_code})
        return response
