"""`siaga112 up`'s supervisor: a child that keeps exiting is restarted with backoff and never given up."""

import sys

from siaga112.platform.runner import STEADY_SECONDS, Supervisor

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
