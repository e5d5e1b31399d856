"""The store's tables (SQLAlchemy Core).

Timestamps are seconds since the epoch (float): compact, fast to write in bulk, and
compared the same way on SQLite and PostgreSQL.  Schemas turn them into datetimes.
A task run is one row carrying its state transitions (``transitions``), so the hot
path writes one row per task rather than a row per state.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from headwater.server.db.metadata import metadata as metadata

# Events, automations, SLAs and incoming webhooks live in a module of their own (the
# same ``metadata``); their names stay importable from here.
from headwater.server.db.tables_events import automation_actions as automation_actions
from headwater.server.db.tables_events import automations as automations
from headwater.server.db.tables_events import events as events
from headwater.server.db.tables_events import sla_breaches as sla_breaches
from headwater.server.db.tables_events import slas as slas
from headwater.server.db.tables_events import webhooks as webhooks
from headwater.server.db.types import JSONType, UUIDType

flows = Table(
    "flows",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("tags", JSONType, nullable=False, default=list),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
)

flow_runs = Table(
    "flow_runs",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("flow_id", UUIDType, ForeignKey("flows.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("flow_version", String(200)),
    Column("parameters", JSONType, nullable=False, default=dict),
    Column("tags", JSONType, nullable=False, default=list),
    Column("parent_flow_run_id", UUIDType),
    Column("parent_task_run_id", UUIDType),
    Column("idempotency_key", String(500)),
    Column("state_type", String(16), nullable=False),
    Column("state_name", String(100), nullable=False),
    Column("state_message", Text),
    Column("state_timestamp", Double, nullable=False),
    Column("state_details", JSONType, nullable=False, default=dict),
    Column("run_count", Integer, nullable=False, default=0),
    Column("empirical_policy", JSONType, nullable=False, default=dict),
    Column("expected_start_time", Double),
    Column("next_scheduled_start_time", Double),
    Column("start_time", Double),
    Column("end_time", Double),
    Column("total_run_time", Double, nullable=False, default=0.0),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    # How another process loads the flow: "pkg.module:fn" or "/path/file.py:fn".
    Column("entrypoint", String(1000)),
    # -- deployments (issue 5) --
    Column("deployment_id", UUIDType),
    Column("work_pool_id", UUIDType),
    Column("work_queue_id", UUIDType),
    Column("schedule_id", UUIDType),
    Column("auto_scheduled", Boolean, nullable=False, default=False),
    # The worker (or serve process) that claimed the run, and the run's process id.
    Column("worker_name", String(200)),
    Column("infrastructure_pid", String(100)),
    # Last sign of life of the process running it (float epoch); zombies are found by it.
    Column("heartbeat", Double),
    UniqueConstraint("flow_id", "idempotency_key"),
    Index(None, "flow_id", "start_time"),
    Index(None, "state_type", "expected_start_time"),
    Index(None, "parent_flow_run_id"),
    Index(None, "created"),
    # Claims and the scheduler look for due runs by when they are next due.
    # (Named: the generated names exceed PostgreSQL's 63 characters.)
    Index(
        "ix_flow_runs__deployment_due", "deployment_id", "state_type", "next_scheduled_start_time"
    ),
    Index(
        "ix_flow_runs__work_queue_due", "work_queue_id", "state_type", "next_scheduled_start_time"
    ),
    Index(None, "state_type", "heartbeat"),
    # The UI (0005): the runs list, newest first, alone or by flow or deployment;
    # the dashboard counts runs by state in a window of expected start times.
    Index(None, "expected_start_time", "state_type"),
    Index(None, "flow_id", "expected_start_time"),
    Index(None, "deployment_id", "expected_start_time"),
    Index(None, "start_time"),
    Index(None, "name"),
)

# PostgreSQL keeps nulls after larger values, so an ascending index read backwards
# yields DESC NULLS FIRST, not the runs list's default order (newest first, nulls
# last): this index has that order.  SQLite's nulls sort first, so its plain index
# on expected_start_time read backwards already gives it.
Index(
    "ix_flow_runs__newest_first",
    flow_runs.c.expected_start_time.desc().nulls_last(),
    flow_runs.c.id,
).ddl_if(dialect="postgresql")

flow_run_states = Table(
    "flow_run_states",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column(
        "flow_run_id",
        UUIDType,
        ForeignKey("flow_runs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("type", String(16), nullable=False),
    Column("name", String(100), nullable=False),
    Column("message", Text),
    Column("timestamp", Double, nullable=False),
    Column("details", JSONType, nullable=False, default=dict),
)

task_runs = Table(
    "task_runs",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("flow_run_id", UUIDType, ForeignKey("flow_runs.id", ondelete="CASCADE")),
    Column("task_key", String(300), nullable=False),
    Column("dynamic_key", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("state_type", String(16), nullable=False),
    Column("state_name", String(100), nullable=False),
    Column("state_message", Text),
    Column("state_timestamp", Double, nullable=False),
    # [[type, name, timestamp, message], ...] oldest first.  Empty for the plain path
    # (Pending at ``created``, Running at ``start_time``, then the current state),
    # which is most task runs: the hot path then writes no JSON at all.
    Column("transitions", JSONType, nullable=False, default=list),
    Column("tags", JSONType, nullable=False, default=list),
    # lineage: {parameter name: [upstream task run ids]}, "__wait_for__" for wait_for=
    Column("inputs", JSONType, nullable=False, default=dict),
    Column("run_count", Integer, nullable=False, default=0),
    Column("flow_run_attempt", Integer, nullable=False, default=1),
    Column("cache_key", String(500)),
    Column("start_time", Double),
    Column("end_time", Double),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    # The persisted result's ref (storage URL, key, serializer, expiration, created).
    Column("result", JSONType),
    # Background task runs (``Task.delay``, see server/store/task_queue.py) only: the
    # submitted arguments (a ref: inline bytes or a result-storage key), the task
    # worker holding the run, and when a task worker may take it (its scheduled time
    # while unclaimed, the claim's expiry once claimed; cleared when it ends).
    Column("parameters", JSONType),
    Column("claimed_by", String(200)),
    Column("claimable_at", Double),
    Index(None, "flow_run_id", "created"),
    Index(None, "created", "state_type"),  # the dashboard's task-run counts
    # Partial: ordinary task runs (claimable_at NULL) cost the hot path nothing here.
    Index(
        None,
        "task_key",
        "claimable_at",
        sqlite_where=text("claimable_at IS NOT NULL"),
        postgresql_where=text("claimable_at IS NOT NULL"),
    ),
)

# Task workers (``headwater task serve``) seen by the store: the task keys they serve
# and, on the embedded store, the wake address a submission wakes them through.
task_workers = Table(
    "task_workers",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("task_keys", JSONType, nullable=False, default=list),
    Column("wake", String(200)),
    Column("hostname", String(255)),
    Column("pid", Integer),
    Column("last_heartbeat", Double, nullable=False),
)

logs = Table(
    "logs",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("flow_run_id", UUIDType, ForeignKey("flow_runs.id", ondelete="CASCADE")),
    Column("task_run_id", UUIDType),
    Column("name", String(200), nullable=False),
    Column("level", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("timestamp", Double, nullable=False),
    Index(None, "flow_run_id", "timestamp"),
    Index(None, "task_run_id"),
)

# -- blocks and variables --------------------------------------------------------------
block_types = Table(
    "block_types",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("slug", String(255), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("description", Text),
    Column("documentation_url", String(500)),
    # "package.module:Class" or "/path/to/file.py:Class": where the CLI finds the class.
    Column("import_path", String(1000)),
    # Built-in types: a user class cannot take over their slug.
    Column("is_protected", Boolean, nullable=False, default=False),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
)

block_schemas = Table(
    "block_schemas",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column(
        "block_type_id",
        UUIDType,
        ForeignKey("block_types.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("checksum", String(100), nullable=False),
    Column("version", String(50), nullable=False),
    Column("fields", JSONType, nullable=False, default=dict),  # JSON schema of the class
    Column("secret_fields", JSONType, nullable=False, default=list),  # dotted paths
    Column("capabilities", JSONType, nullable=False, default=list),
    Column("created", Double, nullable=False),
    UniqueConstraint("block_type_id", "checksum"),
)

block_documents = Table(
    "block_documents",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("block_type_id", UUIDType, ForeignKey("block_types.id"), nullable=False),
    Column("block_schema_id", UUIDType, ForeignKey("block_schemas.id"), nullable=False),
    # Field values; each secret one is {"$encrypted": Fernet token} (see blocks/encryption).
    Column("data", JSONType, nullable=False, default=dict),
    # A nested block saved with its parent (no name of its own; deleted with it).
    Column("is_anonymous", Boolean, nullable=False, default=False),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    UniqueConstraint("block_type_id", "name"),
)

block_document_references = Table(
    "block_document_references",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column(
        "parent_id", UUIDType, ForeignKey("block_documents.id", ondelete="CASCADE"), nullable=False
    ),
    Column("child_id", UUIDType, ForeignKey("block_documents.id"), nullable=False, index=True),
    Column("name", String(255), nullable=False),  # the parent's field
    UniqueConstraint("parent_id", "name"),
)

variables = Table(
    "variables",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("value", JSONType),
    Column("tags", JSONType, nullable=False, default=list),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
)

# -- artifacts: what runs publish (see server/store/artifacts.py) ------------------------
# One row per version: a keyed artifact's latest is its newest row.  No foreign key to
# the runs: an artifact outlives the run that made it (as in Prefect), and one made
# outside any run has neither id.
artifacts = Table(
    "artifacts",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("key", String(255)),
    Column("type", String(20), nullable=False),
    Column("description", Text),
    Column("data", Text),  # JSON text, as the client encoded it
    Column("flow_run_id", UUIDType),
    Column("task_run_id", UUIDType),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    Index(None, "key", "created"),
    Index(None, "flow_run_id", "created"),
    Index(None, "task_run_id"),
    Index(None, "created"),
)

# -- flow-run inputs: what a paused run waits for (its schema) and what it was sent ------
# Keyed per flow run: ``{pause key}-schema`` (written by the paused run),
# ``{pause key}-response`` (written by whoever resumed it), or any key of
# ``send_input``.  Deleted with the run.
flow_run_inputs = Table(
    "flow_run_inputs",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("flow_run_id", UUIDType, ForeignKey("flow_runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("value", Text, nullable=False),  # JSON text
    Column("sender", String(255)),
    Column("created", Double, nullable=False),
    UniqueConstraint("flow_run_id", "key"),
)

# -- leases: anything held on behalf of a process (see server/store/leases.py) ----------
# A lease holds ``slots`` units of each of its resources (a concurrency limit, a lock,
# a cache key) until ``expires``; its holder renews it (``expires = now + duration``).
# A lease past ``expires`` holds nothing, whether or not its rows were deleted yet.
leases = Table(
    "leases",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("resource", String(700), primary_key=True),
    Column("slots", Integer, nullable=False, default=1),
    Column("holder", String(200), nullable=False),
    Column("duration", Double, nullable=False),
    Column("expires", Double, nullable=False),
    # The runs it is held for: the UI links to them, and a run that ends frees them.
    Column("flow_run_id", UUIDType),
    Column("task_run_id", UUIDType),
    Column("created", Double, nullable=False),
    Index(None, "resource", "expires"),
    Index(None, "flow_run_id"),
    Index(None, "task_run_id"),
)

# Who waits for which resource, first come first served (``id`` orders them).  A waiter
# refreshes ``expires`` while it waits; ``wake`` is where a datagram wakes it (see
# core/wake.py), so a freed slot reaches the next waiter at once instead of a poll.
lease_waiters = Table(
    "lease_waiters",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("ticket", UUIDType, nullable=False),
    Column("resource", String(700), nullable=False),
    Column("slots", Integer, nullable=False),
    Column("wake", String(200)),
    Column("expires", Double, nullable=False),
    Column("created", Double, nullable=False),
    # Set when a release may hand this waiter its slots (a lease with the ticket as
    # its id): the lease's duration, holder and runs (``server/store/handoff.py``).
    Column("duration", Double),
    Column("holder", String(200)),
    Column("flow_run_id", UUIDType),
    Column("task_run_id", UUIDType),
    UniqueConstraint("ticket", "resource"),
    Index(None, "resource", "id"),
)


# -- concurrency limits: slots held as leases on ``limit:<id>`` -----------------------
# A tag limit on task runs is the limit named ``tag:<tag>``.  ``slot_decay_per_second``
# makes it a rate limit: slots taken by ``rate_limit`` are not given back but decay.
# ``held``: the slots of the limit's lease rows, live or expired but not yet deleted
# (kept with every insert and delete of such a row), so an uncontended slot is one
# conditional UPDATE (``server/store/slot_counts.py``).
concurrency_limits = Table(
    "concurrency_limits",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("limit", Integer, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("slot_decay_per_second", Double, nullable=False, default=0.0),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    Column("held", Integer, nullable=False, default=0, server_default="0"),
)


# -- deployments, work pools, workers ---------------------------------------------------
work_pools = Table(
    "work_pools",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("type", String(50), nullable=False),
    Column("description", Text),
    Column("paused", Boolean, nullable=False, default=False),
    Column("concurrency_limit", Integer),
    Column("base_job_template", JSONType, nullable=False, default=dict),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
)

work_queues = Table(
    "work_queues",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column(
        "work_pool_id", UUIDType, ForeignKey("work_pools.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    # Lower first: a worker serving several queues takes runs of priority 1 before 2.
    Column("priority", Integer, nullable=False, default=1),
    Column("concurrency_limit", Integer),
    Column("paused", Boolean, nullable=False, default=False),
    Column("last_polled", Double),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    UniqueConstraint("work_pool_id", "name"),
)

workers = Table(
    "workers",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column(
        "work_pool_id", UUIDType, ForeignKey("work_pools.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(200), nullable=False),
    Column("hostname", String(255)),
    Column("pid", Integer),
    Column("heartbeat_seconds", Double, nullable=False, default=30.0),
    Column("last_heartbeat", Double, nullable=False),
    Column("created", Double, nullable=False),
    UniqueConstraint("work_pool_id", "name"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("flow_id", UUIDType, ForeignKey("flows.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("version", String(200)),
    Column("tags", JSONType, nullable=False, default=list),
    Column("parameters", JSONType, nullable=False, default=dict),  # defaults
    Column("parameter_schema", JSONType, nullable=False, default=dict),  # JSON schema
    Column("entrypoint", String(1000), nullable=False),
    Column("source", String(1000)),  # a directory or a git URL, for people to read
    Column("pull_steps", JSONType, nullable=False, default=list),
    Column("work_pool_id", UUIDType, ForeignKey("work_pools.id", ondelete="SET NULL")),
    Column("work_queue_id", UUIDType, ForeignKey("work_queues.id", ondelete="SET NULL")),
    Column("job_variables", JSONType, nullable=False, default=dict),
    # The flow's retries and retry delays, applied to runs made from the deployment.
    Column("empirical_policy", JSONType, nullable=False, default=dict),
    Column("paused", Boolean, nullable=False, default=False),
    Column("concurrency_limit", Integer),
    Column("collision_strategy", String(20), nullable=False, default="enqueue"),
    Column("missed_runs", String(20), nullable=False, default="run_latest"),
    Column("lateness_limit_seconds", Double),
    Column("last_scheduler_pass", Double),
    # Served by a `serve` process (no work pool): when it last asked for runs.
    Column("last_polled", Double),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
    UniqueConstraint("flow_id", "name"),
)

deployment_schedules = Table(
    "deployment_schedules",
    metadata,
    # Stable across re-applies: uuid5(deployment id, the schedule's timing), so the
    # idempotency keys of its runs (scheduled:{deployment}:{schedule}:{time}) never change.
    Column("id", UUIDType, primary_key=True),
    Column(
        "deployment_id",
        UUIDType,
        ForeignKey("deployments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("schedule", JSONType, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("parameters", JSONType, nullable=False, default=dict),
    Column("created", Double, nullable=False),
    Column("updated", Double, nullable=False),
)


# -- transactions of flow runs (see server/store/transactions.py) -----------------------
# One row per transaction a flow run opened (``with transaction()``, and the attempt's
# implicit one when tasks with commit or rollback hooks joined it), written by the
# batching writer when it opens (OPEN) and when it ends; an ended row never changes.
run_transactions = Table(
    "run_transactions",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("flow_run_id", UUIDType, ForeignKey("flow_runs.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", UUIDType),  # the enclosing transaction (no foreign key: any run's)
    Column("key", String(500)),
    Column("implicit", Boolean, nullable=False),
    Column("isolation_level", String(20), nullable=False),
    Column("commit_mode", String(10), nullable=False),
    Column("outcome", String(16), nullable=False),  # OPEN, COMMITTED, ROLLED_BACK
    Column("reused", Boolean, nullable=False),  # its key was committed already
    Column("flow_run_attempt", Integer, nullable=False),
    Column("start_time", Double, nullable=False),
    Column("end_time", Double),
    Column("task_run_ids", JSONType, nullable=False, default=list),
    Column("task_count", Integer, nullable=False),
    Column("hooks", JSONType, nullable=False, default=list),  # [{name, kind, ok, error, ...}]
    Column("hook_count", Integer, nullable=False),
    Column("failed_hook_count", Integer, nullable=False),
    Index(None, "flow_run_id", "start_time"),
)

# -- UI sessions (see server/ui/session.py) ---------------------------------------------
# One row per signed-in browser.  ``id`` is HMAC-SHA256(API key, cookie token): the
# cookie's value is never stored, and a new API key makes every old session unknown.
ui_sessions = Table(
    "ui_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created", Double, nullable=False),
    Column("last_seen", Double, nullable=False),
    Column("expires", Double, nullable=False),  # the absolute end: created + lifetime
    Index(None, "expires"),
    Index(None, "last_seen"),
)

# -- saved filters: named views of a UI list (see server/store/saved_filters.py) ---------
# ``query`` is the list page's query string; ``page`` names the list ("flow-runs").
saved_filters = Table(
    "saved_filters",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("page", String(50), nullable=False),
    Column("name", String(100), nullable=False),
    Column("query", Text, nullable=False),
    Column("created", Double, nullable=False),
    UniqueConstraint("page", "name"),
)
