"""What every client (embedded store or HTTP server) offers.

Engine-facing methods take and return plain data (dicts, ``State``) so a flow run
never pays for pydantic; read methods return the pydantic schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from uuid import UUID

from headwater.schemas.orchestration import OrchestrationResult
from headwater.schemas.records import FlowRunCreate, LogRecord, TaskRunRecord
from headwater.states import State

if TYPE_CHECKING:
    import datetime as dt

    from headwater.client.leases import LeaseKeeper
    from headwater.schemas.artifacts import Artifact, ArtifactFilter, ArtifactRecord
    from headwater.schemas.automations import AutomationCore, AutomationRead
    from headwater.schemas.blocks import (
        BlockDocument,
        BlockDocumentCreate,
        BlockSchemaCreate,
        BlockType,
        BlockTypeCreate,
    )
    from headwater.schemas.concurrency import (
        ConcurrencyLimit,
        ConcurrencyLimitCreate,
        ConcurrencyLimitUpdate,
        SlotGrant,
        SlotRequest,
    )
    from headwater.schemas.deployments import (
        Deployment,
        DeploymentCreate,
        DeploymentFilter,
        DeploymentFlowRunCreate,
        DeploymentUpdate,
        ScheduleUpdate,
    )
    from headwater.schemas.events import EventFilter, EventPage
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
    from headwater.schemas.slas import Sla, SlaCreate
    from headwater.schemas.task_queue import TaskClaimRequest, TaskClaimResult, TaskRunSubmit
    from headwater.schemas.task_runs import TaskRun
    from headwater.schemas.transactions import RunTransaction, TransactionRecord
    from headwater.schemas.variables import VariableCreate, VariableRead
    from headwater.schemas.webhooks import Webhook, WebhookCreate, WebhookUpdate
    from headwater.schemas.work_pools import (
        ClaimRequest,
        ClaimResult,
        Worker,
        WorkPool,
        WorkPoolCreate,
        WorkPoolUpdate,
        WorkQueue,
        WorkQueueCreate,
        WorkQueueUpdate,
    )


@runtime_checkable
class Client(Protocol):
    # -- engine-facing ------------------------------------------------------------
    def create_flow_run(self, flow_run: FlowRunCreate, state: State) -> dict[str, Any]:
        """Create (or, for a repeated id/idempotency key, return) a flow run: a dict of
        the run's fields with ``state`` (a ``State``) and ``was_created``."""
        ...

    def set_flow_run_state(
        self, flow_run_id: UUID, state: State, *, force: bool = False
    ) -> OrchestrationResult: ...

    def upsert_task_runs(self, records: Sequence[TaskRunRecord]) -> None: ...

    def create_logs(self, records: Sequence[LogRecord]) -> None: ...

    def acquire_cache_lock(self, key: str, holder: str, ttl_seconds: float) -> bool:
        """Take the store's lock on a cache key (see ``results/locks.py``)."""
        ...

    def release_cache_lock(self, key: str, holder: str) -> bool: ...

    def read_cache_lock_holder(self, key: str) -> str | None:
        """Who holds the store's lock on ``key`` now (None: nobody)."""
        ...

    # -- leases (see client/leases.py and server/store/leases.py) -------------------------
    def lease_keeper(self) -> LeaseKeeper:
        """The thread renewing the leases this process holds through this client."""
        ...

    def renew_leases(self, lease_ids: Sequence[UUID]) -> list[UUID]:
        """Renew held leases for their duration; the ones still held (a missing one
        expired before this renewal and holds nothing)."""
        ...

    def release_lease(self, lease_id: UUID) -> bool:
        """Give back what a lease holds; False if it held nothing any more."""
        ...

    # -- concurrency limits (see server/store/concurrency_limits.py) ---------------------
    def create_concurrency_limit(self, limit: ConcurrencyLimitCreate) -> ConcurrencyLimit:
        """``ObjectAlreadyExists`` if the name is taken."""
        ...

    def read_concurrency_limit(self, name: str) -> ConcurrencyLimit:
        """``ConcurrencyLimitNotFound`` if there is none."""
        ...

    def read_concurrency_limits(
        self, *, tags: bool | None = None, limit: int = 200, offset: int = 0
    ) -> list[ConcurrencyLimit]:
        """By name; ``tags`` True: only tag limits (``tag:…``), False: only the others."""
        ...

    def update_concurrency_limit(
        self, name: str, changes: ConcurrencyLimitUpdate
    ) -> ConcurrencyLimit: ...

    def delete_concurrency_limit(self, name: str) -> bool:
        """Delete a limit and give back its slots; False if there was none."""
        ...

    def reset_concurrency_limit(self, name: str) -> int:
        """Give back every slot of a limit; how many leases held some."""
        ...

    def acquire_concurrency_slots(self, request: SlotRequest) -> SlotGrant:
        """Take slots of every limit named, all or none, first come first served,
        waiting up to ``request.wait_seconds``; the lease must then be held with the
        lease keeper (concurrency) and released."""
        ...

    def leave_concurrency_queue(self, ticket: UUID) -> None:
        """A waiter gives up its place."""
        ...

    def read_resume_map(self, flow_run_id: UUID) -> dict[tuple[str, str], dict[str, Any]]:
        """Per (task_key, dynamic_key): what earlier attempts of the run left."""
        ...

    def write_batch(
        self,
        task_run_records: Sequence[TaskRunRecord],
        log_records: Sequence[LogRecord],
        events: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Task runs then logs (the batching writer's flush); ``TransientWriteError``
        when the store or server may accept them later, ``StoreUnwritable`` when it
        will not until someone fixes it (full, read-only…), ``RecordsRefused`` naming
        the records refused for good once the others are written."""
        ...

    # -- events ---------------------------------------------------------------------
    def emit_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Store event records now (``Event.to_record()``); ``EventError`` if one is bad."""
        ...

    def read_events(
        self, event_filter: EventFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> EventPage:
        """Events matching the filter, newest first, with how many match in all."""
        ...

    # -- automations (evaluated by a server) ------------------------------------------
    def create_automation(self, automation: AutomationCore) -> AutomationRead: ...

    def read_automation(self, automation_id: UUID) -> AutomationRead:
        """``AutomationNotFound`` (an ``ObjectNotFound``) when there is none."""
        ...

    def read_automations(self, *, limit: int = 200, offset: int = 0) -> list[AutomationRead]: ...

    def read_automations_by_name(self, name: str) -> list[AutomationRead]: ...

    def update_automation(
        self, automation_id: UUID, automation: AutomationCore
    ) -> AutomationRead: ...

    def pause_automation(self, automation_id: UUID) -> AutomationRead: ...

    def resume_automation(self, automation_id: UUID) -> AutomationRead: ...

    def delete_automation(self, automation_id: UUID) -> None: ...

    # -- SLAs of deployments (evaluated by a server) -------------------------------------
    def read_deployment_slas(self, deployment_id: UUID) -> list[Sla]:
        """``DeploymentNotFound`` when there is no such deployment."""
        ...

    def create_deployment_sla(self, deployment_id: UUID, sla: SlaCreate) -> Sla:
        """Create the SLA, or replace the deployment's SLA of the same name."""
        ...

    def delete_deployment_sla(self, deployment_id: UUID, sla_id: UUID) -> None: ...

    # -- incoming webhooks (answered by a server at /api/hooks/{slug}) ------------------
    def create_webhook(self, webhook: WebhookCreate) -> Webhook:
        """``ObjectAlreadyExists`` when the name is taken."""
        ...

    def read_webhook(self, webhook_id: UUID) -> Webhook:
        """``WebhookNotFound`` (an ``ObjectNotFound``) when there is none."""
        ...

    def read_webhooks(self, *, limit: int = 200, offset: int = 0) -> list[Webhook]: ...

    def read_webhooks_by_name(self, name: str) -> list[Webhook]: ...

    def update_webhook(self, webhook_id: UUID, changes: WebhookUpdate) -> Webhook: ...

    def rotate_webhook(self, webhook_id: UUID) -> Webhook:
        """A new slug: the old URL stops working."""
        ...

    def delete_webhook(self, webhook_id: UUID) -> None: ...

    # -- reads ----------------------------------------------------------------------
    def read_flows(self, *, limit: int = 200, offset: int = 0) -> list[Flow]: ...

    def read_flow(self, flow_id: UUID) -> Flow: ...

    def read_flow_by_name(self, name: str) -> Flow:
        """``ObjectNotFound`` when no flow has that name."""
        ...

    def count_flow_runs(self, *, flow_run_filter: FlowRunFilter | None = None) -> int: ...

    def hello(self) -> dict[str, Any]:
        """The store or server answers (``{"status": "ok"}``)."""
        ...

    def read_flow_run(self, flow_run_id: UUID) -> FlowRun: ...

    def read_flow_runs(
        self,
        *,
        flow_run_filter: FlowRunFilter | None = None,
        sort: FlowRunSort | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[FlowRun]: ...

    def read_flow_run_states(self, flow_run_id: UUID) -> list[State]: ...

    def delete_flow_run(self, flow_run_id: UUID) -> None: ...

    def read_task_run(self, task_run_id: UUID) -> TaskRun: ...

    def read_task_runs(
        self,
        *,
        task_run_filter: TaskRunFilter | None = None,
        sort: TaskRunSort | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[TaskRun]: ...

    def read_logs(
        self, *, log_filter: LogFilter | None = None, limit: int = 200, offset: int = 0
    ) -> list[Log]: ...

    # -- blocks -------------------------------------------------------------------------
    def register_block_type(
        self, block_type: BlockTypeCreate, block_schema: BlockSchemaCreate
    ) -> BlockType:
        """Create or update a block type and add its schema (idempotent)."""
        ...

    def read_block_type(self, slug: str) -> BlockType: ...

    def read_block_types(self) -> list[BlockType]: ...

    def save_block_document(
        self, document: BlockDocumentCreate, *, overwrite: bool = False
    ) -> BlockDocument:
        """Save a document (secrets are encrypted by the store's side); returns it masked."""
        ...

    def read_block_document(
        self, block_type_slug: str, name: str, *, include_secrets: bool = False
    ) -> BlockDocument: ...

    def read_block_documents(
        self,
        *,
        block_type_slug: str | None = None,
        name: str | None = None,
        include_secrets: bool = False,
        limit: int = 200,
        offset: int = 0,
    ) -> list[BlockDocument]: ...

    def delete_block_document(self, block_type_slug: str, name: str) -> None: ...

    # -- variables ----------------------------------------------------------------------
    def set_variable(
        self, variable: VariableCreate, *, overwrite: bool = False
    ) -> VariableRead: ...

    def read_variable(self, name: str) -> VariableRead | None: ...

    def read_variables(
        self, *, tag: str | None = None, limit: int = 200, offset: int = 0
    ) -> list[VariableRead]: ...

    def delete_variable(self, name: str) -> bool: ...

    # -- pause and input (see headwater/flow_runs.py, headwater/input) ------------------
    def resume_flow_run(
        self, flow_run_id: UUID, run_input: dict[str, Any] | None = None
    ) -> OrchestrationResult:
        """Resume a paused run; the input it waits for is checked against its schema
        (``ParameterValidationError`` per field) and stored for it."""
        ...

    def read_flow_run_pause(self, flow_run_id: UUID) -> dict[str, Any]:
        """``{"state_type", "pause_key", "input": {"schema", "description"} | None}``."""
        ...

    def create_flow_run_input(
        self, flow_run_id: UUID, key: str, value: Any, sender: str | None = None
    ) -> None:
        """Store a JSON value under ``key`` for the run (``ObjectAlreadyExists`` if taken)."""
        ...

    def read_flow_run_input(self, flow_run_id: UUID, key: str) -> Any:
        """The value under ``key``, None when there is none."""
        ...

    def read_flow_run_inputs(self, flow_run_id: UUID, key_prefix: str) -> list[tuple[str, Any]]:
        """``(key, value)`` of the inputs keyed ``{key_prefix}-…``, in key order."""
        ...

    def delete_flow_run_input(self, flow_run_id: UUID, key: str) -> bool: ...

    # -- artifacts (see headwater/artifacts.py) -------------------------------------------
    # -- transactions of flow runs (see schemas/transactions.py) ------------------------
    def write_transactions(self, records: Sequence[TransactionRecord]) -> None:
        """Transactions as they open and end (the batching writer's flush; its errors as
        for ``write_batch``)."""
        ...

    def read_transactions(self, flow_run_id: UUID) -> list[RunTransaction]:
        """A flow run's transactions in the order they opened; ``ObjectNotFound`` when
        there is no such flow run."""
        ...

    def write_artifacts(self, records: Sequence[ArtifactRecord]) -> None:
        """New artifacts and progress updates (the batching writer's flush; its errors
        as for ``write_batch``)."""
        ...

    def read_artifacts(
        self,
        *,
        artifact_filter: ArtifactFilter | None = None,
        limit: int = 200,
        offset: int = 0,
        with_data: bool = True,
    ) -> list[Artifact]:
        """Newest first; ``with_data=False`` leaves ``data`` out."""
        ...

    def count_artifacts(self, *, artifact_filter: ArtifactFilter | None = None) -> int: ...

    def read_artifact(self, artifact_id: UUID) -> Artifact:
        """``ObjectNotFound`` when there is no such artifact."""
        ...

    def read_latest_artifact(self, key: str) -> Artifact | None: ...

    def delete_artifact(self, artifact_id: UUID) -> bool: ...

    def delete_artifacts_by_key(self, key: str) -> int:
        """Delete every version of a key; how many there were."""
        ...

    # -- deployments ----------------------------------------------------------------------
    def apply_deployment(self, deployment: DeploymentCreate) -> Deployment:
        """Create or update (by flow and name, idempotently) a deployment."""
        ...

    def read_deployment(self, deployment_id: UUID) -> Deployment: ...

    def read_deployment_by_name(self, full_name: str) -> Deployment:
        """``flow-name/deployment-name``; ``DeploymentNotFound`` if there is none."""
        ...

    def read_deployments(
        self,
        *,
        deployment_filter: DeploymentFilter | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Deployment]: ...

    def update_deployment(self, deployment_id: UUID, changes: DeploymentUpdate) -> Deployment: ...

    def update_deployment_schedule(
        self, deployment_id: UUID, schedule_id: UUID, changes: ScheduleUpdate
    ) -> Deployment: ...

    def delete_deployment(self, deployment_id: UUID) -> None: ...

    def create_flow_run_from_deployment(
        self, deployment_id: UUID, run: DeploymentFlowRunCreate
    ) -> FlowRun:
        """A Scheduled run; ``ParameterValidationError`` when a parameter does not fit."""
        ...

    # -- work pools, queues, workers, claims -------------------------------------------
    def create_work_pool(self, pool: WorkPoolCreate) -> WorkPool: ...

    def read_work_pool(self, name: str) -> WorkPool: ...

    def read_work_pools(self, *, limit: int = 200, offset: int = 0) -> list[WorkPool]: ...

    def update_work_pool(self, name: str, changes: WorkPoolUpdate) -> WorkPool: ...

    def delete_work_pool(self, name: str) -> None: ...

    def create_work_queue(self, pool_name: str, queue: WorkQueueCreate) -> WorkQueue: ...

    def read_work_queue(self, pool_name: str, name: str) -> WorkQueue: ...

    def read_work_queues(self, pool_name: str) -> list[WorkQueue]: ...

    def update_work_queue(
        self, pool_name: str, name: str, changes: WorkQueueUpdate
    ) -> WorkQueue: ...

    def delete_work_queue(self, pool_name: str, name: str) -> None: ...

    def read_workers(self, pool_name: str) -> list[Worker]: ...

    def claim_flow_runs(self, request: ClaimRequest, *, pool_name: str | None) -> ClaimResult:
        """Claim due runs of a pool (``pool_name``) or of served deployments."""
        ...

    # -- run control ------------------------------------------------------------------------
    # -- background task runs (``Task.delay``) and task workers ---------------------
    def submit_task_runs(self, runs: list[TaskRunSubmit]) -> None:
        """Scheduled runs for task workers (idempotent by id); wakes their workers."""
        ...

    def claim_task_runs(self, request: TaskClaimRequest) -> TaskClaimResult:
        """Take submitted runs of ``request.task_keys`` (each run goes to one worker),
        renew the claims of ``watched_ids``; long-polls up to ``wait_seconds``."""
        ...

    def remove_task_worker(self, name: str) -> None:
        """A task worker that stops: no more wake-ups for it."""
        ...

    def cancel_flow_run(self, flow_run_id: UUID) -> State: ...

    def cancel_flow_runs(
        self, flow_run_filter: FlowRunFilter, *, limit: int = 1000
    ) -> list[UUID]: ...

    def heartbeat_flow_run(self, flow_run_id: UUID, *, pid: str | None = None) -> str:
        """The run's process is alive; returns the run's state type."""
        ...

    def crash_flow_run(
        self, flow_run_id: UUID, message: str, *, attempt_since: dt.datetime | None = None
    ) -> State:
        """The run's process is gone: Crashed (or AwaitingRetry); its state after.
        ``attempt_since``: the process ran the attempt claimed then; a run suspended
        or ended since is left as it is (a later attempt owns it)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Client: ...

    def __exit__(self, *exc_info: object) -> None: ...
