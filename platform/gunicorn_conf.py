"""gunicorn settings for `siaga112 up` (and the container's web command): JSON logs like the app's, limits
above the app's own, and problem+json for the few requests gunicorn answers itself.

The app refuses over-long request lines and headers itself (platform/request_guard.py), in the same
problem+json as every other error; gunicorn's limits are set above those so the app gets to see them.
What gunicorn still refuses on its own (a head beyond these limits, a malformed request line or chunk)
it used to answer with an HTML page; `write_problem` makes that problem+json too.
"""

import json

from gunicorn import util


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO"},  # no handler: configure_logging() adds the one that carries request ids
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
                # gunicorn writes access lines whenever logconfig_dict is set, whatever accesslog says
                "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}},
}
accesslog = None  # the app logs every request itself, with its request id
graceful_timeout = 10
timeout = 60

limit_request_line = 8190  # the most gunicorn allows; the app refuses beyond 4094 (request_guard.py)
limit_request_fields = 200  # the app refuses beyond 100
limit_request_field_size = 16380  # the app refuses beyond 8190


def write_problem(sock, status_int, reason, mesg):
    """gunicorn's own error answer, as application/problem+json instead of an HTML page."""
    body = json.dumps({"type": "about:blank", "title": reason, "status": status_int,
                       "detail": mesg or reason}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin1") + body)


# gunicorn's workers call util.write_error for every request they refuse before the app sees it; it has
# no setting for the error format, so the function is replaced (a small, checked-by-test shim).
util.write_error = write_problem
