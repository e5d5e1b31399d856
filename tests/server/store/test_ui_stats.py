"""Counts for the work-pool and block pages."""

from __future__ import annotations

import time

from headwater.blocks.builtins import register_builtin_block_types
from headwater.client.local import LocalClient
from headwater.schemas.work_pools import WorkQueueCreate
from headwater.server.db.database import get_database
from headwater.server.store import blocks, work_pool_stats, work_pools
from headwater.states import Completed
from tests.deployment_helpers import apply, make_pool, run_of


def test_pool_counts_queues_workers_online_and_due_runs(database_url: str) -> None:
    db = get_database(database_url)
    pool = make_pool(db, "busy")
    idle = make_pool(db, "idle")
    with db.begin_write() as conn:
        work_pools.create_work_queue(conn, pool_name="busy", queue=WorkQueueCreate(name="fast"))
        now = time.time()
        for name, seen in (("up", now), ("gone", now - 600)):
            work_pools.worker_heartbeat(
                conn,
                pool_id=pool.id,
                name=name,
                hostname="h",
                pid=1,
                heartbeat_seconds=30,
                now=seen,
            )
    d = apply(db, work_pool_name="busy")
    due = [run_of(db, d.id), run_of(db, d.id, work_queue_name="fast"), run_of(db, d.id)]
    run_of(db, d.id, scheduled_time=time.time() + 3600)  # not due yet: not waiting
    from headwater.server.store import flow_runs

    with db.begin_write() as conn:  # a finished run is not waiting either
        flow_runs.set_flow_run_state(conn, flow_run_id=due[2]["id"], state=Completed(), force=True)
        counts = work_pool_stats.pool_counts(conn)
        by_queue = work_pool_stats.waiting_by_queue(conn, pool_id=pool.id)
        queues = {q.name: str(q.id) for q in work_pools.read_work_queues(conn, pool_name="busy")}
        online = {w.name: w.online for w in work_pools.read_workers(conn, pool_name="busy")}
    busy = counts[str(pool.id)]
    assert (busy.queues, busy.workers, busy.workers_online, busy.runs_waiting) == (2, 2, 1, 2)
    assert online == {"up": True, "gone": False}, "the same cutoff as the store's own"
    assert by_queue == {queues["default"]: 1, queues["fast"]: 1}
    quiet = counts[str(idle.id)]
    assert (quiet.queues, quiet.workers, quiet.workers_online, quiet.runs_waiting) == (1, 0, 0, 0)


def test_documents_per_type_counts_named_blocks_only(database_url: str) -> None:
    from headwater.schemas.blocks import BlockDocumentCreate
    from headwater.server.store import block_stats

    register_builtin_block_types(LocalClient(database_url))
    db = get_database(database_url)
    with db.begin_write() as conn:
        checksum = blocks.read_block_type(conn, slug="string").latest_schema.checksum
        for name in ("a", "b", None):  # None: an anonymous block, not listed or counted
            document = BlockDocumentCreate(
                name=name,
                block_type_slug="string",
                block_schema_checksum=checksum,
                data={"value": "x"},
            )
            blocks.save_block_document(conn, document=document)
        assert block_stats.documents_per_type(conn) == {"string": 2}
