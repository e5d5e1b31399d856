"""ResultGatherer on a real distributed LocalCluster: finished futures are fetched in
batches, erred and cancelled ones settle with their error, each exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")

from headwater.task_runners.dask_results import ResultGatherer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=":0", host="127.0.0.1"
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def _double(x: int) -> int:
    return 2 * x


def _fails(x: int) -> int:
    raise ValueError(f"no {x}")


def _sleeps(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


class Settled:
    """What each watched future was settled with, and how many times."""

    def __init__(self, expected: int) -> None:
        self.answers: dict[str, list[tuple[Any, BaseException | None]]] = {}
        self.expected = expected
        self.lock = threading.Lock()
        self.all_in = threading.Event()

    def settle_for(self, name: str) -> Any:
        def settle(answer: Any, error: BaseException | None) -> None:
            with self.lock:
                self.answers.setdefault(name, []).append((answer, error))
                if sum(len(v) for v in self.answers.values()) == self.expected:
                    self.all_in.set()

        return settle


def test_answers_and_errors_each_settle_once(client: Any) -> None:
    gatherer = ResultGatherer(client)
    settled = Settled(expected=203)
    try:
        for i in range(200):
            future = client.submit(_double, i, pure=False)
            gatherer.watch(future, settled.settle_for(f"double-{i}"))
        gatherer.watch(client.submit(_fails, 1, pure=False), settled.settle_for("fails"))
        slow = client.submit(_sleeps, 3, pure=False)
        gatherer.watch(slow, settled.settle_for("cancelled"))
        late = client.submit(_double, 21, pure=False)
        late.result(timeout=30)  # finished before it is watched
        gatherer.watch(late, settled.settle_for("late"))
        time.sleep(0.2)
        slow.cancel()
        assert settled.all_in.wait(30), settled.answers.keys()
    finally:
        gatherer.close()
    assert all(len(v) == 1 for v in settled.answers.values())
    assert [settled.answers[f"double-{i}"][0] for i in range(200)] == [
        (2 * i, None) for i in range(200)
    ]
    assert settled.answers["late"] == [(42, None)]
    answer, error = settled.answers["fails"][0]
    assert answer is None and isinstance(error, ValueError) and "no 1" in str(error)
    answer, error = settled.answers["cancelled"][0]
    assert answer is None and error is not None


def test_futures_watched_after_close_settle_in_their_callback(client: Any) -> None:
    gatherer = ResultGatherer(client)
    gatherer.close()
    settled = Settled(expected=1)
    gatherer.watch(client.submit(_double, 4, pure=False), settled.settle_for("after"))
    assert settled.all_in.wait(30)
    assert settled.answers == {"after": [(8, None)]}
