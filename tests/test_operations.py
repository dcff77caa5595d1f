"""Probes, logs and configuration: what an operator relies on at 3 a.m."""

import io
import json
import logging

import pytest

from siaga112.platform.app import create_app
from siaga112.platform.config import ConfigError, Settings
from siaga112.platform.logs import json_handler


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_database_schema_and_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_is_503_when_the_schema_is_not_at_head(services, fresh_database):
    env = {**services.env, "SIAGA_DATABASE_URL": fresh_database.admin}
    response = create_app(env).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "siaga112 db upgrade" in response.json["checks"]["database"]
    assert response.json["checks"]["redis"] == "ok"


def test_readyz_is_ready_but_degraded_when_redis_is_unreachable(services):
    env = {**services.env, "SIAGA_REDIS_URL": "redis://127.0.0.1:1/0"}
    response = create_app(env).test_client().get("/readyz")
    assert response.status_code == 200  # the process serves: a failing probe would take it out of service
    assert response.json["status"] == "degraded" and response.json["missing"] == ["redis"]
    assert response.json["checks"]["redis"].startswith("unreachable")
    assert response.json["checks"]["database"] == "ok"
    assert isinstance(response.json["outbox_pending"], int)


def test_every_log_line_of_a_request_carries_its_request_id(app, client):
    stream = io.StringIO()
    handler = json_handler()
    handler.setStream(stream)
    logger = logging.getLogger("siaga112")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        client.get("/api/v1/regions/00.00", headers={"X-Request-ID": "night-shift-0001"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "the request logged nothing"
    assert {line["request_id"] for line in lines} == {"night-shift-0001"}
    assert any(line["message"] == "request" and line["status"] == 404 for line in lines)


def test_settings_come_from_siaga_variables_with_defaults(tmp_path):
    settings = Settings.from_env({"SIAGA_DATA_DIR": str(tmp_path), "SIAGA_PORT": "9000"})
    assert settings.port == 9000 and settings.host == "127.0.0.1"
    assert settings.data_dir == tmp_path and settings.database_url == ""


@pytest.mark.parametrize("name, value, message", [
    ("SIAGA_PORT", "eighty", "SIAGA_PORT must be a whole number"),
    ("SIAGA_PORT", "70000", "between 1 and 65535"),
    ("SIAGA_LOG_LEVEL", "LOUD", "SIAGA_LOG_LEVEL must be one of"),
])
def test_a_bad_setting_says_which_variable_and_why(name, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({name: value})


def test_readme_lists_every_configuration_variable():
    from pathlib import Path

    from siaga112.platform.config import VARIABLES

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [name for name in VARIABLES if f"`{name}`" not in readme]
    assert missing == []
