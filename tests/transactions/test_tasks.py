"""Tasks in transactions: staged results, commit and rollback hooks, the flow run's
implicit transaction, and cache policies configured for isolation."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from headwater import flow, task
from headwater.cache_policies import INPUTS
from headwater.locking import MemoryLockManager
from headwater.transactions import Transaction, get_transaction, transaction


def test_a_failure_rolls_back_the_tasks_that_finished_last_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    undone: list[str] = []

    @task
    def write(name: str) -> str:
        (out / name).write_text(name)
        txn = get_transaction()
        assert txn is not None
        txn.set("file", name)  # what the rollback hook will remove
        return name

    @write.on_rollback
    def remove(txn: Transaction) -> None:
        undone.append(txn.get("file"))
        (out / txn.get("file")).unlink()

    @task
    def upload(name: str) -> None:
        raise ConnectionError(f"cannot upload {name}")

    @flow
    def pipeline() -> None:
        with transaction():
            write("a")
            with transaction():
                write("b")
            upload("a")

    with pytest.raises(ConnectionError, match="cannot upload a"):
        pipeline()
    assert undone == ["b", "a"]  # b finished last: undone first
    assert list(out.iterdir()) == []


def test_commit_hooks_run_once_the_transaction_commits() -> None:
    events: list[str] = []

    def committed(txn: Transaction) -> None:
        events.append(f"commit:{txn.get('batch')}")

    @task(on_commit=[committed])
    def step(x: int) -> int:
        events.append(f"run:{x}")
        return x

    @flow
    def pipeline() -> None:
        with transaction() as txn:
            txn.set("batch", 7)
            step(1)
            step(2)
            events.append("block ends")

    pipeline()
    assert events == ["run:1", "run:2", "block ends", "commit:7", "commit:7"]


def test_tasks_see_their_transaction() -> None:
    seen: list[object] = []

    @task
    def look() -> None:
        txn = get_transaction()
        seen.append(txn.get("who") if txn is not None else None)

    @flow
    def pipeline() -> None:
        with transaction() as txn:
            txn.set("who", "me")
            look()
            look.submit().result()

    pipeline()
    assert seen == ["me", "me"]


def test_a_plain_flow_rolls_back_its_tasks_when_it_fails() -> None:
    events: list[str] = []

    @task(on_rollback=[lambda txn: events.append("undo a")])
    def a() -> None:
        events.append("a")

    @task
    def b() -> None:
        events.append("b")
        raise ValueError("b failed")

    @task(on_commit=[lambda txn: events.append("commit c")])
    def c() -> None:
        events.append("c")

    @flow
    def failing() -> None:
        a()
        b()

    @flow
    def passing() -> None:
        c()

    assert failing(return_state=True).is_failed()
    assert events == ["a", "b", "undo a"]
    events.clear()
    passing()
    assert events == ["c", "commit c"]


def test_results_are_written_only_when_the_transaction_commits(headwater_home: Path) -> None:
    storage = headwater_home / "results"

    @task(persist_result=True, result_storage=storage, result_storage_key="step-{parameters[x]}")
    def step(x: int) -> int:
        return x * 2

    @flow
    def pipeline(fail: bool) -> None:
        with transaction():
            step(1)
            assert not (storage / "step-1").exists()  # staged, not written
            if fail:
                raise RuntimeError("abort")
        assert (storage / "step-1").exists()

    with pytest.raises(RuntimeError):
        pipeline(True)
    assert not (storage / "step-1").exists()
    pipeline(False)
    assert (storage / "step-1").exists()


def test_a_cached_task_in_a_transaction_is_cached_after_commit(headwater_home: Path) -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    @flow
    def pipeline() -> int:
        with transaction():
            value = square(3)
        return value + square(3)

    assert pipeline() == 18
    assert calls == [3]


def test_a_policy_configured_read_committed_takes_no_lock(tmp_path: Path) -> None:
    locks = MemoryLockManager()
    seen: list[bool] = []
    policy = INPUTS.configure(key_storage=tmp_path / "keys", lock_manager=locks)

    @task(cache_policy=policy)
    def locked(x: int) -> int:
        seen.append(locks.is_locked(next(iter(locks._locks), "")))
        return x

    @task(cache_policy=policy.configure(isolation_level="READ_COMMITTED"))
    def unlocked(x: int) -> int:
        seen.append(bool(locks._locks))
        return x

    @flow
    def pipeline() -> None:
        locked(1)
        unlocked(2)

    pipeline()
    assert seen == [True, False]
    assert len(list((tmp_path / "keys").iterdir())) == 2  # records in key_storage
    with pytest.raises(ValueError, match="isolation_level"):
        INPUTS.configure(isolation_level="SNAPSHOT")
    with pytest.raises(ValueError, match="lock manager"):
        INPUTS.configure(lock_manager="redis")


def test_async_tasks_in_an_async_transaction() -> None:
    import asyncio

    events: list[str] = []

    @task(on_rollback=[lambda txn: events.append(f"undo {txn.get('n')}")])
    async def step(n: int) -> int:
        get_transaction().set("n", n)  # type: ignore[union-attr]
        return n

    @task
    async def fail() -> None:
        raise OSError("disk full")

    @flow
    async def pipeline() -> None:
        async with transaction():
            await step(1)
            async with transaction():
                await step(2)
            await fail()

    with pytest.raises(OSError, match="disk full"):
        asyncio.run(pipeline())
    assert events == ["undo 2", "undo 1"]


def test_a_subflow_in_a_transaction_rolls_back_with_it() -> None:
    events: list[str] = []

    @task(on_rollback=[lambda txn: events.append("undo child step")])
    def child_step() -> None:
        events.append("child step")

    @flow
    def child() -> None:
        child_step()

    @task
    def check() -> None:
        raise ValueError("check failed")

    @flow
    def parent() -> None:
        with transaction():
            child()
            check()

    assert parent(return_state=True).is_failed()
    assert events == ["child step", "undo child step"]


def test_the_run_log_shows_what_rolled_back() -> None:
    from tests.helpers import logs_of

    def remove_draft(txn: Transaction) -> None:
        pass

    @task(on_rollback=[remove_draft])
    def draft() -> None:
        pass

    @task
    def publish() -> None:
        raise ConnectionError("refused")

    @flow
    def pipeline() -> None:
        with transaction(key=None):
            draft()
        try:
            with transaction():
                draft()
                draft()
                publish()
        except ConnectionError:
            pass

    state = pipeline(return_state=True)
    messages = [log.message for log in logs_of(state.state_details.flow_run_id)]
    # a commit is routine: logged at DEBUG only (the run page shows every transaction)
    assert not any("committed" in message for message in messages)
    assert (
        # three task runs ran in it (publish failed), as its record in the store lists
        "Transaction (no key) rolled back (3 task runs, rollback hooks: "
        "remove_draft, remove_draft)" in messages
    )


def test_commits_are_logged_at_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import logs_of

    monkeypatch.setenv("HEADWATER_LOGGING_LEVEL", "DEBUG")

    @task
    def step() -> None:
        pass

    @flow
    def pipeline() -> None:
        with transaction(key=None):
            step()

    state = pipeline(return_state=True)
    messages = [log.message for log in logs_of(state.state_details.flow_run_id)]
    assert "Transaction (no key) committed (1 task runs)" in messages


def test_a_failing_rollback_hook_is_logged_with_its_transaction() -> None:
    from tests.helpers import logs_of

    def undo_upload(txn: Transaction) -> None:
        raise ValueError("bucket gone")

    @task(on_rollback=[undo_upload])
    def upload() -> None:
        pass

    @task
    def announce() -> None:
        raise ConnectionError("refused")

    @flow
    def pipeline() -> None:
        with transaction(key="upload-2024-01-01"):
            upload()
            announce()

    state = pipeline(return_state=True)
    logs = logs_of(state.state_details.flow_run_id)
    (failed,) = [log for log in logs if "undo_upload" in log.message and "raised" in log.message]
    # in the run's log, naming the hook, its task run and the transaction by its key
    # (was "A rollback hook of transaction None raised …", on the module's logger only)
    assert failed.message.startswith("Rollback hook undo_upload of task run ")
    assert failed.message.endswith(
        " in transaction 'upload-2024-01-01' raised ValueError: bucket gone"
    )
    assert failed.level == logging.ERROR


def test_a_flow_runs_rollback_counts_every_task_run_that_took_part() -> None:
    from tests.helpers import logs_of

    def remove_draft(txn: Transaction) -> None:
        pass

    @task(on_rollback=[remove_draft])
    def draft() -> None:
        pass

    @task
    def summarize() -> int:
        return 1

    @task
    def publish() -> None:
        raise ConnectionError("refused")

    @flow
    def pipeline() -> None:
        draft()
        summarize()
        summarize()
        publish()

    state = pipeline(return_state=True)
    messages = [log.message for log in logs_of(state.state_details.flow_run_id)]
    # four task runs ran in the flow run's transaction (was 1: only the one with hooks)
    assert (
        "Transaction of this flow run rolled back (4 task runs, rollback hooks: remove_draft)"
        in messages
    )
