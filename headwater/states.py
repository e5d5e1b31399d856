"""Run states: a type that drives orchestration and a name for people.

``State`` is a plain slotted class (not a pydantic model) because the engine makes
many of them; pydantic still validates and serializes it through
``__get_pydantic_core_schema__`` where a schema embeds one.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from headwater.exceptions import (
    CancelledRun,
    CrashedRun,
    FailedRun,
    MissingResult,
    PausedRun,
    UnfinishedRun,
)
from headwater.state_details import StateDetails, from_timestamp

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

UTC = dt.timezone.utc
R = TypeVar("R")


class StateType(str, Enum):
    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"

    def __str__(self) -> str:
        return self.value


TERMINAL_TYPES = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED}
)

_NO_DATA: Any = object()


class State(Generic[R]):
    """The state of a flow run or task run at one moment.

    ``data`` holds the run's result (or, for failures, its exception) in memory.
    ``State[int]`` annotates a state whose result is an int.
    """

    __slots__ = (
        "__weakref__",
        "data",
        "message",
        "name",
        "state_details",
        "timestamp",
        "type",
    )

    def __init__(
        self,
        type: StateType | str,
        name: str | None = None,
        message: str | None = None,
        *,
        data: Any = _NO_DATA,
        timestamp: dt.datetime | None = None,
        state_details: StateDetails | None = None,
    ) -> None:
        self.type = type if isinstance(type, StateType) else StateType(type)
        self.name = name or self.type.value.capitalize()
        self.message = message
        self.data = data
        self.timestamp = timestamp or dt.datetime.now(UTC)
        self.state_details = state_details or StateDetails()

    # -- predicates -------------------------------------------------------------
    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelling(self) -> bool:
        return self.type is StateType.CANCELLING

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_final(self) -> bool:
        return self.type in TERMINAL_TYPES

    @property
    def has_data(self) -> bool:
        return self.data is not _NO_DATA

    # -- results ----------------------------------------------------------------
    def result(
        self, raise_on_failure: bool = True, fetch: bool = True, retry_result_failure: bool = True
    ) -> Any:
        """The run's return value; raises the run's exception for failed runs.

        A state read back from the store carries no value: ``MissingResult``.
        """
        if self.type is StateType.COMPLETED:
            return self._value()
        if self.type in (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED):
            if not raise_on_failure and (
                isinstance(self.data, State) or is_state_iterable(self.data)
            ):
                return self.data  # the states that decided this one (as Prefect)
            exc = self._exception()
            if raise_on_failure:
                raise exc
            return exc
        if self.type is StateType.PAUSED:
            raise PausedRun(f"run is {self.name}: it has no result until it is resumed")
        raise UnfinishedRun(f"run is {self.name}, not finished: it has no result yet")

    def _value(self) -> Any:
        if self.data is not _NO_DATA:
            return self.data
        ref = self.state_details.result_ref
        if ref:
            from headwater.results.records import load_ref

            return load_ref(ref)
        raise MissingResult(
            "this state's result was not kept: enable persist_result=True on the "
            "task or flow to read results from another process"
        )

    def _exception(self) -> BaseException:
        if isinstance(self.data, BaseException):
            return self.data
        if isinstance(self.data, State):
            return self.data._exception()
        if is_state_iterable(self.data):
            for nested in self.data:
                if nested.type in _FAILED_TYPES:
                    return nested._exception()
        message = self.message or f"run ended {self.name}"
        if self.type is StateType.CANCELLED:
            return CancelledRun(message)
        if self.type is StateType.CRASHED:
            return CrashedRun(message)
        return FailedRun(message)

    # -- copying and wire format ------------------------------------------------
    def copy(self, **updates: Any) -> State:
        new: State = State(
            self.type,
            self.name,
            self.message,
            data=self.data,
            timestamp=self.timestamp,
            state_details=self.state_details,
        )
        for key, value in updates.items():
            setattr(new, key, value)
        return new

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type.value,
            "name": self.name,
            "message": self.message,
            "timestamp": self.timestamp.isoformat(),
            "state_details": self.state_details.to_dict(),
        }
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> State:
        return cls(
            data["type"],
            data.get("name"),
            data.get("message"),
            timestamp=from_timestamp(data.get("timestamp")),
            state_details=StateDetails.from_dict(data.get("state_details")),
        )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        def validate(value: Any) -> State:
            if isinstance(value, State):
                return value
            if isinstance(value, dict):
                if "type" not in value:
                    raise ValueError("a state needs a 'type'")
                try:
                    return State.from_dict(value)
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"invalid state: {exc}") from None
            raise ValueError("a state must be an object with a 'type'")

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda state: state.to_dict()
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "object",
            "title": "State",
            "required": ["type"],
            "properties": {
                "type": {"type": "string", "enum": [t.value for t in StateType]},
                "name": {"type": "string", "maxLength": 100},
                "message": {"type": ["string", "null"], "maxLength": 10000},
                "timestamp": {"type": "string", "format": "date-time"},
                "state_details": {"type": "object"},
            },
        }

    def __repr__(self) -> str:
        parts = [f"message={self.message!r}", f"type={self.type.value}"]
        if self.data is not _NO_DATA and not isinstance(self.data, BaseException):
            parts.append(f"result={_short_repr(self.data)}")
        return f"{self.name}({', '.join(parts)})"

    def __str__(self) -> str:
        return self.__repr__()


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class StateFuture:
    """What ends in a ``State``: ``headwater.futures.HeadwaterFuture`` derives from it,
    so ``iter_states`` knows a future without importing the futures module (which
    imports this one)."""

    __slots__ = ()

    def wait_state(self, timeout: float | None = None) -> State:
        raise NotImplementedError


_FAILED_TYPES = (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED)


def is_state_iterable(value: Any) -> bool:
    """A non-empty list, tuple or set made only of States (Prefect's rule for what a
    returned collection of states decides)."""
    return (
        isinstance(value, (list, tuple, set, frozenset))
        and len(value) > 0
        and all(isinstance(item, State) for item in value)
    )


# -- constructors, Prefect-compatible names ---------------------------------------
# Each takes its data and message (by position or keyword), ``name=`` to rename the
# state, ``timestamp=``, and state details as keywords or as ``state_details=``.


def _state(
    type: StateType, name: str, message: str | None, data: Any, kwargs: dict[str, Any]
) -> State:
    name = kwargs.pop("name", None) or name
    timestamp = kwargs.pop("timestamp", None)
    if data is _NO_DATA:
        data = kwargs.pop("data", _NO_DATA)
    if message is None and isinstance(data, BaseException) and type is not StateType.COMPLETED:
        message = exception_message(data)
    return State(
        type, name, message, data=data, timestamp=timestamp, state_details=_details(kwargs)
    )


def _details(kwargs: dict[str, Any]) -> StateDetails:
    """State details from a constructor's keywords; Prefect's ``state_details=`` (an
    object or a dict) is taken as well as the detail fields themselves."""
    given = kwargs.pop("state_details", None)
    kwargs.pop("cls", None)  # Prefect's state class argument: there is one State class
    if isinstance(given, StateDetails):
        details = given
    else:
        details = StateDetails.from_dict(given) if given else StateDetails()
    for key, value in kwargs.items():
        if key not in StateDetails.__slots__:
            raise TypeError(f"unknown state detail {key!r}")
        setattr(details, key, value)
    return details


def Scheduled(
    scheduled_time: dt.datetime | None = None, message: str | None = None, **kwargs: Any
) -> State:
    kwargs["scheduled_time"] = scheduled_time or dt.datetime.now(UTC)
    return _state(StateType.SCHEDULED, "Scheduled", message, _NO_DATA, kwargs)


def Late(
    scheduled_time: dt.datetime | None = None, message: str | None = None, **kwargs: Any
) -> State:
    return Scheduled(scheduled_time, message, name="Late", **kwargs)


def AwaitingRetry(
    scheduled_time: dt.datetime | None = None, message: str | None = None, **kwargs: Any
) -> State:
    return Scheduled(scheduled_time, message, name="AwaitingRetry", **kwargs)


def AwaitingConcurrencySlot(
    scheduled_time: dt.datetime | None = None, message: str | None = None, **kwargs: Any
) -> State:
    return Scheduled(scheduled_time, message, name="AwaitingConcurrencySlot", **kwargs)


def Pending(message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.PENDING, "Pending", message, _NO_DATA, kwargs)


def Submitting(message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.PENDING, "Submitting", message, _NO_DATA, kwargs)


def InfrastructurePending(message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.PENDING, "InfrastructurePending", message, _NO_DATA, kwargs)


def Running(message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.RUNNING, "Running", message, _NO_DATA, kwargs)


def Retrying(message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.RUNNING, "Retrying", message, _NO_DATA, kwargs)


def Paused(
    timeout_seconds: float | None = None,
    message: str | None = None,
    pause_expiration_time: dt.datetime | None = None,
    **kwargs: Any,
) -> State:
    if timeout_seconds is not None and pause_expiration_time is not None:
        raise ValueError("give timeout_seconds or pause_expiration_time, not both")
    if timeout_seconds is not None:
        pause_expiration_time = dt.datetime.now(UTC) + dt.timedelta(seconds=timeout_seconds)
    if pause_expiration_time is not None:
        kwargs["pause_timeout"] = pause_expiration_time
    return _state(StateType.PAUSED, "Paused", message, _NO_DATA, kwargs)


def Suspended(
    timeout_seconds: float | None = None,
    message: str | None = None,
    pause_expiration_time: dt.datetime | None = None,
    **kwargs: Any,
) -> State:
    kwargs.setdefault("name", "Suspended")
    return Paused(timeout_seconds, message, pause_expiration_time, **kwargs)


def Completed(data: Any = None, message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.COMPLETED, "Completed", message, data, kwargs)


def Cached(data: Any = None, message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.COMPLETED, "Cached", message, data, kwargs)


def Failed(data: Any = _NO_DATA, message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.FAILED, "Failed", message, data, kwargs)


def Crashed(data: Any = _NO_DATA, message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.CRASHED, "Crashed", message, data, kwargs)


def Cancelling(message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.CANCELLING, "Cancelling", message, _NO_DATA, kwargs)


def Cancelled(data: Any = _NO_DATA, message: str | None = None, **kwargs: Any) -> State:
    return _state(StateType.CANCELLED, "Cancelled", message, data, kwargs)


def exception_message(exc: BaseException) -> str:
    """``ValueError: bad input`` — the one-line summary stored with a failed state."""
    text = str(exc)
    kind = type(exc).__name__
    return f"{kind}: {text}" if text else kind


# -- helpers, Prefect-compatible names (see headwater/state_helpers.py) -----------------
from headwater.state_helpers import (  # noqa: E402
    StateGroup,
    aget_state_exception,
    araise_state_exception,
    format_exception,
    get_state_exception,
    get_state_result,
    raise_state_exception,
)


async def exception_to_crashed_state(exc: BaseException, result_store: Any = None) -> State:
    """A Crashed state for something that interrupted a run from outside its code
    (awaitable, as Prefect's)."""
    if isinstance(exc, KeyboardInterrupt):
        message = "Execution was aborted by an interrupt signal."
    elif isinstance(exc, SystemExit):
        message = "Execution was aborted by Python system exit call."
    else:
        message = f"Execution was interrupted by an unexpected exception: {exception_message(exc)}"
    return Crashed(exc, message)


async def exception_to_failed_state(
    exc: BaseException | None = None, message: str | None = None, **kwargs: Any
) -> State:
    """A Failed state holding ``exc`` (the one being handled when omitted); awaitable,
    as Prefect's."""
    import sys

    kwargs.pop("result_store", None)
    kwargs.pop("write_result", None)
    if exc is None:
        exc = sys.exc_info()[1]
        if exc is None:
            raise ValueError("no exception given and none is being handled")
    return Failed(exc, message or exception_message(exc), **kwargs)


def return_value_to_state(value: Any, **_: Any) -> State:
    """The state a run ends in when its function returned ``value`` (futures already
    replaced by their states): a State as is; a non-empty list, tuple or set made
    only of States decides by them (all Completed → Completed; any Cancelled →
    Cancelled; any Paused → Paused; otherwise Failed) and keeps the collection as
    its value; anything else is Completed with ``value``."""
    if isinstance(value, State):
        return value
    if not is_state_iterable(value):
        return Completed(value)
    group = StateGroup(value)
    if group.all_completed():
        return Completed(value, "All states completed.")
    if group.any_cancelled():
        kind, message = (
            StateType.CANCELLED,
            f"{group.cancelled_count}/{group.total} states cancelled.",
        )
    elif group.any_paused():
        kind, message = StateType.PAUSED, f"{group.paused_count}/{group.total} states paused."
    else:
        kind = StateType.FAILED
        if group.any_failed():
            message = f"{group.fail_count}/{group.total} states failed."
        elif not group.all_final():
            message = f"{group.not_final_count}/{group.total} states are not final."
        else:
            message = f"Given states: {group.counts_message()}"
    return State(kind, None, message, data=value)


__all__ = [
    "AwaitingConcurrencySlot",
    "AwaitingRetry",
    "Cached",
    "Cancelled",
    "Cancelling",
    "Completed",
    "Crashed",
    "Failed",
    "InfrastructurePending",
    "Late",
    "Paused",
    "Pending",
    "Retrying",
    "Running",
    "Scheduled",
    "State",
    "StateDetails",
    "StateGroup",
    "StateType",
    "Submitting",
    "Suspended",
    "aget_state_exception",
    "araise_state_exception",
    "exception_message",
    "exception_to_crashed_state",
    "exception_to_failed_state",
    "format_exception",
    "get_state_exception",
    "get_state_result",
    "is_state_iterable",
    "raise_state_exception",
    "return_value_to_state",
]
