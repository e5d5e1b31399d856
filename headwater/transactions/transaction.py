"""The ``Transaction`` object and its life: begin, stage, commit or roll back.

A transaction opened inside another is its child: it hands its commit to the parent
(``CommitMode.LAZY``, the default) and the parent's rollback rolls it back too, the
last finished child first.  ``CommitMode.EAGER`` commits a child as it closes;
``CommitMode.OFF`` never commits (a top-level one rolls back as it closes).

With a ``key``, a transaction is a unit of work done at most once: its commit
writes a record under the key in its ``store``, and a later transaction with the
same key finds it and starts committed (``is_committed()`` is True on entry), in any
process.  ``IsolationLevel.SERIALIZABLE`` also takes the store's lock on the key for
the transaction's life, so two processes never do the same key's work at once.

Each flow-run attempt runs inside an *implicit* transaction (``implicit=True``, see
``implicit``): the tasks that finish in it join it (their ``on_commit`` hooks run when
the attempt completes, their ``on_rollback`` hooks, last first, when it fails).  It
owns hooks, not durability: a transaction opened directly inside it commits when it
closes, and task results outside user transactions are written as the task finishes
(so caching and re-running a failed flow run from where it failed work as before).

Inside a flow run, transactions are recorded in the store as they open and end (see
``recording``): the flow-run page shows them with their task runs and hooks.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import itertools
import logging
import os
import socket
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from headwater.transactions import recording, reporting

if TYPE_CHECKING:
    from uuid import UUID

    from headwater.context import FlowRunContext

logger = logging.getLogger("headwater.transactions")

_NOT_SET: Any = object()


class IsolationLevel(str, enum.Enum):
    READ_COMMITTED = "READ_COMMITTED"
    SERIALIZABLE = "SERIALIZABLE"


class CommitMode(str, enum.Enum):
    EAGER = "EAGER"
    LAZY = "LAZY"
    OFF = "OFF"


class TransactionState(str, enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    STAGED = "STAGED"
    COMMITTED = "COMMITTED"
    ROLLED_BACK = "ROLLED_BACK"


# Module constants: a global read is faster than an enum class's attribute.
_PENDING = TransactionState.PENDING
_ACTIVE = TransactionState.ACTIVE
_STAGED = TransactionState.STAGED
_COMMITTED = TransactionState.COMMITTED
_ROLLED_BACK = TransactionState.ROLLED_BACK
_LAZY = CommitMode.LAZY
_EAGER = CommitMode.EAGER
_OFF = CommitMode.OFF
_READ_COMMITTED = IsolationLevel.READ_COMMITTED

_current: ContextVar[Transaction | None] = ContextVar("headwater_transaction", default=None)


def get_transaction() -> Transaction | None:
    """The innermost open transaction (in a task, a hook, or a ``with`` block)."""
    return _current.get()


_serials = itertools.count(1)


def _holder() -> str:
    """A holder name unique to one transaction (two transactions of one thread, or
    of two asyncio tasks, never pass for each other)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{next(_serials)}"


def _check(value: Any, kind: type[enum.Enum], name: str) -> Any:
    if value is None or isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(member.name for member in kind)
        raise ValueError(f"{name} must be one of {names}, got {value!r}") from None


class Transaction:
    """One transaction; make it with ``transaction(...)`` (see the module doc)."""

    # Its record in the store (see ``recording``), set when there is one: its id there,
    # the flow run and its attempt, when it opened, the hooks that ran, whether its key
    # was committed already, whether its end was recorded.  Class-level defaults: a
    # task's child transaction sets none of them.
    id: UUID | None = None
    flow_run: FlowRunContext | None = None
    started: float = 0.0
    attempt: int = 1
    hooks_ran: list[tuple[Any, str, BaseException | None]] | None = None
    reused: bool = False
    recorded_end: bool = False
    entry: recording.Entry | None = None
    #: Task runs that finished in a flow run's implicit transaction (a user's lists
    #: them in ``participants``; the implicit one only counts them).
    finished_in: int = 0
    # Lists made on first use (most transactions need none of them; each list would
    # be one more object for the garbage collector to track while the writer holds
    # the transaction): read as empty tuples until then.  ``children`` and the hook
    # lists are public as lists (properties below).
    #: The task runs that finished in it (listed with it in the store).
    participants: list[Any] = ()  # type: ignore[assignment]
    # Made on first use; once made, a list stays (a caller may hold it).
    _children: list[Transaction] = ()  # type: ignore[assignment]
    _on_commit: list[Callable[[Transaction], Any]] = ()  # type: ignore[assignment]
    _on_rollback: list[Callable[[Transaction], Any]] = ()  # type: ignore[assignment]
    _values: dict[str, Any] | None = None

    def __init__(
        self,
        key: str | None = None,
        store: Any = None,
        commit_mode: CommitMode | str | None = None,
        isolation_level: IsolationLevel | str | None = None,
        overwrite: bool = False,
        write_on_commit: bool = True,
        logger: logging.Logger | logging.LoggerAdapter | None = None,
        *,
        implicit: bool = False,
    ) -> None:
        if key is not None and (not isinstance(key, str) or not key):
            raise ValueError(f"a transaction key must be a non-empty string, got {key!r}")
        self.key = key
        self.store = store
        self.commit_mode: CommitMode | None = (
            None if commit_mode is None else _check(commit_mode, CommitMode, "commit_mode")
        )
        self.isolation_level: IsolationLevel | None = (
            None
            if isolation_level is None
            else _check(isolation_level, IsolationLevel, "isolation_level")
        )
        self.overwrite = overwrite
        self.write_on_commit = write_on_commit
        self.logger = logger
        self.implicit = implicit
        self.state = _PENDING
        self.holder: str | None = None
        #: The task run this transaction stands for (a task that joined its parent).
        self.task_run_id: Any = None
        self._staged_value: Any = None
        self._expiration: float | None = None
        self._parent: Transaction | None = None
        self._token: Token[Transaction | None] | None = None
        self._locked = False

    # -- states ---------------------------------------------------------------------
    def is_pending(self) -> bool:
        return self.state is _PENDING

    def is_active(self) -> bool:
        return self.state is _ACTIVE

    def is_staged(self) -> bool:
        return self.state is _STAGED

    def is_committed(self) -> bool:
        return self.state is _COMMITTED

    def is_rolled_back(self) -> bool:
        return self.state is _ROLLED_BACK

    # -- values shared with nested transactions, tasks and hooks --------------------
    def set(self, name: str, value: Any) -> None:
        """Keep ``value`` under ``name``: this transaction and its children see it."""
        if self._values is None:
            self._values = {}
        self._values[name] = value

    def get(self, name: str, default: Any = _NOT_SET) -> Any:
        """The value set under ``name`` here or in an enclosing transaction (the
        nearest wins); ``default`` if none; ``ValueError`` without a default."""
        txn: Transaction | None = self
        while txn is not None:
            values = txn._values
            if values is not None:
                value = values.get(name, _NOT_SET)
                if value is not _NOT_SET:
                    return value
            txn = txn._parent
        if default is _NOT_SET:
            raise ValueError(f"no value is set under {name!r} in this transaction")
        return default

    def get_parent(self) -> Transaction | None:
        return self._parent

    def add_child(self, child: Transaction) -> None:
        child._parent = child._parent or self
        if isinstance(self._children, list):
            self._children.append(child)
        else:
            self._children = [child]

    def note_task_run(self, task_run_id: Any) -> None:
        """A task run finished in this transaction: listed with it (a flow run's
        implicit one only counts its task runs)."""
        if self.implicit:
            self.finished_in += 1
        elif self.participants:
            self.participants.append(task_run_id)
        else:
            self.participants = [task_run_id]

    @property
    def children(self) -> list[Transaction]:
        """The transactions that closed inside this one (and tasks that joined it)."""
        if not isinstance(self._children, list):
            self._children = []
        return self._children

    @property
    def on_commit_hooks(self) -> list[Callable[[Transaction], Any]]:
        if not isinstance(self._on_commit, list):
            self._on_commit = []
        return self._on_commit

    @on_commit_hooks.setter
    def on_commit_hooks(self, hooks: list[Callable[[Transaction], Any]]) -> None:
        self._on_commit = list(hooks)

    @property
    def on_rollback_hooks(self) -> list[Callable[[Transaction], Any]]:
        if not isinstance(self._on_rollback, list):
            self._on_rollback = []
        return self._on_rollback

    @on_rollback_hooks.setter
    def on_rollback_hooks(self, hooks: list[Callable[[Transaction], Any]]) -> None:
        self._on_rollback = list(hooks)

    def add_hooks(
        self,
        on_commit: list[Callable[[Transaction], Any]] | None,
        on_rollback: list[Callable[[Transaction], Any]] | None,
    ) -> None:
        """Hooks to run when this transaction commits, and when it rolls back."""
        if on_commit:
            if isinstance(self._on_commit, list):
                self._on_commit.extend(on_commit)
            else:
                self._on_commit = list(on_commit)
        if on_rollback:
            if isinstance(self._on_rollback, list):
                self._on_rollback.extend(on_rollback)
            else:
                self._on_rollback = list(on_rollback)

    # -- the life of a transaction ---------------------------------------------------
    def __enter__(self) -> Transaction:
        self._open()
        if self.key is not None:  # nothing to lock or look up without one
            self.begin()
        self._token = _current.set(self)
        recording.opened(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        token = self._token
        if token is None:
            raise RuntimeError("this transaction was not entered")
        try:
            parent = self._parent
            if exc_type is None and (parent is None or parent.implicit):
                # The usual case, without ``_close``'s call: a transaction at the top
                # of its flow run (or of none) commits itself.
                if self.commit_mode is _OFF:
                    self.rollback()
                else:
                    self.commit()
            else:
                self._close(exc_type is not None)
        finally:
            _current.reset(token)
            self._token = None

    async def __aenter__(self) -> Transaction:
        self._open()
        if self._needs_lock():
            await asyncio.to_thread(self.begin)
        else:
            self.begin()
        self._token = _current.set(self)
        recording.opened(self)
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        token = self._token
        if token is None:
            raise RuntimeError("this transaction was not entered")
        try:
            await asyncio.to_thread(self._close, exc_type is not None)
        finally:
            _current.reset(token)
            self._token = None

    def _open(self) -> None:
        if self.state is not _PENDING or self._token is not None:
            raise RuntimeError("a transaction can be entered once")
        parent = _current.get()
        self._parent = parent
        if self.logger is None and parent is not None:
            self.logger = parent.logger
        if self.commit_mode is None:
            inherit = parent is not None and not parent.implicit
            self.commit_mode = parent.commit_mode if inherit else _LAZY  # type: ignore[union-attr]
        if self.isolation_level is None:
            self.isolation_level = (
                parent.isolation_level
                if parent is not None and parent.isolation_level is not None
                else _READ_COMMITTED
            )
        if self.key is not None:
            if self.store is None:
                self.store = _inherited_store(parent)
            if self.store is not None and not self.store.supports_isolation_level(
                self.isolation_level
            ):
                raise ValueError(
                    f"isolation level {self.isolation_level.value} is not supported by "
                    f"{self.store!r}: give the store a lock_manager"
                )
        self.state = _ACTIVE

    def _needs_lock(self) -> bool:
        return (
            self.key is not None
            and self.store is not None
            and self.isolation_level is IsolationLevel.SERIALIZABLE
        )

    def begin(self) -> None:
        """Take the key's lock (SERIALIZABLE) and look for a committed record."""
        if self._needs_lock():
            assert self.key is not None
            self.holder = self.holder or _holder()
            self.store.acquire_lock(self.key, holder=self.holder)
            self._locked = True
        if (
            not self.overwrite
            and self.key is not None
            and self.store is not None
            and self.store.exists(self.key)
        ):
            self.state = _COMMITTED
            self.reused = True

    def _close(self, failed: bool) -> None:
        parent = self._parent
        if failed:
            self.rollback()
            return
        if self.commit_mode is _EAGER:
            self.commit()
        if parent is not None and not parent.implicit:
            parent.add_child(self)  # the parent commits or rolls back for us
            return
        if self.commit_mode is _OFF:
            self.rollback()
        else:
            self.commit()

    def stage(
        self,
        value: Any,
        on_rollback_hooks: list[Callable[[Transaction], Any]] | None = None,
        on_commit_hooks: list[Callable[[Transaction], Any]] | None = None,
    ) -> None:
        """Keep ``value`` to be written on commit, with hooks to run then (or on
        rollback).  A transaction that is already committed ignores it."""
        if self.state is _COMMITTED:
            return
        self._staged_value = value
        self.add_hooks(on_commit_hooks, on_rollback_hooks)
        self.state = _STAGED

    def read(self) -> Any:
        """The committed record under the key (``ResultRecord``: ``.result``), or None
        for a transaction without a key or store."""
        if self.key is None or self.store is None:
            return None
        return self.store.read(self.key, holder=self.holder)

    def commit(self) -> bool:
        """Commit children, run commit hooks, write the staged value under the key.
        True if committed; a failure rolls back and returns False."""
        state = self.state
        if state is _ROLLED_BACK:
            return False
        if state is _COMMITTED:
            self._release()
            if self.flow_run is not None:
                recording.ended(self)
            return True
        try:
            if self._children:
                for child in list(self._children):
                    child.commit()
            if self._on_commit:
                for hook in self._on_commit:
                    self._run_hook(hook, "commit")
            if self.key is not None and self.store is not None and self.write_on_commit:
                self.store.write(self._staged_value, self.key, self._expiration, holder=self.holder)
            self.state = _COMMITTED
            if self.flow_run is not None:
                recording.ended(self)
            # Routine: at DEBUG (every transaction is on the run page), and the message
            # is only made when DEBUG is on.
            if reporting.reports(self) and self._log().isEnabledFor(logging.DEBUG):
                self._log().debug(
                    "Transaction %s committed (%d task runs)",
                    reporting.name(self),
                    reporting.task_count(self),
                )
        except Exception as exc:
            owner = reporting.owner(self)
            owner._log().error(
                "Committing %s failed (%s: %s); rolling it back",
                reporting.where(self),
                type(exc).__name__,
                exc,
                exc_info=True,
            )
            self.rollback()
            return False
        if self._locked:
            self._release()
        return True

    def rollback(self) -> bool:
        """Run rollback hooks (last registered first), then roll back children (last
        finished first).  False if already committed or rolled back."""
        if self.state in (_COMMITTED, _ROLLED_BACK):
            self._release()
            if self.flow_run is not None:
                recording.ended(self)  # a transaction found committed, then failed
            return False
        try:
            for hook in reversed(self._on_rollback):
                try:
                    self._run_hook(hook, "rollback")
                except Exception as exc:
                    reporting.owner(self)._log().error(
                        "Rollback hook %s of %s raised %s: %s",
                        reporting.hook_name(hook),
                        reporting.where(self),
                        type(exc).__name__,
                        exc,
                    )
            self.state = _ROLLED_BACK
            for child in reversed(self._children):
                child.rollback()
            if self.flow_run is not None:
                recording.ended(self)
            if reporting.reports(self) and (self._children or self._on_rollback):
                self._log().info(
                    "Transaction %s rolled back (%d task runs, rollback hooks: %s)",
                    reporting.name(self),
                    reporting.task_count(self),
                    ", ".join(reporting.hook_names(self)) or "none",
                )
            return True
        finally:
            self._release()

    def _run_hook(self, hook: Callable[[Transaction], Any], kind: str) -> None:
        token = _current.set(self)
        try:
            outcome = hook(self)
            if inspect.isawaitable(outcome):
                from headwater.utilities.asyncutils import run_coroutine_sync

                run_coroutine_sync(_awaited(outcome))
        except Exception as exc:
            recording.note_hook(self, hook, kind, exc)
            raise
        else:
            recording.note_hook(self, hook, kind, None)
        finally:
            _current.reset(token)

    def _release(self) -> None:
        if not self._locked:
            return
        self._locked = False
        assert self.key is not None
        try:
            self.store.release_lock(self.key, holder=self.holder)
        except Exception as exc:
            self._log().warning("Could not release the lock on %r: %s", self.key, exc)

    def _log(self) -> logging.Logger | logging.LoggerAdapter:
        return self.logger or logger

    def __repr__(self) -> str:
        return f"Transaction(key={self.key!r}, state={self.state.value})"


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _inherited_store(parent: Transaction | None) -> Any:
    """A keyed transaction without a store uses its parent's, else the flow run's
    result storage, else ``HEADWATER_RESULTS_STORAGE``, with that storage's default
    lock manager (lock files for a local directory, else the store's leases)."""
    while parent is not None:
        if parent.store is not None:
            return parent.store
        parent = parent._parent
    from headwater.context import FlowRunContext
    from headwater.locking import default_lock_manager
    from headwater.results.store import ResultStore

    flow_ctx = FlowRunContext.get()
    results = flow_ctx.results if flow_ctx is not None else None
    if results is not None:
        store = ResultStore(result_storage=results.storage, serializer=results.serializer)
    else:
        store = ResultStore()
    client = None if flow_ctx is None else (lambda: flow_ctx.backend.client)
    store.lock_manager = default_lock_manager(store.result_storage, client)
    return store


def transaction(
    key: str | None = None,
    store: Any = None,
    commit_mode: CommitMode | str | None = None,
    isolation_level: IsolationLevel | str | None = None,
    overwrite: bool = False,
    write_on_commit: bool = True,
    logger: logging.Logger | logging.LoggerAdapter | None = None,
) -> Transaction:
    """A new transaction, to use as ``with transaction(...) as txn:`` or
    ``async with transaction(...) as txn:``."""
    return Transaction(
        key=key,
        store=store,
        commit_mode=commit_mode,
        isolation_level=isolation_level,
        overwrite=overwrite,
        write_on_commit=write_on_commit,
        logger=logger,
    )
