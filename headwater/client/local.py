"""``LocalClient``: the service layer called directly on the embedded database."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from headwater.client.cleaning import (
    check_parameters,
    clean_name,
    clean_record,
    clean_state,
    logs_need_cleaning,
)
from headwater.client.local_artifacts import LocalArtifactsMixin
from headwater.client.local_automations import LocalAutomationsMixin
from headwater.client.local_concurrency import LocalConcurrencyMixin
from headwater.client.local_deployments import LocalDeploymentsMixin
from headwater.client.local_events import LocalEventsMixin
from headwater.client.local_hooks import LocalHooksMixin
from headwater.client.local_inputs import LocalInputsMixin
from headwater.client.local_reads import LocalReadsMixin
from headwater.client.local_task_queue import LocalTaskQueueMixin
from headwater.client.local_transactions import LocalTransactionsMixin
from headwater.schemas.orchestration import OrchestrationResult
from headwater.schemas.records import FlowRunCreate, LogRecord, TaskRunRecord
from headwater.server.db.database import Database, get_database
from headwater.server.store import events, flow_runs, logs, task_runs
from headwater.states import State

if TYPE_CHECKING:
    from headwater.schemas.blocks import (
        BlockDocument,
        BlockDocumentCreate,
        BlockSchemaCreate,
        BlockType,
        BlockTypeCreate,
    )
    from headwater.schemas.filters import (
        FlowRunFilter,
        FlowRunSort,
        LogFilter,
        TaskRunFilter,
        TaskRunSort,
    )
    from headwater.schemas.flow_runs import FlowRun
    from headwater.schemas.flows import Flow
    from headwater.schemas.logs import Log
    from headwater.schemas.task_runs import TaskRun
    from headwater.schemas.transactions import TransactionRecord
    from headwater.schemas.variables import VariableCreate, VariableRead
    from headwater.server.services.loop import Services


logger = logging.getLogger("headwater.client")


class LocalClient(
    LocalArtifactsMixin,
    LocalTransactionsMixin,
    LocalInputsMixin,
    LocalDeploymentsMixin,
    LocalReadsMixin,
    LocalConcurrencyMixin,
    LocalEventsMixin,
    LocalAutomationsMixin,
    LocalHooksMixin,
    LocalTaskQueueMixin,
):
    """No server, no HTTP: each call is one transaction on the store."""

    def __init__(self, database_url: str | None = None) -> None:
        self.db: Database = get_database(database_url)

    def __enter__(self) -> LocalClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- engine-facing ------------------------------------------------------------
    def create_flow_run(self, flow_run: FlowRunCreate, state: State) -> dict[str, Any]:
        check_parameters(flow_run)
        flow_run = _clean_names(flow_run)
        with self._store_errors(), self.db.begin_write() as conn:
            return flow_runs.create_flow_run(conn, flow_run=flow_run, state=clean_state(state))

    def set_flow_run_state(
        self, flow_run_id: UUID, state: State, *, force: bool = False
    ) -> OrchestrationResult:
        with self._store_errors(), self.db.begin_write() as conn:
            return flow_runs.set_flow_run_state(
                conn, flow_run_id=flow_run_id, state=clean_state(state), force=force
            )

    def upsert_task_runs(self, records: Sequence[TaskRunRecord]) -> None:
        _report_refused(self._store(records, ()))

    def create_logs(self, records: Sequence[LogRecord]) -> None:
        _report_refused(self._store((), records))

    def write_batch(
        self,
        task_run_records: Sequence[TaskRunRecord],
        log_records: Sequence[LogRecord],
        events: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Task runs then logs in one transaction (the batching writer's flush).  A
        store that is busy raises ``TransientWriteError`` (the writer retries); one that
        cannot be written (disk full, read-only) raises ``StoreUnwritable``."""
        from sqlalchemy.exc import OperationalError

        from headwater.client.writer import RecordsRefused, TransientWriteError
        from headwater.server.db.store_errors import describe

        try:
            with self._store_errors():
                refused = self._store(task_run_records, log_records, events)
        except OperationalError as exc:  # locked, busy, an I/O hiccup: worth a retry
            raise TransientWriteError(describe(exc)) from exc
        if refused:
            raise RecordsRefused(refused, "the store refused them as invalid")

    def write_batch_and_transactions(
        self,
        task_run_records: Sequence[TaskRunRecord],
        log_records: Sequence[LogRecord],
        events: Sequence[dict[str, Any]],
        transaction_records: Sequence[TransactionRecord],
    ) -> None:
        """``write_batch`` and ``write_transactions`` in one store transaction (one
        commit per flush: a transaction around every task costs less).  When the store
        refuses that (a record names a flow run that is gone, a value it cannot hold),
        each is written as on its own, with the same errors."""
        from sqlalchemy.exc import OperationalError

        from headwater.client.writer import RecordsRefused, TransientWriteError
        from headwater.server.db.store_errors import describe

        try:
            with self._store_errors():
                if self._store_together(task_run_records, log_records, events, transaction_records):
                    return
        except OperationalError as exc:  # locked, busy, an I/O hiccup: worth a retry
            raise TransientWriteError(describe(exc)) from exc
        refused: list[RecordsRefused] = []
        try:
            self.write_batch(task_run_records, log_records, events)
        except RecordsRefused as exc:
            refused.append(exc)
        try:
            self.write_transactions(transaction_records)
        except RecordsRefused as exc:
            refused.append(exc)
        except TransientWriteError:
            raise
        except Exception as exc:  # the task runs and logs are written already
            refused.append(RecordsRefused(list(transaction_records), f"{exc!r}"))
        if refused:
            raise RecordsRefused([r for exc in refused for r in exc.records], refused[0].reason)

    def _store_together(
        self,
        task_run_records: Sequence[TaskRunRecord],
        log_records: Sequence[LogRecord],
        event_records: Sequence[dict[str, Any]],
        transaction_records: Sequence[TransactionRecord],
    ) -> bool:
        """Everything in one transaction; False (nothing written) when the store
        refused a record."""
        from sqlalchemy.exc import DataError, IntegrityError

        from headwater.server.store import transactions

        if log_records and logs_need_cleaning(log_records):
            return False
        try:
            with self.db.begin_write() as conn:
                task_runs.upsert_task_runs(conn, records=task_run_records)
                logs.create_logs(conn, records=log_records)
                events.record_events(conn, event_records)
                transactions.write_transactions(conn, records=transaction_records)
        except (DataError, IntegrityError, UnicodeEncodeError):
            return False
        return True

    def _store(
        self,
        task_run_records: Sequence[TaskRunRecord],
        log_records: Sequence[LogRecord],
        event_records: Sequence[dict[str, Any]] = (),
    ) -> list[Any]:
        """One transaction; the records refused for good.  A batch the store refuses
        (a value it cannot hold) is cleaned and bisected, as ``HttpClient`` does when
        the server refuses one, so only a record that still cannot be written is lost."""
        from sqlalchemy.exc import DataError

        try:
            if not (log_records and logs_need_cleaning(log_records)):
                with self.db.begin_write() as conn:
                    task_runs.upsert_task_runs(conn, records=task_run_records)
                    logs.create_logs(conn, records=log_records)
                    events.record_events(conn, event_records)
                return []
        except (DataError, UnicodeEncodeError):  # PostgreSQL's refusal; SQLite's on surrogates
            pass
        return [
            *self._write_refused(task_runs.upsert_task_runs, list(task_run_records)),
            *self._write_refused(logs.create_logs, list(log_records)),
            *self._write_refused(_record_events, list(event_records)),
        ]

    def _write_refused(self, write: Callable[..., None], records: list[Any]) -> list[Any]:
        from sqlalchemy.exc import DataError

        if not records:
            return []
        cleaned = [clean_record(record) for record in records]
        try:
            with self.db.begin_write() as conn:
                write(conn, records=cleaned)
            return []
        except (DataError, UnicodeEncodeError):
            if len(cleaned) == 1:
                return cleaned
        half = len(cleaned) // 2
        return [
            *self._write_refused(write, cleaned[:half]),
            *self._write_refused(write, cleaned[half:]),
        ]

    @contextlib.contextmanager
    def _store_errors(self) -> Iterator[None]:
        """A store that refuses writes for good (disk full, read-only, schema
        mismatch) raises ``StoreUnwritable`` naming the cause."""
        from sqlalchemy.exc import DBAPIError

        try:
            yield
        except DBAPIError as exc:
            from headwater.schemas.store_errors import HINTS, PERMANENT
            from headwater.server.db.store_errors import classify, describe

            code = classify(exc)
            if code is None or code not in PERMANENT:
                raise
            from sqlalchemy.engine import make_url

            from headwater.exceptions import StoreUnwritable

            where = make_url(self.db.url).render_as_string(hide_password=True)
            raise StoreUnwritable(
                f"the store {where} cannot be written: {describe(exc)}; {HINTS[code]}", code
            ) from exc

    def acquire_cache_lock(self, key: str, holder: str, ttl_seconds: float) -> bool:
        from headwater.server.store import cache_locks

        with self.db.begin_write() as conn:
            return cache_locks.acquire_cache_lock(
                conn, key=key, holder=holder, ttl_seconds=ttl_seconds
            )

    def release_cache_lock(self, key: str, holder: str) -> bool:
        from headwater.server.store import cache_locks

        with self.db.begin_write() as conn:
            return cache_locks.release_cache_lock(conn, key=key, holder=holder)

    def read_cache_lock_holder(self, key: str) -> str | None:
        from headwater.server.store import cache_locks

        with self.db.begin_read() as conn:
            return cache_locks.cache_lock_holder(conn, key=key)

    def read_resume_map(self, flow_run_id: UUID) -> dict[tuple[str, str], dict[str, Any]]:
        with self.db.begin_read() as conn:
            return task_runs.read_resume_map(conn, flow_run_id=flow_run_id)

    # -- reads ----------------------------------------------------------------------
    def read_flows(self, *, limit: int = 200, offset: int = 0) -> list[Flow]:
        from headwater.server.store import flows

        with self.db.begin_read() as conn:
            return flows.read_flows(conn, limit=limit, offset=offset)

    def read_flow_run(self, flow_run_id: UUID) -> FlowRun:
        with self.db.begin_read() as conn:
            return flow_runs.read_flow_run(conn, flow_run_id=flow_run_id)

    def read_flow_runs(
        self,
        *,
        flow_run_filter: FlowRunFilter | None = None,
        sort: FlowRunSort | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[FlowRun]:
        from headwater.schemas.filters import FlowRunSort

        with self.db.begin_read() as conn:
            return flow_runs.read_flow_runs(
                conn,
                flow_run_filter=flow_run_filter,
                sort=sort or FlowRunSort.CREATED_DESC,
                limit=limit,
                offset=offset,
            )

    def read_flow_run_states(self, flow_run_id: UUID) -> list[State]:
        with self.db.begin_read() as conn:
            flow_runs.read_flow_run(conn, flow_run_id=flow_run_id)
            return flow_runs.read_flow_run_states(conn, flow_run_id=flow_run_id)

    def delete_flow_run(self, flow_run_id: UUID) -> None:
        with self.db.begin_write() as conn:
            flow_runs.delete_flow_run(conn, flow_run_id=flow_run_id)

    def read_task_run(self, task_run_id: UUID) -> TaskRun:
        with self.db.begin_read() as conn:
            return task_runs.read_task_run(conn, task_run_id=task_run_id)

    def read_task_runs(
        self,
        *,
        task_run_filter: TaskRunFilter | None = None,
        sort: TaskRunSort | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[TaskRun]:
        from headwater.schemas.filters import TaskRunSort

        with self.db.begin_read() as conn:
            return task_runs.read_task_runs(
                conn,
                task_run_filter=task_run_filter,
                sort=sort or TaskRunSort.CREATED_ASC,
                limit=limit,
                offset=offset,
            )

    def read_logs(
        self, *, log_filter: LogFilter | None = None, limit: int = 200, offset: int = 0
    ) -> list[Log]:
        with self.db.begin_read() as conn:
            return logs.read_logs(conn, log_filter=log_filter, limit=limit, offset=offset)

    # -- blocks (secrets are encrypted and decrypted in the service layer) ---------------
    def register_block_type(
        self, block_type: BlockTypeCreate, block_schema: BlockSchemaCreate
    ) -> BlockType:
        from headwater.server.store import blocks

        with self.db.begin_write() as conn:
            return blocks.register_block_type(
                conn, block_type=block_type, block_schema=block_schema
            )

    def read_block_type(self, slug: str) -> BlockType:
        from headwater.server.store import blocks

        with self.db.begin_read() as conn:
            return blocks.read_block_type(conn, slug=slug)

    def read_block_types(self) -> list[BlockType]:
        from headwater.server.store import blocks

        with self.db.begin_read() as conn:
            return blocks.read_block_types(conn)

    def save_block_document(
        self, document: BlockDocumentCreate, *, overwrite: bool = False
    ) -> BlockDocument:
        from headwater.server.store import blocks

        with self.db.begin_write() as conn:
            return blocks.save_block_document(conn, document=document, overwrite=overwrite)

    def read_block_document(
        self, block_type_slug: str, name: str, *, include_secrets: bool = False
    ) -> BlockDocument:
        from headwater.server.store import blocks

        with self.db.begin_read() as conn:
            return blocks.read_block_document(
                conn, block_type_slug=block_type_slug, name=name, include_secrets=include_secrets
            )

    def read_block_documents(
        self,
        *,
        block_type_slug: str | None = None,
        name: str | None = None,
        include_secrets: bool = False,
        limit: int = 200,
        offset: int = 0,
    ) -> list[BlockDocument]:
        from headwater.server.store import blocks

        with self.db.begin_read() as conn:
            return blocks.read_block_documents(
                conn,
                block_type_slug=block_type_slug,
                name=name,
                include_secrets=include_secrets,
                limit=limit,
                offset=offset,
            )

    def delete_block_document(self, block_type_slug: str, name: str) -> None:
        from headwater.server.store import blocks

        with self.db.begin_write() as conn:
            blocks.delete_block_document(conn, block_type_slug=block_type_slug, name=name)

    # -- variables ----------------------------------------------------------------------
    def set_variable(self, variable: VariableCreate, *, overwrite: bool = False) -> VariableRead:
        from headwater.server.store import variables

        with self.db.begin_write() as conn:
            return variables.set_variable(conn, variable=variable, overwrite=overwrite)

    def read_variable(self, name: str) -> VariableRead | None:
        from headwater.server.store import variables

        with self.db.begin_read() as conn:
            return variables.read_variable(conn, name=name)

    def read_variables(
        self, *, tag: str | None = None, limit: int = 200, offset: int = 0
    ) -> list[VariableRead]:
        from headwater.server.store import variables

        with self.db.begin_read() as conn:
            return variables.read_variables(conn, tag=tag, limit=limit, offset=offset)

    def delete_variable(self, name: str) -> bool:
        from headwater.server.store import variables

        with self.db.begin_write() as conn:
            return variables.delete_variable(conn, name=name)

    def close(self) -> None:
        """Closes the wake sockets of task workers polling through this client (the
        engine is shared by every client in the process), after giving back the
        slots this process released and has not given back yet."""
        from headwater.client.releases import settle

        settle()
        self._close_task_wakes()

    # -- embedded store only --------------------------------------------------------
    def start_services(self, loop_seconds: float) -> Services:
        """Run the server's background services (scheduler, late runs, zombies,
        cancellations) on this store in daemon threads: what a ``serve()`` process
        without a server does to keep its schedules.  ``.stop()`` ends them."""
        from headwater.server.services.loop import Services

        return Services(self.db, loop_seconds).start()


def _record_events(conn: Any, *, records: Sequence[dict[str, Any]]) -> None:
    events.record_events(conn, records)


def _clean_names(flow_run: FlowRunCreate) -> FlowRunCreate:
    """Names as ``HttpClient`` sends them (no control characters, at most 200)."""
    cleaned: dict[str, Any] = dict(flow_run)
    for key in ("name", "flow_name"):
        value = cleaned.get(key)
        if isinstance(value, str):
            cleaned[key] = clean_name(value)
    return cleaned  # type: ignore[return-value]


def _report_refused(refused: list[Any]) -> None:
    if refused:
        logger.error("the store refused %d run records; they are dropped", len(refused))
