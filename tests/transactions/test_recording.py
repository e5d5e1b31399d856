"""A flow run's transactions are recorded in the store (embedded SQLite and PostgreSQL):
how each ended, its task runs, nesting, the hooks that ran (failures with their
error); one left open by a killed process reads as DISCARDED once the run crashed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from headwater import flow, task
from headwater.client import get_client
from headwater.client.writer import flush_all
from headwater.context import FlowRunContext
from headwater.schemas.transactions import RunTransaction
from headwater.transactions import transaction


def remove_file(txn: Any) -> None:
    pass


def notify_ops(txn: Any) -> None:
    raise ConnectionError("ops channel down")


def mark_done(txn: Any) -> None:
    pass


@task(on_rollback=[remove_file, notify_ops], on_commit=[mark_done])
def write_file(name: str) -> str:
    return name


@task
def upload(name: str) -> str:
    raise OSError(f"upload of {name} refused")


@task
def summarize(x: int) -> int:
    return x


def _transactions(run_id: UUID) -> list[RunTransaction]:
    assert flush_all(30)
    return get_client().read_transactions(run_id)


def _task_names(run_id: UUID) -> dict[UUID, str]:
    from headwater.schemas.filters import TaskRunFilter

    runs = get_client().read_task_runs(task_run_filter=TaskRunFilter(flow_run_ids=[run_id]))
    return {tr.id: tr.name.rsplit("-", 1)[0] for tr in runs}


def test_committed_rolled_back_nested_and_implicit_transactions(database_url: str) -> None:
    @flow
    def publish() -> UUID:
        with transaction(key="report-2024-01-01", isolation_level="READ_COMMITTED"):
            write_file("report.csv")
            with transaction(key="summary"):
                summarize(1)
        try:
            with transaction(key="upload-2024-01-01"):
                write_file("upload.csv")
                upload("upload.csv")
        except OSError:
            pass
        write_file("plain.csv")  # joins the flow run's implicit transaction
        ctx = FlowRunContext.get()
        assert ctx is not None
        return ctx.flow_run_id

    run_id = publish()
    found = _transactions(run_id)
    names = _task_names(run_id)
    by_key = {t.key: t for t in found}
    assert set(by_key) == {None, "report-2024-01-01", "summary", "upload-2024-01-01"}
    assert [t.start_time for t in found] == sorted(t.start_time for t in found)

    report, summary = by_key["report-2024-01-01"], by_key["summary"]
    assert report.outcome == "COMMITTED" and report.parent_id is None
    assert report.isolation_level == "READ_COMMITTED" and report.commit_mode == "LAZY"
    assert [names[i] for i in report.task_run_ids] == ["write_file"]
    assert [(h.name, h.kind, h.ok) for h in report.hooks] == [("mark_done", "commit", True)]
    assert report.hooks[0].task_run_id == report.task_run_ids[0]
    assert summary.outcome == "COMMITTED" and summary.parent_id == report.id
    assert [names[i] for i in summary.task_run_ids] == ["summarize"]
    assert report.end_time is not None and summary.end_time is not None
    assert report.start_time <= summary.start_time <= summary.end_time <= report.end_time

    failed = by_key["upload-2024-01-01"]
    assert failed.outcome == "ROLLED_BACK"
    assert [names[i] for i in failed.task_run_ids] == ["write_file", "upload"]
    assert failed.task_count == 2
    # Rollback hooks run last registered first; the failed one is kept with its error.
    assert [(h.name, h.ok, h.error) for h in failed.hooks] == [
        ("notify_ops", False, "ConnectionError: ops channel down"),
        ("remove_file", True, None),
    ]
    assert failed.hook_count == 2 and failed.failed_hook_count == 1

    implicit = by_key[None]
    assert implicit.implicit and implicit.outcome == "COMMITTED"
    assert [names[i] for i in implicit.task_run_ids] == ["write_file"]
    assert [h.name for h in implicit.hooks] == ["mark_done"]


def test_a_key_committed_before_is_recorded_as_reused(database_url: str) -> None:
    calls: list[int] = []

    @flow
    def idempotent(storage: str) -> UUID:
        from headwater.results import ResultStore

        with transaction(key="daily-load", store=ResultStore(result_storage=storage)) as txn:
            if not txn.is_committed():
                calls.append(summarize(1))
                txn.stage(1)
        ctx = FlowRunContext.get()
        assert ctx is not None
        return ctx.flow_run_id

    storage = str(Path(os.environ["HEADWATER_HOME"]) / "results")
    first, second = idempotent(storage), idempotent(storage)
    assert calls == [1]
    (done,) = _transactions(first)
    (again,) = _transactions(second)
    assert (done.outcome, done.reused, done.task_count) == ("COMMITTED", False, 1)
    assert (again.outcome, again.reused, again.task_count) == ("COMMITTED", True, 0)


def test_each_attempt_of_a_retried_flow_run_records_its_own(database_url: str) -> None:
    attempts: list[int] = []

    @flow(retries=1)
    def flaky() -> UUID:
        ctx = FlowRunContext.get()
        assert ctx is not None
        attempts.append(1)
        with transaction(key="flaky-step"):
            summarize(len(attempts))
            if len(attempts) == 1:
                raise RuntimeError("first attempt fails")
        return ctx.flow_run_id

    run_id = flaky()
    found = _transactions(run_id)
    assert [(t.flow_run_attempt, t.outcome) for t in found] == [
        (1, "ROLLED_BACK"),
        (2, "COMMITTED"),
    ]


def test_a_flow_run_without_transactions_records_none(database_url: str) -> None:
    @flow
    def plain() -> UUID:
        summarize(1)
        with transaction():  # outside-of-flow-run use elsewhere is not recorded; this is
            pass
        ctx = FlowRunContext.get()
        assert ctx is not None
        return ctx.flow_run_id

    with transaction(key="outside-any-run"):  # no flow run: nothing to record it on
        pass
    found = _transactions(plain())
    assert [(t.key, t.outcome, t.task_count) for t in found] == [(None, "COMMITTED", 0)]


KILLED = textwrap.dedent(
    """
    import sys, time
    from headwater import flow, task
    from headwater.context import FlowRunContext
    from headwater.transactions import transaction

    @task(persist_result=True)
    def stage_it() -> int:
        return 7

    @flow
    def killed() -> None:
        print(FlowRunContext.get().flow_run_id, flush=True)
        with transaction(key="never-ends"):
            stage_it()
            time.sleep(120)

    killed()
    """
)


@pytest.mark.timeout(120)
def test_a_transaction_killed_mid_way_reads_discarded(database_url: str, tmp_path: Path) -> None:
    from headwater.states import Crashed

    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        run_id = UUID(proc.stdout.readline().strip())
        client = get_client()
        deadline = time.monotonic() + 60
        while (
            not client.read_transactions(run_id)
            or not client.read_transactions(run_id)[0].task_count
        ):
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (open_one,) = client.read_transactions(run_id)
        assert (open_one.key, open_one.outcome, open_one.end_time) == ("never-ends", "OPEN", None)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    # What the zombie detector does to a run whose process died:
    assert client.set_flow_run_state(run_id, Crashed(message="process killed")).accepted
    (discarded,) = client.read_transactions(run_id)
    assert discarded.outcome == "DISCARDED" and discarded.task_count == 1


def test_a_recorded_transaction_leaves_no_garbage_cycle() -> None:
    """Once written, a flow run's transaction is freed as soon as nothing holds it: a
    transaction and its record used to point at each other, so each one waited for
    the garbage collector's full passes (which cost a task around every task more
    than the record itself)."""
    import gc

    @flow
    def each() -> None:
        for i in range(50):
            with transaction():
                summarize(i)

    each()  # warm up: imports, the store
    assert flush_all(30)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        each()
        assert flush_all(30)
        gc.collect()
        cyclic = [o for o in gc.garbage if type(o).__name__ in ("Transaction", "Entry")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cyclic == []
