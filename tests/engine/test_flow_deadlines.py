"""A flow's ``timeout_seconds`` fires while it waits on futures, on the sync and async
paths and in any thread, and the flow's own ``except OSError``/``except Exception``
does not swallow it: the run ends TimedOut (Failed)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from headwater import flow, task
from headwater.exceptions import FlowRunTimeoutError
from headwater.futures import wait
from tests.helpers import logs_of, stored_runs, task_runs_of

#: Flow deadlines in these tests, and the most a timed-out call may take in all (a
#: loaded 2-core machine included); the blocked tasks would hold it 10 s.
DEADLINE = 0.5
RETURNS_WITHIN = 5.0


@pytest.fixture(autouse=True)
def store_ready() -> None:
    """Create the store before the clock starts (its schema takes seconds when busy)."""
    stored_runs()


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Blocked tasks wait on this (up to 10 s); opened at the end of each test so no
    thread outlives it."""
    event = threading.Event()
    yield event
    event.set()


def _blocked_task(gate: threading.Event) -> Any:
    @task
    def blocked() -> str:
        gate.wait(10)
        return "late"

    return blocked


def _assert_timed_out(started: float) -> Any:
    assert time.monotonic() - started < RETURNS_WITHIN
    run = stored_runs()[0]
    assert run.state.is_failed() and run.state.name == "TimedOut"
    return run


def test_the_deadline_fires_while_the_flow_waits_on_a_future(gate: threading.Event) -> None:
    blocked = _blocked_task(gate)

    @flow(timeout_seconds=DEADLINE)
    def waits() -> str:
        return str(blocked.submit().result())

    started = time.monotonic()
    with pytest.raises(FlowRunTimeoutError, match=r"timeout of 0\.5 s"):
        waits()
    run = _assert_timed_out(started)
    [task_run] = task_runs_of(run.id)
    assert task_run.state.is_crashed()  # left unfinished by the timed-out attempt


def test_the_deadline_covers_waiting_for_tasks_the_flow_did_not_wait_for(
    gate: threading.Event,
) -> None:
    blocked = _blocked_task(gate)

    @flow(timeout_seconds=DEADLINE)
    def fire_and_forget() -> None:
        blocked.submit()

    started = time.monotonic()
    state = fire_and_forget(return_state=True)
    assert state.name == "TimedOut"
    _assert_timed_out(started)


@pytest.mark.parametrize("caught", [OSError, TimeoutError, Exception])
def test_the_flows_own_except_clauses_do_not_swallow_the_deadline(
    gate: threading.Event, caught: type[Exception]
) -> None:
    blocked = _blocked_task(gate)

    @flow(timeout_seconds=DEADLINE)
    def careless() -> str:
        try:
            return str(blocked.submit().result())
        except caught:
            pass
        try:
            time.sleep(10)
        except caught:
            pass
        return "swallowed"

    started = time.monotonic()
    assert careless(return_state=True).name == "TimedOut"
    _assert_timed_out(started)


def test_waits_on_futures_give_up_at_the_deadline_in_a_flow_outside_the_main_thread(
    gate: threading.Event,
) -> None:
    blocked = _blocked_task(gate)

    @flow(timeout_seconds=DEADLINE)
    def in_a_thread() -> None:
        futures = [blocked.submit() for _ in range(2)]
        wait(futures)  # blocked in C: only the deadline-aware wait can give up

    states: list[Any] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: states.append(in_a_thread(return_state=True)))
    thread.start()
    thread.join(RETURNS_WITHIN + 1)
    assert [s.name for s in states] == ["TimedOut"]
    _assert_timed_out(started)


def test_an_async_flows_deadline_covers_waiting_for_its_tasks(gate: threading.Event) -> None:
    blocked = _blocked_task(gate)

    @flow(timeout_seconds=DEADLINE)
    async def submits() -> None:
        blocked.submit()

    started = time.monotonic()
    assert asyncio.run(submits(return_state=True)).name == "TimedOut"
    _assert_timed_out(started)


def test_an_async_flow_blocked_on_a_future_times_out(gate: threading.Event) -> None:
    blocked = _blocked_task(gate)

    @flow(timeout_seconds=DEADLINE)
    async def blocks_the_loop() -> str:
        try:
            return str(blocked.submit().result())  # blocks the event loop itself
        except OSError:
            return "swallowed"

    started = time.monotonic()
    with pytest.raises(FlowRunTimeoutError):
        asyncio.run(blocks_the_loop())
    _assert_timed_out(started)


def test_an_async_flow_that_swallows_the_cancellation_still_times_out() -> None:
    @flow(timeout_seconds=DEADLINE)
    async def stubborn() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass
        return "swallowed"

    started = time.monotonic()
    assert asyncio.run(stubborn(return_state=True)).name == "TimedOut"
    _assert_timed_out(started)


def test_a_parents_deadline_stops_its_subflow(gate: threading.Event) -> None:
    blocked = _blocked_task(gate)

    @flow(timeout_seconds=30)
    def child() -> str:
        return str(blocked.submit().result())

    @flow(timeout_seconds=DEADLINE)
    def parent() -> str:
        try:
            return child()
        except Exception:
            return "swallowed"

    started = time.monotonic()
    assert parent(return_state=True).name == "TimedOut"
    assert time.monotonic() - started < RETURNS_WITHIN
    by_name = {run.flow_name: run for run in stored_runs()}
    assert by_name["parent"].state.name == "TimedOut"
    assert by_name["child"].state.is_crashed()
    assert "timeout of an enclosing flow run" in (by_name["child"].state.message or "")


def test_async_retries_are_logged_like_sync_ones() -> None:
    calls: list[int] = []

    @flow(retries=1, retry_delay_seconds=0)
    async def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first attempt")
        return "ok"

    assert asyncio.run(flaky()) == "ok"
    run = stored_runs()[0]
    assert run.run_count == 2
    assert any("retrying in" in log.message for log in logs_of(run.id))


def test_an_interruption_just_after_the_run_is_created_still_ends_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deadline (or Ctrl-C) may strike after the store created the run but before the
    engine noted it: the run must not stay Running."""
    from headwater.client.local import LocalClient

    create = LocalClient.create_flow_run

    def create_then_interrupt(self: LocalClient, *args: object, **kwargs: object) -> object:
        create(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalClient, "create_flow_run", create_then_interrupt)

    @flow
    def interrupted() -> str:
        return "never"

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    monkeypatch.setattr(LocalClient, "create_flow_run", create)
    (run,) = [r for r in stored_runs() if r.flow_name == "interrupted"]
    assert run.state.is_cancelled(), run.state
