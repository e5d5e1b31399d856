"""Prefect's exception names exist and nest as Prefect users expect."""

from __future__ import annotations

import pytest

from headwater import exceptions as ex
from headwater import flow, task


def test_prefect_names_and_bases() -> None:
    assert ex.PrefectException is ex.HeadwaterError and ex.PrefectSignal is ex.HeadwaterSignal
    for name in (
        "MissingResult",
        "UpstreamTaskError",
        "FailedRun",
        "CrashedRun",
        "CancelledRun",
        "PausedRun",
        "UnfinishedRun",
        "ObjectNotFound",
        "ObjectAlreadyExists",
        "ParameterTypeError",
        "ParameterBindError",
        "SignatureMismatchError",
        "MissingContextError",
        "MappingLengthMismatch",
        "MappingMissingIterable",
        "FlowRunWaitTimeout",
    ):
        assert issubclass(getattr(ex, name), ex.HeadwaterError), name
    for name in ("Abort", "Pause", "TerminationSignal"):
        kind = getattr(ex, name)
        assert issubclass(kind, BaseException) and not issubclass(kind, Exception), name
    assert issubclass(ex.TerminationSignal, ex.ExternalSignal)
    assert ex.TerminationSignal(15).signal == 15
    assert "ValueError: x" in ex.exception_traceback(_raised(ValueError("x")))


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


@task
def add(x: int, y: int) -> int:
    return x + y


def test_the_engine_raises_them() -> None:
    with pytest.raises(ex.MappingLengthMismatch):
        add.map([1, 2], [3])
    with pytest.raises(ex.MappingMissingIterable):
        add.map(1, 2)

    @flow
    def needs_x(x: int) -> int:
        return x

    with pytest.raises(ex.ParameterBindError):
        needs_x()  # type: ignore[call-arg]
    with pytest.raises(ex.ParameterTypeError):
        needs_x("not a number")  # type: ignore[arg-type]
