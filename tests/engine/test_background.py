"""Background task runs in this process: submitting (``delay``), the stored
parameters (in the row, or in result storage when large), the handle, and a task
worker run in a thread on the embedded store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from headwater import task
from headwater.engine.background import (
    INLINE_PARAMETERS_BYTES,
    decode_parameters,
    encode_parameters,
)
from headwater.exceptions import InvalidOptionError, MissingResult, UserInputError
from headwater.task_worker import TaskWorker


@task
def concat(text: str, times: int = 1) -> str:
    return text * times


@task
def broken(x: int) -> int:
    raise ValueError(f"no good: {x}")


@task(persist_result=False)
def forgetful() -> int:
    return 1


@pytest.fixture
def worker() -> Iterator[TaskWorker]:
    made = TaskWorker(concat, broken, forgetful, limit=2)
    thread = threading.Thread(target=made.run, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        made.stop()
        thread.join(30)
        assert not thread.is_alive()


def test_a_bad_call_fails_at_delay() -> None:
    with pytest.raises(TypeError, match="concat"):
        concat.delay(1, 2, 3)
    with pytest.raises(InvalidOptionError, match="wait_for"):
        concat.apply_async(("a",), wait_for=[object()])


def test_small_parameters_stay_in_the_row_and_large_ones_go_to_storage() -> None:
    import uuid

    small = encode_parameters(concat, uuid.uuid4(), {"text": "x", "times": 2})
    assert set(small) == {"inline", "serializer"}
    assert decode_parameters(small) == {"text": "x", "times": 2}
    big_text = "y" * (INLINE_PARAMETERS_BYTES + 10)
    big = encode_parameters(concat, uuid.uuid4(), {"text": big_text})
    assert big["key"].startswith("parameters/") and "inline" not in big
    assert decode_parameters(big) == {"text": big_text}
    with pytest.raises(MissingResult):
        decode_parameters({"inline": "bm90IGEgcmVzdWx0", "serializer": "pickle"})


def test_unpicklable_parameters_are_one_line() -> None:
    with pytest.raises(TypeError, match="cannot be serialized"):
        concat.delay(threading.Lock())


def test_the_handle_waits_for_a_worker(worker: TaskWorker) -> None:
    handle = concat.delay("ab", times=2)
    assert handle.result(timeout=30) == "abab"
    assert handle.state.is_completed() and handle.done()
    big = concat.delay("z" * (INLINE_PARAMETERS_BYTES + 1))
    assert big.result(timeout=30) == "z" * (INLINE_PARAMETERS_BYTES + 1)
    failed = broken.delay(3)
    with pytest.raises(Exception, match="no good: 3"):
        failed.result(timeout=30)
    assert failed.state.is_failed()
    assert isinstance(failed.result(timeout=1, raise_on_failure=False), Exception)
    with pytest.raises(MissingResult):
        forgetful.delay().result(timeout=30)


def test_result_times_out_without_a_worker() -> None:
    handle = concat.delay("a")
    began = time.monotonic()
    with pytest.raises(TimeoutError, match="is a task worker serving its task running"):
        handle.result(timeout=0.3)
    assert time.monotonic() - began < 5
    assert handle.state.is_scheduled()


def test_serve_with_a_timeout_runs_then_returns() -> None:
    from headwater.task_worker import serve

    handle = concat.delay("q", times=3)
    began = time.monotonic()
    serve(concat, limit=1, timeout=1.5)
    assert time.monotonic() - began < 30
    assert handle.result(timeout=5) == "qqq"


def test_a_worker_checks_what_it_serves() -> None:
    with pytest.raises(UserInputError, match="at least one task"):
        TaskWorker()
    with pytest.raises(UserInputError, match="@task"):
        TaskWorker(len)  # type: ignore[arg-type]
    with pytest.raises(UserInputError, match="limit"):
        TaskWorker(concat, limit=0)
