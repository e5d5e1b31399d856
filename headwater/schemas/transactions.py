"""A flow run's transactions as the store keeps them: which ones ran, how each ended,
which task runs took part, and the commit and rollback hooks that ran.

The engine hands the batching writer a ``TransactionRecord`` (a plain dict) when a
transaction opens (``outcome`` ``OPEN``) and again when it ends (``COMMITTED`` or
``ROLLED_BACK``); the store keeps one row per transaction, and an ended row never
changes again.  A row still ``OPEN`` once its flow-run attempt is over belongs to a
transaction whose process died before it ended (killed, out of memory): nothing it
staged was written.  Reads report it as ``DISCARDED``.

Lists are bounded: a record names at most ``MAX_TASK_RUN_IDS`` task runs and
``MAX_HOOKS`` hooks; ``task_count``, ``hook_count`` and ``failed_hook_count`` count
them all.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints
from typing_extensions import TypedDict as ApiTypedDict

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.limits import MAX_BULK_RECORDS, MAX_KEY_CHARS, STORABLE, Epoch

OPEN = "OPEN"
COMMITTED = "COMMITTED"
ROLLED_BACK = "ROLLED_BACK"
#: Only on reads: an ``OPEN`` row whose flow-run attempt is over.
DISCARDED = "DISCARDED"
OUTCOMES = (OPEN, COMMITTED, ROLLED_BACK, DISCARDED)

MAX_TASK_RUN_IDS = 1000
MAX_HOOKS = 500
MAX_HOOK_NAME_CHARS = 200
MAX_HOOK_ERROR_CHARS = 2000


class HookRecord(TypedDict):
    """One commit or rollback hook that ran."""

    name: str
    kind: str  # "commit" | "rollback"
    ok: bool
    error: str | None  # "ValueError: message" when it raised
    task_run_id: str | None  # the task whose hook it is (None: the transaction's own)


class TransactionRecord(TypedDict):
    """A transaction as the writer sends it (see the module doc)."""

    id: UUID
    flow_run_id: UUID
    parent_id: UUID | None
    key: str | None
    implicit: bool  # the flow-run attempt's own transaction
    isolation_level: str
    commit_mode: str
    outcome: str  # OPEN | COMMITTED | ROLLED_BACK
    reused: bool  # its key already had a committed record: the body did not run again
    flow_run_attempt: int
    start_time: float
    end_time: float | None
    task_run_ids: list[str]  # UUIDs as text
    task_count: int
    hooks: list[HookRecord]
    hook_count: int
    failed_hook_count: int


_Outcome = Literal["OPEN", "COMMITTED", "ROLLED_BACK"]
_Count = Annotated[int, Field(ge=0, le=2**31 - 1)]


class HookRecordIn(ApiTypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    name: Annotated[str, StringConstraints(max_length=MAX_HOOK_NAME_CHARS), STORABLE]
    kind: Literal["commit", "rollback"]
    ok: bool
    error: Annotated[str, StringConstraints(max_length=MAX_HOOK_ERROR_CHARS), STORABLE] | None
    task_run_id: UUID | None


class TransactionRecordIn(ApiTypedDict):
    """``TransactionRecord`` as the API validates it (``/api/transactions/bulk``)."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    id: UUID
    flow_run_id: UUID
    parent_id: UUID | None
    key: Annotated[str, StringConstraints(max_length=MAX_KEY_CHARS), STORABLE] | None
    implicit: bool
    isolation_level: Literal["READ_COMMITTED", "SERIALIZABLE"]
    commit_mode: Literal["EAGER", "LAZY", "OFF"]
    outcome: _Outcome
    reused: bool
    flow_run_attempt: Annotated[int, Field(ge=1, le=2**31 - 1)]
    start_time: Epoch
    end_time: Epoch | None
    task_run_ids: Annotated[list[UUID], Field(max_length=MAX_TASK_RUN_IDS)]
    task_count: _Count
    hooks: Annotated[list[HookRecordIn], Field(max_length=MAX_HOOKS)]
    hook_count: _Count
    failed_hook_count: _Count


TransactionRecords = Annotated[list[TransactionRecordIn], Field(max_length=MAX_BULK_RECORDS)]


class TransactionHook(Schema):
    name: str
    kind: str
    ok: bool
    error: str | None = None
    task_run_id: UUID | None = None


class RunTransaction(Schema):
    """One transaction of a flow run, as read back (``outcome`` may be ``DISCARDED``)."""

    id: UUID
    flow_run_id: UUID
    parent_id: UUID | None = None
    key: str | None = None
    implicit: bool = False
    isolation_level: str
    commit_mode: str
    outcome: str
    reused: bool = False
    flow_run_attempt: int = 1
    start_time: Timestamp
    end_time: Timestamp | None = None
    task_run_ids: list[UUID] = []
    task_count: int = 0
    hooks: list[TransactionHook] = []
    hook_count: int = 0
    failed_hook_count: int = 0
