"""gunicorn settings for `siaga112 up`: JSON logs like the app's."""

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
