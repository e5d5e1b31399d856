"""``HttpClient``: the ``Client`` protocol over the server's REST API.

Selected by ``get_client()`` when ``HEADWATER_API_URL`` is set.  Engine-facing calls
(creating a flow run, proposing its state) retry an unreachable server for up to
``HEADWATER_API_RETRY_SECONDS`` (creating a run gives up on a server that never
answers after ``HEADWATER_API_START_TIMEOUT_SECONDS``: it fails fast against a stopped
server); the batching writer's ``write_batch`` gives up
quickly with ``TransientWriteError`` instead, so the writer keeps the records and
tries again later: a server restarted in the middle of a flow run loses nothing
(every create is an idempotent upsert).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote
from uuid import UUID

from headwater.client.cleaning import check_parameters, clean_name, clean_record, state_body
from headwater.client.http_artifacts import HttpArtifactsMixin
from headwater.client.http_automations import HttpAutomationsMixin
from headwater.client.http_concurrency import HttpConcurrencyMixin
from headwater.client.http_deployments import HttpDeploymentsMixin
from headwater.client.http_events import HttpEventsMixin
from headwater.client.http_hooks import HttpHooksMixin
from headwater.client.http_inputs import HttpInputsMixin
from headwater.client.http_reads import HttpReadsMixin
from headwater.client.http_task_queue import HttpTaskQueueMixin
from headwater.client.http_transactions import HttpTransactionsMixin
from headwater.client.sender import PipelinedSender
from headwater.client.transport import Transport, dumps
from headwater.exceptions import ServerRequestError, ServerUnavailable
from headwater.schemas.orchestration import OrchestrationResult, SetStateStatus
from headwater.schemas.records import FlowRunCreate, LogRecord, TaskRunRecord
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
    from headwater.schemas.variables import VariableCreate, VariableRead

logger = logging.getLogger("headwater.client")

T = TypeVar("T")

#: Reads fail fast: a person is waiting for the CLI.
READ_RETRY_SECONDS = 2.0
#: The writer's flush gives up quickly and lets the writer retry with its own backoff.
WRITE_BATCH_RETRY_SECONDS = 0.3
#: Records per bulk request (the server takes up to MAX_BULK_RECORDS).
CHUNK = 1000
#: The server's page size limit; larger ``limit`` values are read page by page.
PAGE = 1000
_MAX_BODY = 32 * 1024 * 1024


class HttpClient(
    HttpArtifactsMixin,
    HttpTransactionsMixin,
    HttpInputsMixin,
    HttpDeploymentsMixin,
    HttpReadsMixin,
    HttpConcurrencyMixin,
    HttpEventsMixin,
    HttpAutomationsMixin,
    HttpHooksMixin,
    HttpTaskQueueMixin,
):
    """The REST API as a ``Client``; safe to share between threads."""

    #: The batching writer hands over up to this many queued items at once; they are
    #: sent in pipelined chunks of ``CHUNK`` (see ``sender``).
    max_batch_items = 50_000

    def __init__(
        self,
        api_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        retry_seconds: float = 30.0,
        start_timeout: float = 5.0,
    ) -> None:
        self.transport = Transport(api_url, api_key=api_key, timeout=timeout)
        self.api_url = self.transport.base_url
        self.retry_seconds = retry_seconds
        #: How long creating a flow run waits for a server that does not answer at all.
        self.start_timeout = start_timeout
        self._sender: PipelinedSender | None = None

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _post(self, path: str, data: Any, *, retry_for: float = READ_RETRY_SECONDS) -> Any:
        return self.transport.request("POST", path, dumps(data), retry_for=retry_for)

    def _get(self, path: str) -> Any:
        return self.transport.request("GET", path, retry_for=READ_RETRY_SECONDS)

    # -- engine-facing ------------------------------------------------------------
    def create_flow_run(self, flow_run: FlowRunCreate, state: State) -> dict[str, Any]:
        check_parameters(flow_run)
        body: dict[str, Any] = {k: v for k, v in flow_run.items() if v is not None}
        for key in ("name", "flow_name"):
            if key in body:
                body[key] = clean_name(body[key])
        body["state"] = state_body(state)
        # A server that does not answer at all is given up on quickly: the run has not
        # started, and the user is waiting (a busy server is waited for longer).
        response = self.transport.request(
            "POST",
            "/flow_runs",
            dumps(body),
            retry_for=self.retry_seconds,
            unreachable_for=self.start_timeout,
            warn=True,
        )
        # Read as plain JSON: the engine needs the state and run count, and importing
        # pydantic for them would cost a flow run ~200 ms.
        data: dict[str, Any] = response.json()
        data["state"] = State.from_dict(data["state"])
        data["id"] = UUID(data["id"])
        data["was_created"] = response.status_code == 201
        return data

    def set_flow_run_state(
        self, flow_run_id: UUID, state: State, *, force: bool = False
    ) -> OrchestrationResult:
        body = {"state": state_body(state), "force": force}
        response = self.transport.request(
            "POST",
            f"/flow_runs/{flow_run_id}/set_state",
            dumps(body),
            retry_for=self.retry_seconds,
            warn=True,
        )
        result = OrchestrationResult.from_dict(response.json())
        proposed = state
        if (
            result.status is SetStateStatus.REJECT
            and result.state.type is proposed.type
            and result.state.name == proposed.name
            and abs((result.state.timestamp - proposed.timestamp).total_seconds()) < 1e-5
        ):
            # An earlier attempt of this same call was applied (its answer was lost
            # to a dropped connection); the retry is refused as a duplicate.
            return OrchestrationResult(SetStateStatus.ACCEPT, proposed, None)
        return result

    def upsert_task_runs(self, records: Sequence[TaskRunRecord]) -> None:
        self._bulk("/task_runs/bulk", _task_run_bodies(records), retry_for=self.retry_seconds)

    def create_logs(self, records: Sequence[LogRecord]) -> None:
        self._bulk("/logs/bulk", list(records), retry_for=self.retry_seconds)

    def write_batch(
        self,
        task_run_records: Sequence[TaskRunRecord],
        log_records: Sequence[LogRecord],
        events: Sequence[dict[str, Any]] = (),
    ) -> None:
        """The batching writer's flush, in pipelined chunks (their order does not matter:
        upserts never go back in time, logs are keyed by id).  A server that cannot be
        reached, or is busy, raises ``TransientWriteError``: the writer keeps the
        records.  A server whose store cannot be written raises ``StoreUnwritable``;
        records the server refuses one by one raise ``RecordsRefused`` once the others
        are written (the writer counts both as dropped)."""
        from headwater.client.writer import RecordsRefused, TransientWriteError

        jobs = _chunks("/task_runs/bulk", _task_run_bodies(task_run_records))
        jobs += _chunks("/logs/bulk", list(log_records))
        jobs += _chunks("/events", list(events))
        try:
            refused = self._send_jobs(jobs, WRITE_BATCH_RETRY_SECONDS)
        except ServerUnavailable as exc:
            raise TransientWriteError(str(exc)) from None
        if refused:
            raise RecordsRefused(refused, "the server refused them as invalid")

    def _bulk(self, path: str, records: list[Any], retry_for: float) -> None:
        refused = self._send_jobs(_chunks(path, records), retry_for, warn=True)
        if refused:
            logger.error("the server refused %d run records; they are dropped", len(refused))

    def _send_jobs(
        self, jobs: list[tuple[str, list[Any]]], retry_for: float, *, warn: bool = False
    ) -> list[Any]:
        """Send every job; the records the server refused for good."""
        if not jobs:
            return []
        if len(jobs) == 1:
            path, records = jobs[0]
            return self._send_bulk(path, records, _encode(records), retry_for, warn)
        if self._sender is None:
            self._sender = PipelinedSender(self._send_bulk)
        return self._sender.send_all(jobs, _encode, retry_for, warn)

    def _send_bulk(
        self, path: str, records: list[Any], body: bytes, retry_for: float, warn: bool
    ) -> list[Any]:
        if len(body) > _MAX_BODY and len(records) > 1:
            half = len(records) // 2
            refused: list[Any] = []
            for part in (records[:half], records[half:]):
                refused += self._send_bulk(path, part, _encode(part), retry_for, warn)
            return refused
        try:
            self.transport.request("POST", path, body, retry_for=retry_for, warn=warn)
        except ServerRequestError as exc:
            if exc.status_code != 422:
                raise
            return self._send_refused(path, records, retry_for, warn)
        return []

    def _send_refused(
        self, path: str, records: list[Any], retry_for: float, warn: bool
    ) -> list[Any]:
        """The server refused a batch: clean every record (NUL, oversize text) and try
        again; if still refused, bisect so only the records it cannot take are lost
        (returned)."""
        cleaned = [clean_record(record) for record in records]
        try:
            self.transport.request("POST", path, dumps(cleaned), retry_for=retry_for, warn=warn)
            return []
        except ServerRequestError as exc:
            if exc.status_code != 422:
                raise
            if len(cleaned) == 1:
                logger.error("the server refused a run record (%s); it is dropped", exc.detail)
                return cleaned
        half = len(cleaned) // 2
        return self._send_refused(path, cleaned[:half], retry_for, warn) + self._send_refused(
            path, cleaned[half:], retry_for, warn
        )

    # -- reads ----------------------------------------------------------------------
    def read_flows(self, *, limit: int = 200, offset: int = 0) -> list[Flow]:
        from headwater.schemas.flows import Flow

        found: list[Flow] = []
        while len(found) < limit:
            size = min(PAGE, limit - len(found))
            response = self._post("/flows/filter", {"limit": size, "offset": offset})
            page = [Flow.model_validate(item) for item in response.json()]
            found.extend(page)
            offset += len(page)
            if len(page) < size:
                break
        return found

    def read_flow_run(self, flow_run_id: UUID) -> FlowRun:
        from headwater.schemas.flow_runs import FlowRun

        return FlowRun.model_validate_json(self._get(f"/flow_runs/{flow_run_id}").content)

    def read_flow_runs(
        self,
        *,
        flow_run_filter: FlowRunFilter | None = None,
        sort: FlowRunSort | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[FlowRun]:
        from headwater.schemas.pages import FlowRunPage

        query: dict[str, Any] = {"offset": offset}
        if flow_run_filter is not None:
            query["flow_runs"] = flow_run_filter.model_dump(mode="json", exclude_none=True)
        if sort is not None:
            query["sort"] = sort.value
        return self._pages("/flow_runs/filter", query, limit, FlowRunPage)

    def read_flow_run_states(self, flow_run_id: UUID) -> list[State]:
        response = self._get(f"/flow_runs/{flow_run_id}/states")
        return [State.from_dict(item) for item in response.json()]

    def delete_flow_run(self, flow_run_id: UUID) -> None:
        self.transport.request(
            "DELETE", f"/flow_runs/{flow_run_id}", retry_for=READ_RETRY_SECONDS, ok_missing=True
        )

    def read_task_run(self, task_run_id: UUID) -> TaskRun:
        from headwater.schemas.task_runs import TaskRun

        return TaskRun.model_validate_json(self._get(f"/task_runs/{task_run_id}").content)

    def read_task_runs(
        self,
        *,
        task_run_filter: TaskRunFilter | None = None,
        sort: TaskRunSort | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[TaskRun]:
        from headwater.schemas.pages import TaskRunPage

        query: dict[str, Any] = {"offset": offset}
        if task_run_filter is not None:
            query["task_runs"] = task_run_filter.model_dump(mode="json", exclude_none=True)
        if sort is not None:
            query["sort"] = sort.value
        return self._pages("/task_runs/filter", query, limit, TaskRunPage)

    def read_logs(
        self, *, log_filter: LogFilter | None = None, limit: int = 200, offset: int = 0
    ) -> list[Log]:
        from headwater.schemas.pages import LogPage

        query: dict[str, Any] = {"offset": offset}
        if log_filter is not None:
            query["logs"] = log_filter.model_dump(mode="json", exclude_none=True)
        return self._pages("/logs/filter", query, limit, LogPage)

    def _pages(self, path: str, query: dict[str, Any], limit: int, page_type: Any) -> list[Any]:
        """Up to ``limit`` results, following cursors past the server's page size."""
        results: list[Any] = []
        while len(results) < limit:
            query["limit"] = min(PAGE, limit - len(results))
            page = page_type.model_validate_json(self._post(path, query).content)
            results.extend(page.results)
            if page.next_cursor is None or len(page.results) < query["limit"]:
                break
            query["cursor"] = page.next_cursor
            query["offset"] = 0
        return results

    # -- results: cache-key locks and re-running from failure ----------------------
    def acquire_cache_lock(self, key: str, holder: str, ttl_seconds: float) -> bool:
        body = {"key": key, "holder": holder, "ttl_seconds": ttl_seconds}
        return bool(self._post("/cache_locks/acquire", body).json()["acquired"])

    def release_cache_lock(self, key: str, holder: str) -> bool:
        body = {"key": key, "holder": holder}
        return bool(self._post("/cache_locks/release", body).json()["released"])

    def read_cache_lock_holder(self, key: str) -> str | None:
        holder = self._post("/cache_locks/holder", {"key": key}).json()["holder"]
        return None if holder is None else str(holder)

    def read_resume_map(self, flow_run_id: UUID) -> dict[tuple[str, str], dict[str, Any]]:
        entries = self._get(f"/flow_runs/{flow_run_id}/resume_map").json()
        return {(entry.pop("task_key"), entry.pop("dynamic_key")): entry for entry in entries}

    # -- blocks ---------------------------------------------------------------------
    def register_block_type(
        self, block_type: BlockTypeCreate, block_schema: BlockSchemaCreate
    ) -> BlockType:
        from headwater.schemas.blocks import BlockType

        body = {
            "block_type": block_type.model_dump(mode="json"),
            "block_schema": block_schema.model_dump(mode="json"),
        }
        return BlockType.model_validate(self._post("/block_types", body).json())

    def read_block_type(self, slug: str) -> BlockType:
        from headwater.schemas.blocks import BlockType

        return BlockType.model_validate(self._get(f"/block_types/{quote(slug)}").json())

    def read_block_types(self) -> list[BlockType]:
        from headwater.schemas.blocks import BlockType

        return [BlockType.model_validate(t) for t in self._get("/block_types").json()]

    def save_block_document(
        self, document: BlockDocumentCreate, *, overwrite: bool = False
    ) -> BlockDocument:
        from headwater.schemas.blocks import BlockDocument

        path = "/block_documents?overwrite=" + ("true" if overwrite else "false")
        response = self._post(path, document.model_dump(mode="json"))
        return BlockDocument.model_validate(response.json())

    def read_block_document(
        self, block_type_slug: str, name: str, *, include_secrets: bool = False
    ) -> BlockDocument:
        from headwater.schemas.blocks import BlockDocument

        path = f"/block_documents/{quote(block_type_slug)}/{quote(name)}"
        if include_secrets:
            path += "?include_secrets=true"
        return BlockDocument.model_validate(self._get(path).json())

    def read_block_documents(
        self,
        *,
        block_type_slug: str | None = None,
        name: str | None = None,
        include_secrets: bool = False,
        limit: int = 200,
        offset: int = 0,
    ) -> list[BlockDocument]:
        from headwater.schemas.blocks import BlockDocument

        body = {
            "block_type_slug": block_type_slug,
            "name": name,
            "include_secrets": include_secrets,
            "limit": min(limit, PAGE),
            "offset": offset,
        }
        return [
            BlockDocument.model_validate(d)
            for d in self._post("/block_documents/filter", body).json()
        ]

    def delete_block_document(self, block_type_slug: str, name: str) -> None:
        path = f"/block_documents/{quote(block_type_slug)}/{quote(name)}"
        self.transport.request("DELETE", path, retry_for=READ_RETRY_SECONDS)

    # -- variables ------------------------------------------------------------------
    def set_variable(self, variable: VariableCreate, *, overwrite: bool = False) -> VariableRead:
        from headwater.schemas.variables import VariableRead

        path = "/variables?overwrite=" + ("true" if overwrite else "false")
        response = self._post(path, variable.model_dump(mode="json"))
        return VariableRead.model_validate(response.json())

    def read_variable(self, name: str) -> VariableRead | None:
        from headwater.exceptions import ObjectNotFound
        from headwater.schemas.variables import VariableRead

        try:
            return VariableRead.model_validate(self._get(f"/variables/{quote(name)}").json())
        except ObjectNotFound:
            return None

    def read_variables(
        self, *, tag: str | None = None, limit: int = 200, offset: int = 0
    ) -> list[VariableRead]:
        from headwater.schemas.variables import VariableRead

        body = {"tag": tag, "limit": min(limit, PAGE), "offset": offset}
        return [
            VariableRead.model_validate(v) for v in self._post("/variables/filter", body).json()
        ]

    def delete_variable(self, name: str) -> bool:
        response = self.transport.request(
            "DELETE", f"/variables/{quote(name)}", retry_for=READ_RETRY_SECONDS
        )
        return bool(response.json()["deleted"])

    def close(self) -> None:
        from headwater.client.releases import settle

        settle()  # slots given back through this client go before its connections
        if self._sender is not None:
            self._sender.close()
            self._sender = None
        self.transport.close()


def _chunks(path: str, records: list[Any]) -> list[tuple[str, list[Any]]]:
    return [(path, records[i : i + CHUNK]) for i in range(0, len(records), CHUNK)]


def _task_run_bodies(records: Sequence[TaskRunRecord]) -> list[dict[str, Any]]:
    """The records' JSON form (the writer's thread runs this, not the flow)."""
    return [record.to_dict() for record in records]


def _encode(records: list[Any]) -> bytes:
    try:
        return dumps(records)
    except TypeError:  # text with no UTF-8 form (a lone surrogate): cleaned, as refused
        return dumps([clean_record(record) for record in records])
