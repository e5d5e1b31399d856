import gc
import threading

import pytest

from headwater import flow, task
from headwater.engine import gc_freeze
from headwater.engine.gc_freeze import heap_frozen_while_running
from headwater.settings import temporary_settings


@pytest.fixture(autouse=True)
def _no_other_run() -> None:
    if gc_freeze._running:  # a run another test left going in this process
        pytest.skip("another flow run is still going in this process")


def test_a_flow_run_freezes_what_existed_before_it_and_thaws_after() -> None:
    seen: list[int] = []

    @task
    def look() -> int:
        return gc.get_freeze_count()

    @flow
    def outer() -> int:
        seen.append(gc.get_freeze_count())
        return inner()

    @flow
    def inner() -> int:
        return look()

    assert gc.get_freeze_count() == 0
    from_task = outer()
    assert seen[0] > 0 and from_task > 0  # frozen in the flow, its subflow and its task
    assert gc.get_freeze_count() == 0  # thawed when the run ended


def test_a_failed_run_thaws_too() -> None:
    @flow
    def boom() -> None:
        raise ValueError("no")

    state = boom(return_state=True)
    assert state.is_failed()
    assert gc.get_freeze_count() == 0


def test_concurrent_runs_thaw_when_the_last_one_ends() -> None:
    entered, release = threading.Barrier(2), threading.Event()
    counts: list[int] = []

    def hold() -> None:
        with heap_frozen_while_running():
            entered.wait(5)
            release.wait(5)

    other = threading.Thread(target=hold)
    other.start()
    with heap_frozen_while_running():
        entered.wait(5)
    counts.append(gc.get_freeze_count())  # the other run is still going
    release.set()
    other.join(5)
    assert counts[0] > 0
    assert gc.get_freeze_count() == 0


def test_it_can_be_turned_off() -> None:
    with temporary_settings(engine_gc_freeze=False), heap_frozen_while_running():
        assert gc.get_freeze_count() == 0
