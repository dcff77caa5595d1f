"""`siaga112 up`'s supervisor: a child that keeps exiting is restarted with backoff and never given up."""

import http.server
import sys
import threading
import time

from siaga112.platform.runner import STEADY_SECONDS, Supervisor, wait_until_ready

FAILS = [sys.executable, "-c", "raise SystemExit(3)"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def exits_and_is_noticed(supervisor, child) -> float:
    """Wait for the child to exit, let the supervisor notice; the seconds until it is due to start again."""
    child.process.wait(timeout=30)
    supervisor.restart_exited(supervisor.clock())
    return child.restart_at - supervisor.clock()


def test_a_child_that_keeps_exiting_is_restarted_with_backoff_for_ever():
    clock = Clock()
    supervisor = Supervisor(env={}, clock=clock)
    supervisor.start("failing", FAILS)
    child = supervisor.children[0]
    waits = []
    for _ in range(9):  # longer than the old "six exits within a minute and `up` gives up"
        first = child.process
        waits.append(exits_and_is_noticed(supervisor, child))
        clock.now += waits[-1] - 0.1
        supervisor.restart_exited(clock.now)
        assert child.process is first  # not yet due
        clock.now += 0.1
        supervisor.restart_exited(clock.now)
        assert child.process is not first and child.restart_at is None  # started again
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    child.process.wait(timeout=30)


def test_after_a_steady_run_the_backoff_starts_over():
    clock = Clock()
    supervisor = Supervisor(env={}, clock=clock)
    supervisor.start("flaky", FAILS)
    child = supervisor.children[0]
    assert exits_and_is_noticed(supervisor, child) == 1
    clock.now += 1
    supervisor.restart_exited(clock.now)
    assert exits_and_is_noticed(supervisor, child) == 2
    clock.now += 2
    supervisor.restart_exited(clock.now)
    clock.now += STEADY_SECONDS  # this time it ran for a minute before exiting
    assert exits_and_is_noticed(supervisor, child) == 1
    child.process.wait(timeout=30)


def web_server_ready_after(requests: int):
    """A web server on a free loopback port that answers 503 to the first requests, then 200 (a gunicorn
    that is still starting)."""
    asked = []

    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200 if len(asked) > requests else 503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ready)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_while_up_waits_for_the_web_a_side_child_that_exits_is_restarted_not_fatal():
    # The CI run that failed: the demo traffic posted before gunicorn answered, exited, and `up` gave up.
    server = web_server_ready_after(requests=3)
    try:
        supervisor = Supervisor(env={})
        supervisor.start("web", [sys.executable, "-c", "import time; time.sleep(30)"])
        supervisor.start("side", FAILS)
        side = supervisor.children[1]
        side.process.wait(timeout=30)
        url = f"http://127.0.0.1:{server.server_port}/readyz"
        assert wait_until_ready(url, supervisor, timeout=10)
        assert side.restart_at is not None  # noticed, and due to start again
    finally:
        server.shutdown()
        supervisor.stop()


def test_when_the_web_itself_exits_up_stops_waiting_at_once():
    supervisor = Supervisor(env={})
    supervisor.start("web", FAILS)
    supervisor.children[0].process.wait(timeout=30)
    began = time.monotonic()
    assert not wait_until_ready("http://127.0.0.1:9/readyz", supervisor, timeout=60)
    assert time.monotonic() - began < 30  # not the whole minute: there is nothing left to wait for
