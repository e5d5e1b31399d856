"""headwater.flow_runs: wait_for_flow_run, and the pause names import (pausing itself:
tests/test_pause.py)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from headwater import flow
from headwater.client import get_client
from headwater.exceptions import FlowRunWaitTimeout, UserInputError
from headwater.flow_runs import (
    SuspendNotAvailable,
    pause_flow_run,
    resume_flow_run,
    suspend_flow_run,
    wait_for_flow_run,
)
from headwater.states import Completed


@flow
def quick() -> int:
    return 1


def test_waits_for_a_run_that_finishes_later() -> None:
    from headwater.states import Running

    state = quick(return_state=True)
    run_id = state.state_details.flow_run_id
    with get_client() as client:
        client.set_flow_run_state(run_id, Running(), force=True)

        def finish() -> None:
            time.sleep(0.3)
            client.set_flow_run_state(run_id, Completed(), force=True)

        threading.Thread(target=finish).start()
        started = time.monotonic()
        run = asyncio.run(wait_for_flow_run(run_id, timeout=20, poll_interval=0.05))
    assert run.state.is_completed() and 0.25 < time.monotonic() - started < 10


def test_times_out_with_flow_run_wait_timeout() -> None:
    from headwater.states import Running

    run_id = quick(return_state=True).state_details.flow_run_id
    with get_client() as client:
        client.set_flow_run_state(run_id, Running(), force=True)
        with pytest.raises(FlowRunWaitTimeout, match=r"did not finish within 0\.2 s"):
            asyncio.run(wait_for_flow_run(str(run_id), timeout=0.2, poll_interval=0.05))


def test_pause_names_import_and_suspend_outside_a_flow_is_refused() -> None:
    import headwater

    assert headwater.pause_flow_run is pause_flow_run
    assert headwater.resume_flow_run is resume_flow_run
    assert headwater.suspend_flow_run is suspend_flow_run
    assert issubclass(SuspendNotAvailable, UserInputError)
    with pytest.raises(UserInputError, match="inside a flow run"):
        suspend_flow_run()
