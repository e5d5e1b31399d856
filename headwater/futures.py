"""Futures for submitted task runs: ``.result()``, ``.wait()``, ``.state``.

Waiting in a flow run's code never outlasts the run's deadline (``timeout_seconds``):
a wait still blocked when it passes raises ``FlowRunDeadline`` (which the flow's own
``except Exception`` does not catch), whatever thread the flow runs in.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar
from uuid import UUID

from headwater.states import State, StateFuture
from headwater.utilities.timeout import Deadline, applicable_deadline

if TYPE_CHECKING:
    from headwater.schemas.records import TaskRunRecord

R = TypeVar("R")


class HeadwaterFuture(StateFuture, Generic[R]):
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
        return State(record.state_type, record.state_name, record.state_message)

    def done(self) -> bool:
        return self._future.done()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the task run finishes (or ``timeout`` seconds pass)."""
        try:
            _outcome(self._future, timeout)
        except cf.TimeoutError:
            return

    def wait_state(self, timeout: float | None = None) -> State:
        return _outcome(self._future, timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """The task's return value; raises its exception if it failed."""
        try:
            state = _outcome(self._future, timeout)
        except cf.TimeoutError:
            raise TimeoutError(
                f"task run {self._record.name} did not finish within {timeout} s"
            ) from None
        return state.result(raise_on_failure=raise_on_failure)

    def add_done_callback(self, fn: Callable[[HeadwaterFuture[R]], Any]) -> None:
        self._future.add_done_callback(lambda _: fn(self))

    def __repr__(self) -> str:
        return f"HeadwaterFuture({self._record.name!r}, state={self.state.name})"


def _outcome(future: cf.Future[State], timeout: float | None) -> State:
    """The future's state, waiting up to ``timeout`` seconds but not past the running
    flow's deadline."""
    if future.done():
        return future.result()
    deadline = applicable_deadline()
    if deadline is None:
        return future.result(timeout)
    limit, limited = _within(deadline, timeout)
    try:
        return future.result(limit)
    except cf.TimeoutError:
        if limited and not future.done():
            raise deadline.passed() from None
        raise


def _within(deadline: Deadline | None, timeout: float | None) -> tuple[float | None, bool]:
    """How long a wait may take, and whether the deadline (not ``timeout``) set it."""
    if deadline is None:
        return timeout, False
    remaining = max(deadline.remaining(), 0.0)
    if timeout is not None and timeout <= remaining:
        return timeout, False
    return remaining, True


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
    deadline = applicable_deadline()
    limit, limited = _within(deadline, timeout)
    done, not_done = cf.wait(by_inner, limit)
    if not_done and limited and deadline is not None:
        raise deadline.passed()
    return DoneAndNotDoneFutures({by_inner[f] for f in done}, {by_inner[f] for f in not_done})


def as_completed(
    futures: Iterable[HeadwaterFuture[Any]], timeout: float | None = None
) -> Iterator[HeadwaterFuture[Any]]:
    """Yield futures as their task runs finish."""
    by_inner = {f._future: f for f in futures}
    deadline = applicable_deadline()
    limit, limited = _within(deadline, timeout)
    try:
        for inner in cf.as_completed(by_inner, limit):
            yield by_inner[inner]
    except cf.TimeoutError:
        if limited and deadline is not None:
            raise deadline.passed() from None
        raise


def resolve_futures_to_states(data: Any) -> Any:
    """Replace futures (also inside lists, tuples, sets and dicts) by their states."""
    if isinstance(data, HeadwaterFuture):
        return data.wait_state()
    if isinstance(data, (list, tuple, set, frozenset)):
        return type(data)(resolve_futures_to_states(item) for item in data)
    if isinstance(data, dict):
        return {key: resolve_futures_to_states(value) for key, value in data.items()}
    return data


def resolve_futures_to_results(data: Any) -> Any:
    """Replace futures (also inside lists, tuples, sets and dicts) by their results."""
    if isinstance(data, HeadwaterFuture):
        return data.result()
    if isinstance(data, (list, tuple, set, frozenset)):
        return type(data)(resolve_futures_to_results(item) for item in data)
    if isinstance(data, dict):
        return {key: resolve_futures_to_results(value) for key, value in data.items()}
    return data


# Names a Prefect user's code may import after swapping the package name.
PrefectFuture = HeadwaterFuture
PrefectFutureList = HeadwaterFutureList
