"""Futures for submitted task runs: ``.result()``, ``.wait()``, ``.state``."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar
from uuid import UUID

from headwater.states import State

if TYPE_CHECKING:
    from headwater.schemas.records import TaskRunRecord

R = TypeVar("R")


class HeadwaterFuture(Generic[R]):
    """The eventual final state of one task run.

    It holds the task run's live record so ``.state`` can answer (Pending, Running,
    AwaitingRetry…) before the run finishes, without asking the store.
    """

    __slots__ = ("__weakref__", "_future", "_record", "task_run_id")

    def __init__(self, task_run_id: UUID, future: cf.Future[State], record: TaskRunRecord):
        self.task_run_id = task_run_id
        self._future = future
        self._record = record

    @property
    def state(self) -> State:
        if self._future.done():
            return self.wait_state()
        record = self._record
        return State(record["state_type"], record["state_name"], record["state_message"])

    def done(self) -> bool:
        return self._future.done()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the task run finishes (or ``timeout`` seconds pass)."""
        try:
            self._future.result(timeout)
        except cf.TimeoutError:
            return

    def wait_state(self, timeout: float | None = None) -> State:
        return self._future.result(timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """The task's return value; raises its exception if it failed."""
        try:
            state = self._future.result(timeout)
        except cf.TimeoutError:
            raise TimeoutError(
                f"task run {self._record['name']} did not finish within {timeout} s"
            ) from None
        return state.result(raise_on_failure=raise_on_failure)

    def add_done_callback(self, fn: Callable[[HeadwaterFuture[R]], Any]) -> None:
        self._future.add_done_callback(lambda _: fn(self))

    def __repr__(self) -> str:
        return f"HeadwaterFuture({self._record['name']!r}, state={self.state.name})"


class HeadwaterFutureList(list[HeadwaterFuture[R]]):
    """What ``Task.map`` returns: a list of futures with list-wide helpers."""

    def wait(self, timeout: float | None = None) -> None:
        wait(self, timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> list[R]:
        return [f.result(timeout, raise_on_failure=raise_on_failure) for f in self]


class DoneAndNotDoneFutures(NamedTuple):
    done: set[HeadwaterFuture[Any]]
    not_done: set[HeadwaterFuture[Any]]


def wait(
    futures: Iterable[HeadwaterFuture[Any]], timeout: float | None = None
) -> DoneAndNotDoneFutures:
    """Wait for every future (up to ``timeout`` seconds in all)."""
    by_inner = {f._future: f for f in futures}
    done, not_done = cf.wait(by_inner, timeout)
    return DoneAndNotDoneFutures({by_inner[f] for f in done}, {by_inner[f] for f in not_done})


def as_completed(
    futures: Iterable[HeadwaterFuture[Any]], timeout: float | None = None
) -> Iterator[HeadwaterFuture[Any]]:
    """Yield futures as their task runs finish."""
    by_inner = {f._future: f for f in futures}
    for inner in cf.as_completed(by_inner, timeout):
        yield by_inner[inner]


def resolve_futures_to_states(data: Any) -> Any:
    """Replace futures (also inside lists, tuples, sets and dicts) by their states."""
    if isinstance(data, HeadwaterFuture):
        return data.wait_state()
    if isinstance(data, (list, tuple, set, frozenset)):
        return type(data)(resolve_futures_to_states(item) for item in data)
    if isinstance(data, dict):
        return {key: resolve_futures_to_states(value) for key, value in data.items()}
    return data


# Names a Prefect user's code may import after swapping the package name.
PrefectFuture = HeadwaterFuture
PrefectFutureList = HeadwaterFutureList
