"""Transactions of a flow run, as records for the store (through the batching writer).

A user's transaction inside a flow run is recorded when it opens (``OPEN``) and when
it ends (``COMMITTED`` or ``ROLLED_BACK``); the flow-run attempt's implicit one only
when it ends, and only if tasks with commit or rollback hooks joined it.  A task's
own child transaction (its staged result and hooks) is no record of its own: it is
listed in the transaction it joined, with the hooks it ran.  Each record costs a dict
and a queue append on the flow's thread; the writer's thread stores it with the task
runs' next flush.  What a record holds: ``headwater/schemas/transactions.py``.

To keep a transaction's cost in a task's budget, the flow's thread does little: it
hands the writer one ``Entry`` per transaction (watched while open, queued again once
ended) and the writer's thread builds the record when it next writes.  An open
transaction is only *watched*: at each write the writer records it ``OPEN`` (with its
task runs so far) if it is still open and has changed, so a transaction that opens
and ends between two writes costs one record.  Ids are given on the writer's thread
too.  Hand-off: while an entry's ``outcome`` reads ``OPEN``, the writer reads only
what the transaction fixed when it opened (key, levels, parent, start) and a copy of
its task runs so far; everything else only once ``outcome`` says how it ended, which
the flow's thread sets (after ``ended_at``) once nothing in it changes any more.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from headwater.context import FlowRunContext
from headwater.utilities.ids import new_id
from headwater.utilities.storable import storable_text

if TYPE_CHECKING:
    from headwater.schemas.transactions import HookRecord, TransactionRecord
    from headwater.transactions.transaction import Transaction

_flow_run_context = FlowRunContext.get

#: Nothing (read only: a record's lists are made as it is built).
_NONE: tuple[()] = ()

# The bounds of ``headwater.schemas.transactions`` (not imported: it loads pydantic).
MAX_KEY_CHARS = 500
MAX_TASK_RUN_IDS = 1000
MAX_HOOKS = 500
MAX_HOOK_NAME_CHARS = 200
MAX_HOOK_ERROR_CHARS = 2000


class Entry:
    """A transaction's record to build on the writer's thread (see the module doc)."""

    __slots__ = ("ended_at", "outcome", "seen", "txn")

    def __init__(self, txn: Transaction, outcome: str, ended_at: float | None) -> None:
        self.txn = txn
        self.outcome = outcome
        self.ended_at = ended_at
        #: Task runs in the last ``OPEN`` record built (-1: none built yet).
        self.seen = -1

    @property
    def key(self) -> Any:
        """Entries of one transaction share it (the writer keeps the newest)."""
        return self.txn

    @property
    def flow_run_id(self) -> Any:
        return self.txn.flow_run.flow_run_id  # type: ignore[union-attr]

    def ended(self) -> bool:
        """The transaction has ended (its end's entry is queued)."""
        return self.txn.recorded_end

    def changed(self) -> bool:
        """An ``OPEN`` record built now would say more than the last one."""
        return self.seen != len(self.txn.participants)

    def build(self) -> TransactionRecord | None:
        """The record; None when it read ``OPEN`` while the transaction ended (the
        entry is queued again after that: its next build says it all)."""
        txn = self.txn
        outcome = self.outcome  # read once: the flow's thread may end it meanwhile
        if outcome == "OPEN":
            if txn.recorded_end:
                return None
            self.seen = len(txn.participants)
        return _record(txn, outcome, self.ended_at)


def opened(txn: Transaction) -> None:
    """A user's transaction was entered: remember its flow run, have it watched."""
    run = _flow_run_context()
    if run is None:
        return  # outside any flow run: nothing to show it on
    txn.started = time.time()
    txn.flow_run = run
    txn.attempt = run.run_count
    entry = txn.entry = Entry(txn, "OPEN", None)
    run.backend.writer.watch_transaction(entry)


def implicit_opened(txn: Transaction) -> None:
    """A flow-run attempt's implicit transaction began (recorded only if it ends with
    tasks in it)."""
    txn.started = time.time()
    run = txn.flow_run = _flow_run_context()
    if run is not None:
        txn.attempt = run.run_count


def ended(txn: Transaction) -> None:
    """``txn`` committed or rolled back: record how (once)."""
    run = txn.flow_run
    if run is None or txn.recorded_end:
        return
    if txn.implicit and not txn._children:
        return
    outcome = "COMMITTED" if txn.is_committed() else "ROLLED_BACK"
    entry = txn.entry
    if entry is None:  # an implicit transaction: never watched
        entry = Entry(txn, outcome, time.time())
    else:  # the watched entry says how it ended (``ended_at`` first: see the module doc)
        entry.ended_at = time.time()
        entry.outcome = outcome
    txn.recorded_end = True
    # The entry points at the transaction, not back: once the writer is done with it,
    # both go as soon as nothing else holds them (as a cycle, only the garbage
    # collector would free them, and its full passes cost far more than the record).
    txn.entry = None
    run.backend.writer.put_transaction(entry)


def note_hook(txn: Transaction, hook: Any, kind: str, error: BaseException | None) -> None:
    """A commit or rollback hook of ``txn`` ran (``error``: what it raised)."""
    ran = txn.hooks_ran
    if ran is None:
        ran = txn.hooks_ran = []
    ran.append((hook, kind, error))


def _record(txn: Transaction, outcome: str, end_time: float | None) -> TransactionRecord:
    run = txn.flow_run
    assert run is not None
    parent = txn._parent
    key = txn.key
    if key is not None and (len(key) > MAX_KEY_CHARS or not key.isprintable()):
        key = storable_text(key)[:MAX_KEY_CHARS]
    task_run_ids: list[Any] = _NONE  # type: ignore[assignment]
    ran: list[tuple[Any, str, Any, Any]] = _NONE  # type: ignore[assignment]
    failed = 0
    if outcome == "OPEN":
        if txn.participants:  # the task runs so far (a copy: tasks may still finish)
            task_run_ids = list(dict.fromkeys(list(txn.participants)))
    else:
        children = txn._children
        if children:
            task_run_ids = _task_runs(txn)
            ran = _hooks_ran(txn, outcome)
        else:
            ids = txn.participants
            task_run_ids = ids if len(ids) < 2 else list(dict.fromkeys(ids))  # each once
            if txn.hooks_ran:
                ran = _hooks_ran(txn, outcome)
        if ran:
            failed = sum(1 for entry in ran if entry[2] is not None)
    isolation, mode = txn.isolation_level, txn.commit_mode
    return {
        "id": txn.id or _give_id(txn),
        "flow_run_id": run.flow_run_id,
        "parent_id": (parent.id or _give_id(parent))
        if parent is not None and not parent.implicit
        else None,
        "key": key,
        "implicit": txn.implicit,
        "isolation_level": isolation._value_ if isolation is not None else "READ_COMMITTED",
        "commit_mode": mode._value_ if mode is not None else "LAZY",
        "outcome": outcome,
        "reused": txn.reused,
        "flow_run_attempt": txn.attempt or 1,  # as it opened (a retry may have begun)
        "start_time": txn.started,
        "end_time": end_time,
        # As text: JSON encodes text several times faster than it calls back for UUIDs.
        "task_run_ids": [str(task_run_ids[0])]
        if len(task_run_ids) == 1
        else list(map(str, task_run_ids[:MAX_TASK_RUN_IDS])),
        "task_count": max(len(task_run_ids), txn.finished_in),  # implicit: all counted
        "hooks": [_hook_record(*entry) for entry in _shown(ran)] if ran else [],
        "hook_count": len(ran),
        "failed_hook_count": failed,
    }


def _give_id(txn: Transaction) -> Any:
    """A transaction's id in the store, given when first needed (on the writer's
    thread)."""
    txn.id = new_id()
    return txn.id


def _task_runs(txn: Transaction) -> list[Any]:
    """The task runs that ran in ``txn`` (in the order they finished), then those that
    joined it with hooks or a staged result; each once."""
    ids = dict.fromkeys(txn.participants)
    for child in txn._children:
        if child.task_run_id is not None:
            ids[child.task_run_id] = None
    return list(ids)


def _hooks_ran(txn: Transaction, outcome: str) -> list[tuple[Any, str, Any, Any]]:
    """The hooks that ran for ``txn`` and the task runs that joined it, in the order
    they ran: on commit the tasks' first, on rollback its own first, then the tasks'
    (the last finished first)."""
    own = [(hook, kind, error, None) for hook, kind, error in txn.hooks_ran or ()]
    tasks: list[tuple[Any, str, Any, Any]] = []
    children = txn._children if outcome == "COMMITTED" else reversed(txn._children)
    for child in children:
        if child.task_run_id is not None and child.hooks_ran:
            tasks.extend((h, k, e, child.task_run_id) for h, k, e in child.hooks_ran)
    return tasks + own if outcome == "COMMITTED" else own + tasks


def _shown(ran: list[tuple[Any, str, Any, Any]]) -> list[tuple[Any, str, Any, Any]]:
    """At most ``MAX_HOOKS`` of the hooks that ran, in order: every failed one that
    fits, then the first that succeeded."""
    if len(ran) <= MAX_HOOKS:
        return ran
    failed = [i for i, entry in enumerate(ran) if entry[2] is not None][:MAX_HOOKS]
    ok = [i for i, entry in enumerate(ran) if entry[2] is None][: MAX_HOOKS - len(failed)]
    return [ran[i] for i in sorted(failed + ok)]


def _hook_record(hook: Any, kind: str, error: BaseException | None, task_run_id: Any) -> HookRecord:
    name = getattr(hook, "__qualname__", None) or getattr(hook, "__name__", None) or repr(hook)
    if "<locals>." in name:
        name = name.rsplit("<locals>.", 1)[1]
    return {
        "name": _text(str(name), MAX_HOOK_NAME_CHARS),
        "kind": kind,
        "ok": error is None,
        "error": None if error is None else _text(_describe(error), MAX_HOOK_ERROR_CHARS),
        "task_run_id": None if task_run_id is None else str(task_run_id),
    }


def _describe(error: BaseException) -> str:
    try:
        message = str(error)
    except Exception:  # a broken __str__ must not break the record
        message = "(unprintable)"
    name = type(error).__name__
    return f"{name}: {message}" if message else name


def _text(text: str, size: int) -> str:
    text = storable_text(text)
    return text if len(text) <= size else text[: size - 1] + "…"
