"""Under gunicorn, as in production: every error under /api is problem+json, also those gunicorn answers itself."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.test_up import free_port

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def gunicorn(services):
    port = free_port()
    env = {**os.environ, **services.env}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:siaga112.platform.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "siaga112.platform.app:create_app()"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not answer /healthz within 60 s")
    yield port
    process.terminate()
    process.wait(timeout=30)


def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer: (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        try:
            connection.sendall(raw)
            connection.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before reading all of it (a refused body): read what it said
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def request(target: str, extra_headers: str = "") -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: localhost\r\n{extra_headers}Connection: close\r\n\r\n".encode()


def assert_problem(answer, status):
    code, headers, body = answer
    assert code == status, body[:300]
    assert headers["content-type"] == PROBLEM
    assert json.loads(body)["status"] == status


@pytest.mark.parametrize("length", [5000, 9000], ids=["app", "gunicorn"])
def test_an_overlong_request_line_is_414_problem_json(gunicorn, length):
    assert_problem(exchange(gunicorn, request("/api/v1/regions?q=" + "x" * length)), 414)


@pytest.mark.parametrize("count", [150, 250], ids=["app", "gunicorn"])
def test_too_many_header_fields_is_431_problem_json(gunicorn, count):
    headers = "".join(f"X-Filler-{n}: {n}\r\n" for n in range(count))
    assert_problem(exchange(gunicorn, request("/api/v1/regions", headers)), 431)


def test_an_overlong_header_field_is_431_problem_json(gunicorn):
    assert_problem(exchange(gunicorn, request("/api/v1/regions", f"X-Long: {'x' * 10000}\r\n")), 431)


def test_a_malformed_request_line_is_400_problem_json(gunicorn):
    assert_problem(exchange(gunicorn, b"GET /api/v1/regions HTTP/9 x\r\n\r\n"), 400)


def test_a_30_mb_chunked_json_body_is_413_problem_json(gunicorn):
    head = (b"POST /api/v1/tenants HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    chunk = b"x" * (1024 * 1024)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(30)) + b"0\r\n\r\n"
    assert_problem(exchange(gunicorn, head + body), 413)
