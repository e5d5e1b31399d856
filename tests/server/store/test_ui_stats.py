"""Counts for the work-pool pages, and the built-in block types registered at start."""

from __future__ import annotations

import time

from headwater.schemas.work_pools import WorkQueueCreate
from headwater.server.db.database import get_database
from headwater.server.store import blocks, work_pool_stats, work_pools
from headwater.server.store.builtin_blocks import register_builtin_block_types
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


def test_builtin_block_types_register_once_and_again_changes_nothing(database_url: str) -> None:
    db = get_database(database_url)
    with db.begin_write() as conn:
        first = register_builtin_block_types(conn)
    with db.begin_write() as conn:
        again = register_builtin_block_types(conn)
        types = {t.slug: t for t in blocks.read_block_types(conn)}
    assert first == again
    for slug in (
        "secret",
        "json",
        "string",
        "webhook",
        "slack-webhook",
        "sqlalchemy-connector",
        "local-file-system",
        "remote-file-system",
    ):
        assert slug in types and types[slug].is_protected
        assert types[slug].latest_schema is not None
    assert types["secret"].latest_schema.secret_fields == ["value"]
    with db.begin_read() as conn:
        from sqlalchemy import func, select

        from headwater.server.db.tables import block_schemas

        assert conn.execute(select(func.count()).select_from(block_schemas)).scalar_one() == len(
            types
        ), "one schema per type: registering again adds none"


def test_documents_per_type_counts_named_blocks_only(database_url: str) -> None:
    from headwater.schemas.blocks import BlockDocumentCreate
    from headwater.server.store import block_stats

    db = get_database(database_url)
    with db.begin_write() as conn:
        register_builtin_block_types(conn)
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
