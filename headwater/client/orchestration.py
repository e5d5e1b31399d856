"""``get_client()`` as Prefect 3 users call it.

``SyncClient`` gives Prefect's method names and signatures over Headwater's client
(the embedded store or the server's API): Prefect's nested filters are translated to
the store's (``filter_translation``), and every method of Headwater's own ``Client``
protocol is there too, unchanged.  ``AsyncClient`` is the same client with awaitable
methods: one thin facade that runs each call in a worker thread, so no method is
written twice.

    async with get_client() as client:          # awaitable methods
        runs = await client.read_flow_runs(flow_run_filter=...)

    with get_client(sync_client=True) as client:  # or plain get_client()
        runs = client.read_flow_runs(flow_run_filter=...)
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import headwater.client.filter_translation as ft

if TYPE_CHECKING:
    import httpx

    from headwater.client.protocol import Client
    from headwater.schemas.blocks import BlockDocument
    from headwater.schemas.deployments import Deployment
    from headwater.schemas.flow_runs import FlowRun
    from headwater.schemas.flows import Flow
    from headwater.schemas.logs import Log
    from headwater.schemas.orchestration import OrchestrationResult
    from headwater.schemas.task_runs import TaskRun
    from headwater.schemas.variables import VariableCreate, VariableRead
    from headwater.schemas.work_pools import WorkPool, WorkPoolCreate, WorkQueue
    from headwater.states import State

#: Prefect's default page size when ``limit`` is not given.
DEFAULT_LIMIT = 200
#: Most logs read to answer a newest-first request.
MAX_LOGS_DESC = 10_000


def get_client(httpx_settings: dict[str, Any] | None = None, sync_client: bool = False) -> Any:
    """A client for the configured store: ``async with get_client() as c`` gives
    awaitable methods, ``with get_client(sync_client=True) as c`` (or no ``with``)
    plain ones.  ``httpx_settings`` is accepted for Prefect's signature and unused."""
    from headwater.client.connect import open_client

    return SyncClient(open_client())


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


class SyncClient:
    """Prefect's ``SyncPrefectClient`` methods over a Headwater ``Client``."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:  # every method of Headwater's Client
        return getattr(self._client, name)

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()

    async def __aenter__(self) -> AsyncClient:
        return AsyncClient(self)

    async def __aexit__(self, *exc_info: object) -> None:
        self._client.close()

    @property
    def api_url(self) -> str | None:
        """The server's API URL; None on the embedded store."""
        return getattr(self._client, "api_url", None)

    def hello(self) -> httpx.Response:
        import httpx

        return httpx.Response(200, json=self._client.hello())

    # -- flows and flow runs -----------------------------------------------------------------
    def read_flows(
        self,
        *,
        flow_filter: Any = None,
        flow_run_filter: Any = None,
        task_run_filter: Any = None,
        deployment_filter: Any = None,
        work_pool_filter: Any = None,
        work_queue_filter: Any = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Flow]:
        if any(f is not None for f in (flow_run_filter, task_run_filter, deployment_filter)):
            raise ft.unsupported("read_flows with run or deployment filters")
        if work_pool_filter is not None or work_queue_filter is not None:
            raise ft.unsupported("read_flows with work pool or queue filters")
        found = ft.flows(self._client, flow_filter, limit or DEFAULT_LIMIT, offset)
        return _sorted(found, sort)

    def read_flow_runs(
        self,
        *,
        flow_filter: Any = None,
        flow_run_filter: Any = None,
        task_run_filter: Any = None,
        deployment_filter: Any = None,
        work_pool_filter: Any = None,
        work_queue_filter: Any = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[FlowRun]:
        flt = ft.to_flow_run_filter(
            self._client,
            flow_filter=flow_filter,
            flow_run_filter=flow_run_filter,
            task_run_filter=task_run_filter,
            deployment_filter=deployment_filter,
            work_pool_filter=work_pool_filter,
            work_queue_filter=work_queue_filter,
        )
        return self._client.read_flow_runs(
            flow_run_filter=flt,
            sort=ft.flow_run_sort(sort),
            limit=limit or DEFAULT_LIMIT,
            offset=offset,
        )

    def count_flow_runs(
        self,
        *,
        flow_filter: Any = None,
        flow_run_filter: Any = None,
        task_run_filter: Any = None,
        deployment_filter: Any = None,
        work_pool_filter: Any = None,
        work_queue_filter: Any = None,
    ) -> int:
        flt = ft.to_flow_run_filter(
            self._client,
            flow_filter=flow_filter,
            flow_run_filter=flow_run_filter,
            task_run_filter=task_run_filter,
            deployment_filter=deployment_filter,
            work_pool_filter=work_pool_filter,
            work_queue_filter=work_queue_filter,
        )
        return self._client.count_flow_runs(flow_run_filter=flt)

    def read_flow_run(self, flow_run_id: UUID | str) -> FlowRun:
        return self._client.read_flow_run(_uuid(flow_run_id))

    def delete_flow_run(self, flow_run_id: UUID | str) -> None:
        from headwater.client.writer import flush_all

        flush_all()  # records of the run still queued here (its last logs) go first
        self._client.delete_flow_run(_uuid(flow_run_id))

    def read_flow_run_states(self, flow_run_id: UUID | str) -> list[State]:
        return self._client.read_flow_run_states(_uuid(flow_run_id))

    def set_flow_run_state(
        self, flow_run_id: UUID | str, state: State, force: bool = False
    ) -> OrchestrationResult:
        return self._client.set_flow_run_state(_uuid(flow_run_id), state, force=force)

    def create_flow_run(self, flow: Any, *args: Any, **kwargs: Any) -> Any:
        """Prefect's ``create_flow_run(flow, name=, parameters=, tags=, state=, ...)`` for
        a ``@flow`` object (a run to execute later); Headwater's engine-facing form
        (a record dict and a state) passes through."""
        if isinstance(flow, dict):
            record: Any = flow
            return self._client.create_flow_run(record, *args, **kwargs)
        return _create_flow_run(self._client, flow, *args, **kwargs)

    # -- task runs ---------------------------------------------------------------------------
    def read_task_runs(
        self,
        *,
        flow_filter: Any = None,
        flow_run_filter: Any = None,
        task_run_filter: Any = None,
        deployment_filter: Any = None,
        sort: Any = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[TaskRun]:
        flt = ft.to_task_run_filter(
            self._client,
            flow_filter=flow_filter,
            flow_run_filter=flow_run_filter,
            task_run_filter=task_run_filter,
            deployment_filter=deployment_filter,
        )
        return self._client.read_task_runs(
            task_run_filter=flt,
            sort=ft.task_run_sort(sort),
            limit=limit or DEFAULT_LIMIT,
            offset=offset,
        )

    def read_task_run(self, task_run_id: UUID | str) -> TaskRun:
        return self._client.read_task_run(_uuid(task_run_id))

    # -- logs ------------------------------------------------------------------------------
    def read_logs(
        self,
        log_filter: Any = None,
        limit: int | None = None,
        offset: int | None = None,
        sort: Any = None,
    ) -> list[Log]:
        flt = ft.to_log_filter(log_filter)
        limit, offset = limit or DEFAULT_LIMIT, offset or 0
        order = str(getattr(sort, "value", sort or "TIMESTAMP_ASC"))
        if order == "TIMESTAMP_ASC":
            return self._client.read_logs(log_filter=flt, limit=limit, offset=offset)
        if order != "TIMESTAMP_DESC":
            raise ft.unsupported(f"LogSort.{order}")
        newest_first = self._client.read_logs(log_filter=flt, limit=MAX_LOGS_DESC)[::-1]
        return newest_first[offset : offset + limit]

    # -- deployments ------------------------------------------------------------------------
    def read_deployments(
        self,
        *,
        flow_filter: Any = None,
        flow_run_filter: Any = None,
        task_run_filter: Any = None,
        deployment_filter: Any = None,
        work_pool_filter: Any = None,
        work_queue_filter: Any = None,
        limit: int | None = None,
        sort: Any = None,
        offset: int = 0,
    ) -> list[Deployment]:
        if flow_run_filter is not None or task_run_filter is not None:
            raise ft.unsupported("read_deployments with run filters")
        if work_queue_filter is not None:
            raise ft.unsupported("read_deployments with a work queue filter")
        flt = ft.to_deployment_filter(
            deployment_filter, flow_filter=flow_filter, work_pool_filter=work_pool_filter
        )
        found = self._client.read_deployments(
            deployment_filter=flt, limit=limit or DEFAULT_LIMIT, offset=offset
        )
        return _sorted(found, sort)

    def read_deployment(self, deployment_id: UUID | str) -> Deployment:
        return self._client.read_deployment(_uuid(deployment_id))

    def create_flow_run_from_deployment(
        self,
        deployment_id: UUID | str,
        run: Any = None,
        *,
        parameters: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        state: State | None = None,
        name: str | None = None,
        tags: Iterable[str] | None = None,
        idempotency_key: str | None = None,
        parent_task_run_id: UUID | None = None,
        work_queue_name: str | None = None,
        job_variables: dict[str, Any] | None = None,
        labels: Any = None,
    ) -> FlowRun:
        """A Scheduled run of the deployment (due now, or at ``state``'s scheduled
        time); ``job_variables`` beyond the deployment's own are not supported."""
        from headwater.schemas.deployments import DeploymentFlowRunCreate

        if run is None:
            if job_variables:
                raise ft.unsupported("job_variables= on create_flow_run_from_deployment")
            scheduled = state.state_details.scheduled_time if state is not None else None
            run = DeploymentFlowRunCreate(
                parameters=parameters or {},
                name=name,
                tags=list(tags or []),
                idempotency_key=idempotency_key,
                scheduled_time=scheduled,
                work_queue_name=work_queue_name,
            )
        return self._client.create_flow_run_from_deployment(_uuid(deployment_id), run)

    # -- work pools -------------------------------------------------------------------------
    def create_work_pool(self, work_pool: WorkPoolCreate, overwrite: bool = False) -> WorkPool:
        from headwater.exceptions import ObjectAlreadyExists
        from headwater.schemas.work_pools import WorkPoolUpdate

        try:
            return self._client.create_work_pool(work_pool)
        except ObjectAlreadyExists:
            if not overwrite:
                raise
        changes = WorkPoolUpdate(
            description=work_pool.description,
            concurrency_limit=work_pool.concurrency_limit,
            paused=work_pool.paused,
        )
        return self._client.update_work_pool(work_pool.name, changes)

    def read_work_pools(
        self, limit: int | None = None, offset: int = 0, work_pool_filter: Any = None
    ) -> list[WorkPool]:
        found = ft.work_pools(self._client, work_pool_filter)
        return found[offset : offset + (limit or DEFAULT_LIMIT)]

    def read_work_queues(
        self,
        work_pool_name: str | None = None,
        work_queue_filter: Any = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[WorkQueue]:
        names = [work_pool_name] if work_pool_name else [p.name for p in self.read_work_pools()]
        queues = [q for name in names for q in self._client.read_work_queues(name)]
        if work_queue_filter is not None:
            if work_queue_filter.name is not None and work_queue_filter.name.any_ is not None:
                queues = [q for q in queues if q.name in work_queue_filter.name.any_]
            if work_queue_filter.id is not None and work_queue_filter.id.any_ is not None:
                queues = [q for q in queues if q.id in work_queue_filter.id.any_]
        start = offset or 0
        return queues[start : start + (limit or DEFAULT_LIMIT)]

    # -- variables and blocks -------------------------------------------------------------------
    def create_variable(self, variable: VariableCreate) -> VariableRead:
        """``ObjectAlreadyExists`` if the name is taken."""
        return self._client.set_variable(variable)

    def read_variable_by_name(self, name: str) -> VariableRead | None:
        return self._client.read_variable(name)

    def read_variables(self, limit: int | None = None) -> list[VariableRead]:
        return self._client.read_variables(limit=limit or DEFAULT_LIMIT)

    def update_variable(self, variable: Any) -> None:
        from headwater.schemas.variables import VariableCreate

        existing = self._client.read_variable(variable.name)
        if existing is None:
            from headwater.exceptions import ObjectNotFound

            raise ObjectNotFound(f"variable {variable.name!r} not found")
        tags = variable.tags if variable.tags is not None else existing.tags
        update = VariableCreate(name=variable.name, value=variable.value, tags=tags)
        self._client.set_variable(update, overwrite=True)

    def delete_variable_by_name(self, name: str) -> None:
        """``ObjectNotFound`` if there is no such variable."""
        if not self._client.delete_variable(name):
            from headwater.exceptions import ObjectNotFound

            raise ObjectNotFound(f"variable {name!r} not found")

    def read_block_document_by_name(
        self, name: str, block_type_slug: str, include_secrets: bool = True
    ) -> BlockDocument:
        return self._client.read_block_document(
            block_type_slug, name, include_secrets=include_secrets
        )

    def read_block_type_by_slug(self, slug: str) -> Any:
        return self._client.read_block_type(slug)


class AsyncClient:
    """``SyncClient`` with awaitable methods: each call runs in a worker thread."""

    def __init__(self, sync: SyncClient) -> None:
        self._sync = sync

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._sync, name)
        if not callable(attribute):
            return attribute
        return _awaitable(attribute)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._sync.close()

    @property
    def api_url(self) -> str | None:
        return self._sync.api_url


def _awaitable(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(method, *args, **kwargs)

    return call


def _sorted(items: list[Any], sort: Any) -> list[Any]:
    """Flows and deployments are few: Prefect's name/created orders applied here."""
    if sort is None:
        return items
    order = str(getattr(sort, "value", sort))
    keys: dict[str, tuple[Callable[[Any], Any], bool]] = {
        "NAME_ASC": (lambda item: item.name, False),
        "NAME_DESC": (lambda item: item.name, True),
        "CREATED_DESC": (lambda item: item.created, True),
        "UPDATED_DESC": (lambda item: item.updated, True),
    }
    if order not in keys:
        raise ft.unsupported(f"sort {order}")
    key, reverse = keys[order]
    return sorted(items, key=key, reverse=reverse)


def _create_flow_run(
    client: Client,
    flow: Any,
    name: str | None = None,
    parameters: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    tags: Iterable[str] | None = None,
    parent_task_run_id: UUID | None = None,
    state: State | None = None,
    **unsupported: Any,
) -> FlowRun:
    from headwater.states import Pending
    from headwater.utilities.ids import new_id
    from headwater.utilities.names import random_run_name

    for key, value in unsupported.items():
        if value is not None:
            raise ft.unsupported(f"create_flow_run({key}=...)")
    record: Any = {
        "id": new_id(),
        "flow_name": flow.name,
        "name": name or random_run_name(),
        "flow_version": getattr(flow, "version", None),
        "parameters": dict(parameters or {}),
        "tags": sorted(tags or []),
        "parent_task_run_id": parent_task_run_id,
        "entrypoint": getattr(flow, "entrypoint", None),
    }
    created = client.create_flow_run(record, state or Pending())
    return client.read_flow_run(created["id"])


# Prefect's class names.
PrefectClient = AsyncClient
SyncPrefectClient = SyncClient
HeadwaterClient = AsyncClient
SyncHeadwaterClient = SyncClient

__all__ = [
    "AsyncClient",
    "HeadwaterClient",
    "PrefectClient",
    "SyncClient",
    "SyncHeadwaterClient",
    "SyncPrefectClient",
    "get_client",
]
