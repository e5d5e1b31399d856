"""Work pools, their queues, and the workers that poll them."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, delete, select, update

from headwater.exceptions import ObjectAlreadyExists, WorkPoolNotFound
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import work_pools, work_queues, workers
from headwater.utilities.ids import new_id

if TYPE_CHECKING:
    from headwater.schemas.work_pools import (
        Worker,
        WorkPool,
        WorkPoolCreate,
        WorkPoolUpdate,
        WorkQueue,
        WorkQueueCreate,
        WorkQueueUpdate,
    )

DEFAULT_QUEUE = "default"
#: A worker is online while seen within this many of its heartbeat intervals.
OFFLINE_AFTER_HEARTBEATS = 3


# -- pools ------------------------------------------------------------------------------
def create_work_pool(conn: Connection, *, pool: WorkPoolCreate) -> WorkPool:
    """A new pool with its ``default`` queue; ``ObjectAlreadyExists`` if the name is taken."""
    if conn.execute(select(work_pools.c.id).where(work_pools.c.name == pool.name)).first():
        raise ObjectAlreadyExists(f"work pool {pool.name!r} already exists")
    now = time.time()
    pool_id = new_id()
    conn.execute(
        work_pools.insert().values(
            id=pool_id,
            name=pool.name,
            type=pool.type,
            description=pool.description,
            base_job_template=pool.base_job_template,
            paused=pool.paused,
            concurrency_limit=pool.concurrency_limit or None,
            created=now,
            updated=now,
        )
    )
    _insert_queue(conn, pool_id, DEFAULT_QUEUE, now, description="The pool's default queue.")
    _emit(conn, "work-pool", "created", pool_id, pool.name)
    return read_work_pool(conn, name=pool.name)


def _emit(
    conn: Connection,
    kind: str,
    what: str,
    object_id: UUID,
    name: str,
    pool: tuple[UUID, str] | None = None,
) -> None:
    from headwater.server.events import domain
    from headwater.server.store import events

    related = []
    if pool is not None:
        related.append(
            {
                domain.ID: f"headwater.work-pool.{pool[0]}",
                domain.ROLE: "work-pool",
                domain.NAME: pool[1],
            }
        )
    event = domain.object_event(kind, what, object_id, name, related=related)
    events.record_events(conn, [event])


def _insert_queue(
    conn: Connection,
    pool_id: UUID,
    name: str,
    now: float,
    *,
    description: str | None = None,
    priority: int = 1,
    concurrency_limit: int | None = None,
    paused: bool = False,
) -> UUID:
    queue_id = new_id()
    stmt = insert_for(conn, work_queues).values(
        id=queue_id,
        work_pool_id=pool_id,
        name=name,
        description=description,
        priority=priority,
        concurrency_limit=concurrency_limit or None,
        paused=paused,
        last_polled=None,
        created=now,
        updated=now,
    )
    conn.execute(stmt.on_conflict_do_nothing())
    found = conn.execute(
        select(work_queues.c.id).where(
            work_queues.c.work_pool_id == pool_id, work_queues.c.name == name
        )
    ).scalar_one()
    return UUID(str(found))


def _pool_row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(work_pools).where(work_pools.c.name == name)).first()
    if row is None:
        known = conn.execute(select(work_pools.c.name).order_by(work_pools.c.name).limit(20))
        names = ", ".join(repr(n) for n in known.scalars()) or "none yet"
        raise WorkPoolNotFound(
            f"work pool {name!r} not found (pools: {names}); "
            f"create it with `headwater work-pool create {name} --type process`"
        )
    return row


def pool_id_by_name(conn: Connection, name: str) -> UUID:
    return UUID(str(_pool_row(conn, name).id))


def _online_cutoff(now: float) -> Any:
    return workers.c.last_heartbeat >= now - OFFLINE_AFTER_HEARTBEATS * workers.c.heartbeat_seconds


def _pool_schema(conn: Connection, row: Any) -> WorkPool:
    from headwater.schemas.work_pools import WorkPool

    if row.paused:
        status = "PAUSED"
    else:
        online = conn.execute(
            select(workers.c.id)
            .where(workers.c.work_pool_id == row.id, _online_cutoff(time.time()))
            .limit(1)
        ).first()
        status = "READY" if online else "NOT_READY"
    return WorkPool.model_validate({**row._mapping, "status": status})


def read_work_pool(conn: Connection, *, name: str) -> WorkPool:
    return _pool_schema(conn, _pool_row(conn, name))


def read_work_pools(conn: Connection, *, limit: int = 200, offset: int = 0) -> list[WorkPool]:
    rows = conn.execute(select(work_pools).order_by(work_pools.c.name).limit(limit).offset(offset))
    return [_pool_schema(conn, row) for row in rows.all()]


def update_work_pool(conn: Connection, *, name: str, changes: WorkPoolUpdate) -> WorkPool:
    row = _pool_row(conn, name)
    values = changes.model_dump(exclude_unset=True, exclude_none=True)
    if "concurrency_limit" in values:
        values["concurrency_limit"] = values["concurrency_limit"] or None
    if values:
        values["updated"] = time.time()
        conn.execute(update(work_pools).where(work_pools.c.id == row.id).values(**values))
        from headwater.server.events.domain import pause_change

        what = pause_change(values) if values.get("paused") != row.paused else None
        _emit(conn, "work-pool", what or "updated", row.id, name)
    return read_work_pool(conn, name=name)


def delete_work_pool(conn: Connection, *, name: str) -> None:
    """Delete a pool, its queues and workers; its deployments keep no pool (their runs
    wait until the deployment is re-applied to another pool)."""
    row = _pool_row(conn, name)
    conn.execute(delete(work_pools).where(work_pools.c.id == row.id))
    _emit(conn, "work-pool", "deleted", row.id, name)


# -- queues -----------------------------------------------------------------------------
_QUEUE_COLUMNS = (*work_queues.c, work_pools.c.name.label("work_pool_name"))


def _queue_query() -> Any:
    return select(*_QUEUE_COLUMNS).join(work_pools, work_pools.c.id == work_queues.c.work_pool_id)


def create_work_queue(conn: Connection, *, pool_name: str, queue: WorkQueueCreate) -> WorkQueue:
    pool = _pool_row(conn, pool_name)
    exists = conn.execute(
        select(work_queues.c.id).where(
            work_queues.c.work_pool_id == pool.id, work_queues.c.name == queue.name
        )
    ).first()
    if exists:
        raise ObjectAlreadyExists(f"work queue {queue.name!r} already exists in {pool_name!r}")
    _insert_queue(
        conn,
        pool.id,
        queue.name,
        time.time(),
        description=queue.description,
        priority=queue.priority,
        concurrency_limit=queue.concurrency_limit,
        paused=queue.paused,
    )
    return read_work_queue(conn, pool_name=pool_name, name=queue.name)


def ensure_work_queue(conn: Connection, *, pool_id: UUID, name: str) -> UUID:
    """The id of the pool's queue called ``name``, created if missing (as deploying does)."""
    return _insert_queue(conn, pool_id, name, time.time())


def _queue_row(conn: Connection, pool_name: str, name: str) -> Any:
    pool = _pool_row(conn, pool_name)
    row = conn.execute(
        _queue_query().where(work_queues.c.work_pool_id == pool.id, work_queues.c.name == name)
    ).first()
    if row is None:
        raise WorkPoolNotFound(
            f"work queue {name!r} not found in pool {pool_name!r}; "
            f"`headwater work-queue ls --pool {pool_name}` lists its queues"
        )
    return row


def read_work_queue(conn: Connection, *, pool_name: str, name: str) -> WorkQueue:
    from headwater.schemas.work_pools import WorkQueue

    return WorkQueue.model_validate(dict(_queue_row(conn, pool_name, name)._mapping))


def read_work_queues(conn: Connection, *, pool_name: str) -> list[WorkQueue]:
    from headwater.schemas.work_pools import WorkQueue

    pool = _pool_row(conn, pool_name)
    rows = conn.execute(
        _queue_query()
        .where(work_queues.c.work_pool_id == pool.id)
        .order_by(work_queues.c.priority, work_queues.c.name)
    )
    return [WorkQueue.model_validate(dict(row._mapping)) for row in rows]


def update_work_queue(
    conn: Connection, *, pool_name: str, name: str, changes: WorkQueueUpdate
) -> WorkQueue:
    row = _queue_row(conn, pool_name, name)
    values = changes.model_dump(exclude_unset=True, exclude_none=True)
    if "concurrency_limit" in values:
        values["concurrency_limit"] = values["concurrency_limit"] or None
    if values:
        values["updated"] = time.time()
        conn.execute(update(work_queues).where(work_queues.c.id == row.id).values(**values))
        from headwater.server.events.domain import pause_change

        what = pause_change(values) if values.get("paused") != row.paused else None
        pool = (row.work_pool_id, pool_name)
        _emit(conn, "work-queue", what or "updated", row.id, name, pool)
    return read_work_queue(conn, pool_name=pool_name, name=name)


def delete_work_queue(conn: Connection, *, pool_name: str, name: str) -> None:
    if name == DEFAULT_QUEUE:
        from headwater.exceptions import InvalidOptionError

        raise InvalidOptionError("the default queue cannot be deleted (delete the pool instead)")
    row = _queue_row(conn, pool_name, name)
    conn.execute(delete(work_queues).where(work_queues.c.id == row.id))
    _emit(conn, "work-queue", "deleted", row.id, name, (row.work_pool_id, pool_name))


# -- workers ----------------------------------------------------------------------------
def worker_heartbeat(
    conn: Connection,
    *,
    pool_id: UUID,
    name: str,
    hostname: str | None,
    pid: int | None,
    heartbeat_seconds: float,
    now: float | None = None,
) -> None:
    """Record that a worker is alive (creating its row on first sight)."""
    now = now if now is not None else time.time()
    previous = conn.execute(
        select(workers.c.id, workers.c.last_heartbeat, workers.c.heartbeat_seconds).where(
            workers.c.work_pool_id == pool_id, workers.c.name == name
        )
    ).first()
    changed = conn.execute(
        update(workers)
        .where(workers.c.work_pool_id == pool_id, workers.c.name == name)
        .values(last_heartbeat=now, hostname=hostname, pid=pid, heartbeat_seconds=heartbeat_seconds)
    ).rowcount
    if changed and previous is not None:
        grace = OFFLINE_AFTER_HEARTBEATS * previous.heartbeat_seconds
        offline_since = previous.last_heartbeat + grace
        if offline_since < now:  # it had gone offline: it is back
            _worker_online(conn, pool_id, previous.id, name)
        return
    stmt = insert_for(conn, workers).values(
        id=new_id(),
        work_pool_id=pool_id,
        name=name,
        hostname=hostname,
        pid=pid,
        heartbeat_seconds=heartbeat_seconds,
        last_heartbeat=now,
        created=now,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["work_pool_id", "name"], set_={"last_heartbeat": now}
        )
    )
    worker_id = conn.execute(
        select(workers.c.id).where(workers.c.work_pool_id == pool_id, workers.c.name == name)
    ).scalar_one()
    _worker_online(conn, pool_id, worker_id, name)


def _worker_online(conn: Connection, pool_id: UUID, worker_id: UUID, name: str) -> None:
    pool_name = conn.execute(select(work_pools.c.name).where(work_pools.c.id == pool_id)).scalar()
    _emit(conn, "worker", "online", worker_id, name, (pool_id, pool_name or ""))


def read_workers(conn: Connection, *, pool_name: str) -> list[Worker]:
    from headwater.schemas.work_pools import Worker

    pool = _pool_row(conn, pool_name)
    now = time.time()
    rows = conn.execute(
        select(workers)
        .where(workers.c.work_pool_id == pool.id)
        .order_by(workers.c.last_heartbeat.desc())
    )
    return [
        Worker.model_validate(
            {
                **row._mapping,
                "work_pool_name": pool.name,
                "online": row.last_heartbeat
                >= now - OFFLINE_AFTER_HEARTBEATS * row.heartbeat_seconds,
            }
        )
        for row in rows
    ]
