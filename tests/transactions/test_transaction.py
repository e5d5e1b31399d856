"""The Transaction object on its own: states, nesting, values, hooks, keys."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from headwater.locking import MemoryLockManager
from headwater.results import ResultStore
from headwater.transactions import (
    CommitMode,
    IsolationLevel,
    Transaction,
    TransactionState,
    get_transaction,
    transaction,
)


def test_a_transaction_commits_when_its_block_ends() -> None:
    assert get_transaction() is None
    with transaction() as txn:
        assert isinstance(txn, Transaction)
        assert get_transaction() is txn and txn.is_active()
        assert txn.commit_mode is CommitMode.LAZY
        assert txn.isolation_level is IsolationLevel.READ_COMMITTED
    assert txn.is_committed() and get_transaction() is None


def test_pending_until_entered_and_entered_once() -> None:
    txn = transaction()
    assert txn.is_pending() and txn.state is TransactionState.PENDING
    with txn:
        pass
    with pytest.raises(RuntimeError, match="entered once"), txn:
        pass


def test_an_error_rolls_back_and_is_raised() -> None:
    undone: list[str] = []
    with pytest.raises(KeyError), transaction() as txn:
        txn.stage("x", on_rollback_hooks=[lambda t: undone.append("undo")])
        assert txn.is_staged()
        raise KeyError("boom")
    assert txn.is_rolled_back() and undone == ["undo"]


def test_a_child_sees_its_parents_values_and_not_the_other_way() -> None:
    with transaction() as parent:
        parent.set("path", "/tmp/x")
        with transaction() as child:
            assert child.get("path") == "/tmp/x"
            child.set("only-child", 1)
            child.set("path", "/tmp/y")
            assert child.get("path") == "/tmp/y"
            assert child.get_parent() is parent
        assert parent.get("only-child", None) is None
        with pytest.raises(ValueError, match="only-child"):
            parent.get("only-child")


def test_a_child_commits_with_its_parent() -> None:
    events: list[str] = []
    with transaction() as parent:
        with transaction() as child:
            child.stage(1, on_commit_hooks=[lambda t: events.append("child")])
        assert child.is_staged() and events == []
        parent.stage(2, on_commit_hooks=[lambda t: events.append("parent")])
    assert events == ["child", "parent"]
    assert child.is_committed() and parent.is_committed()


def test_eager_children_commit_when_they_close() -> None:
    events: list[str] = []
    with transaction(commit_mode=CommitMode.EAGER):
        with transaction() as child:  # inherits EAGER
            child.stage(1, on_commit_hooks=[lambda t: events.append("child")])
        assert child.is_committed() and events == ["child"]


def test_commit_mode_off_rolls_back_at_the_top() -> None:
    events: list[str] = []
    with transaction(commit_mode="OFF") as txn:
        txn.stage(1, on_rollback_hooks=[lambda t: events.append("undo")])
    assert txn.is_rolled_back() and events == ["undo"]


def test_a_parents_rollback_rolls_back_children_last_first() -> None:
    order: list[str] = []
    with pytest.raises(RuntimeError), transaction() as outer:
        for name in ("a", "b"):
            with transaction() as child:
                child.stage(name, on_rollback_hooks=[lambda t, n=name: order.append(n)])
        with transaction() as inner:
            with transaction() as grandchild:
                grandchild.stage("c", on_rollback_hooks=[lambda t: order.append("c")])
            inner.stage("i", on_rollback_hooks=[lambda t: order.append("inner")])
        outer.stage("o", on_rollback_hooks=[lambda t: order.append("outer")])
        raise RuntimeError("later step failed")
    assert order == ["outer", "inner", "c", "b", "a"]
    assert all(t.is_rolled_back() for t in (outer, inner, grandchild, child))


def test_a_failing_rollback_hook_does_not_stop_the_others() -> None:
    order: list[str] = []

    def broken(txn: Transaction) -> None:
        raise OSError("cannot undo")

    with pytest.raises(ValueError), transaction() as txn:
        txn.stage(1, on_rollback_hooks=[lambda t: order.append("first"), broken])
        raise ValueError
    assert order == ["first"] and txn.is_rolled_back()


def test_a_failing_commit_hook_rolls_back() -> None:
    order: list[str] = []

    def broken(txn: Transaction) -> None:
        raise OSError("cannot commit")

    with transaction() as txn:
        txn.stage(1, on_commit_hooks=[broken], on_rollback_hooks=[lambda t: order.append("undo")])
    assert txn.is_rolled_back() and order == ["undo"]


def test_hooks_see_their_transaction() -> None:
    seen: list[object] = []
    with transaction() as txn:
        txn.stage(1, on_commit_hooks=[lambda t: seen.append(get_transaction() is t)])
    assert seen == [True]


def test_hook_lists_and_children_are_lists_to_add_to() -> None:
    """Made on first use, they still read and take additions as lists."""
    events: list[str] = []
    with transaction() as parent:
        assert parent.children == [] and parent.on_commit_hooks == []
        parent.on_commit_hooks.append(lambda t: events.append("appended"))
        parent.stage(None, on_commit_hooks=[lambda t: events.append("staged")])
        with transaction() as child:
            child.on_rollback_hooks = [lambda t: events.append("undone")]
        assert parent.children == [child]
    assert events == ["appended", "staged"]
    parent.rollback()  # already committed: nothing runs
    assert events == ["appended", "staged"]


def test_a_keyed_transaction_is_done_once(tmp_path: Path) -> None:
    store = ResultStore(result_storage=tmp_path / "results")
    runs = 0
    for _ in range(2):
        with transaction(key="load-2024-01-01", store=store) as txn:
            if not txn.is_committed():
                runs += 1
                txn.stage({"rows": 10})
    assert runs == 1
    assert txn.is_committed() and txn.read().result == {"rows": 10}
    with transaction(key="load-2024-01-01", store=store, overwrite=True) as again:
        assert not again.is_committed()
        again.stage({"rows": 11})
    assert store.read("load-2024-01-01").result == {"rows": 11}


def test_a_keyed_transaction_writes_nothing_when_rolled_back(tmp_path: Path) -> None:
    store = ResultStore(result_storage=tmp_path / "results")
    with pytest.raises(ValueError), transaction(key="k", store=store) as txn:
        txn.stage("half-done")
        raise ValueError
    assert not store.exists("k")


def test_a_keyed_transaction_defaults_to_the_result_storage(headwater_home: Path) -> None:
    with transaction(key="default-store") as txn:
        txn.stage(5)
    assert (headwater_home / "storage" / "default-store").exists()
    with transaction(key="default-store") as txn:
        assert txn.is_committed() and txn.read().result == 5
    # The default store locks with files next to a local storage.
    with transaction(key="locked", isolation_level="SERIALIZABLE") as txn:
        assert txn.store.is_lock_holder("locked", txn.holder)
        assert (headwater_home / "storage" / ".locks" / "locked.lock").exists()
        txn.stage(6)
    assert not txn.store.is_locked("locked")


def test_serializable_needs_a_lock_manager(tmp_path: Path) -> None:
    store = ResultStore(result_storage=tmp_path)
    txn = transaction(key="k", store=store, isolation_level="SERIALIZABLE")
    with pytest.raises(ValueError, match="lock_manager"), txn:
        pass
    with pytest.raises(ValueError, match="isolation_level must be one of"):
        transaction(isolation_level="SNAPSHOT")


def test_serializable_holds_the_key_for_the_transactions_life(tmp_path: Path) -> None:
    locks = MemoryLockManager()
    store = ResultStore(result_storage=tmp_path, lock_manager=locks)
    with transaction(key="k", store=store, isolation_level=IsolationLevel.SERIALIZABLE) as txn:
        assert locks.is_locked("k") and store.is_lock_holder("k", txn.holder)
        txn.stage(1)
    assert not locks.is_locked("k")
    with (
        pytest.raises(ValueError),
        transaction(key="k2", store=store, isolation_level="SERIALIZABLE"),
    ):
        raise ValueError
    assert not locks.is_locked("k2")


def test_async_transactions(tmp_path: Path) -> None:
    store = ResultStore(result_storage=tmp_path, lock_manager=MemoryLockManager())
    events: list[str] = []

    async def main() -> None:
        async with transaction(key="a", store=store, isolation_level="SERIALIZABLE") as txn:
            assert get_transaction() is txn
            async with transaction() as child:
                assert child.get_parent() is txn
                child.stage(1, on_commit_hooks=[lambda t: events.append("child")])
            txn.stage("v")
        assert get_transaction() is None
        with pytest.raises(LookupError):
            async with transaction() as failing:
                failing.stage(2, on_rollback_hooks=[lambda t: events.append("undo")])
                raise LookupError

    asyncio.run(main())
    assert events == ["child", "undo"]
    assert store.read("a").result == "v"


def test_a_list_taken_from_a_transaction_before_it_grows_stays_its_own() -> None:
    def first(txn: Any) -> None: ...

    def second(txn: Any) -> None: ...

    with transaction() as txn:
        hooks, rollbacks, children = txn.on_commit_hooks, txn.on_rollback_hooks, txn.children
        txn.add_hooks([first], [first])
        with transaction() as child:
            pass
        hooks.append(second)
        rollbacks.append(second)
        assert txn.on_commit_hooks == [first, second]
        assert txn.on_rollback_hooks == [first, second]
        assert children == [child] and txn.children is children
