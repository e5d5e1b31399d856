"""Claiming due runs: priorities, pauses, concurrency limits, and racing claimers."""

from __future__ import annotations

import threading
import time

import pytest

from headwater.schemas.deployments import DeploymentFlowRunCreate
from headwater.schemas.work_pools import (
    ClaimRequest,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from headwater.server.db.database import get_database, open_database
from headwater.server.store import claims, deployment_runs, flow_runs, work_pools
from headwater.states import Completed
from tests.deployment_helpers import apply, make_pool, run_of


def _claim(db, limit=10, **kw):
    with db.begin_write() as conn:
        pool_id = work_pools.pool_id_by_name(conn, kw.pop("pool", "pool"))
        return claims.claim_flow_runs(
            conn, worker_name="w", limit=limit, work_pool_id=pool_id, **kw
        )


def _state(db, run_id):
    with db.begin_read() as conn:
        return flow_runs.read_flow_run(conn, flow_run_id=run_id).state.name


def test_claims_take_due_runs_once_by_queue_priority(database_url: str) -> None:
    db = get_database(database_url)
    make_pool(db)
    with db.begin_write() as conn:
        work_pools.create_work_queue(
            conn, pool_name="pool", queue=WorkQueueCreate(name="urgent", priority=1)
        )
        work_pools.update_work_queue(
            conn,
            pool_name="pool",
            name="default",
            changes=WorkQueueUpdate(priority=5),
        )
    d = apply(db, work_pool_name="pool")
    normal = run_of(db, d.id)
    urgent = run_of(db, d.id, work_queue_name="urgent")
    later = run_of(db, d.id, scheduled_time=time.time() + 3600)
    assert _claim(db, limit=1) == [urgent["id"]]
    assert _claim(db) == [normal["id"]]
    assert _claim(db) == []
    assert _state(db, urgent["id"]) == "Pending" and _state(db, later["id"]) == "Scheduled"
    with db.begin_read() as conn:
        run = flow_runs.read_flow_run(conn, flow_run_id=urgent["id"])
    assert run.worker_name == "w" and run.heartbeat is not None


def test_paused_pools_and_queues_give_nothing(database_url: str) -> None:
    db = get_database(database_url)
    make_pool(db)
    d = apply(db, work_pool_name="pool")
    run_of(db, d.id)
    with db.begin_write() as conn:
        work_pools.update_work_pool(conn, name="pool", changes=WorkPoolUpdate(paused=True))
    assert _claim(db) == []
    with db.begin_write() as conn:
        work_pools.update_work_pool(conn, name="pool", changes=WorkPoolUpdate(paused=False))
    assert _claim(db, work_queue_names=["other"]) == []
    assert len(_claim(db, work_queue_names=["default"])) == 1


def test_deployment_concurrency_limit_enqueue_and_cancel_new(database_url: str) -> None:
    db = get_database(database_url)
    make_pool(db)
    queued = apply(db, name="queued", work_pool_name="pool", concurrency_limit=1)
    strict = apply(
        db,
        name="strict",
        work_pool_name="pool",
        concurrency_limit=1,
        collision_strategy="cancel_new",
    )
    q1, q2 = run_of(db, queued.id), run_of(db, queued.id)
    s1, s2 = run_of(db, strict.id), run_of(db, strict.id)
    claimed = set(_claim(db))
    assert claimed == {q1["id"], s1["id"]}
    assert _state(db, q2["id"]) == "Scheduled"  # waits for a free slot
    assert _state(db, s2["id"]) == "Cancelled"
    with db.begin_write() as conn:
        flow_runs.set_flow_run_state(conn, flow_run_id=q1["id"], state=Completed(), force=True)
    assert _claim(db) == [q2["id"]]


def test_queue_and_pool_concurrency_limits(database_url: str) -> None:
    db = get_database(database_url)
    make_pool(db, concurrency_limit=3)
    with db.begin_write() as conn:
        work_pools.create_work_queue(
            conn, pool_name="pool", queue=WorkQueueCreate(name="narrow", concurrency_limit=1)
        )
    d = apply(db, work_pool_name="pool")
    for _ in range(3):
        run_of(db, d.id, work_queue_name="narrow")
    for _ in range(4):
        run_of(db, d.id)
    first = _claim(db, limit=100)
    assert len(first) == 3  # the pool's limit
    with db.begin_read() as conn:
        runs = flow_runs.read_flow_runs(conn, limit=100)
    narrow = [r for r in runs if r.id in first and r.work_queue_id != d.work_queue_id]
    assert len(narrow) <= 1


def test_serve_claims_runs_of_its_deployments_only(database_url: str) -> None:
    db = get_database(database_url)
    make_pool(db)
    served = apply(db, name="served")
    pooled = apply(db, name="pooled", work_pool_name="pool")
    mine = run_of(db, served.id)
    run_of(db, pooled.id)
    with db.begin_write() as conn:
        got = claims.claim_flow_runs(
            conn, worker_name="serve", limit=10, deployment_ids=[served.id, pooled.id]
        )
    assert got == [mine["id"]]


@pytest.mark.parametrize("claimers", [2])
def test_racing_claimers_take_each_run_exactly_once(database_url: str, claimers: int) -> None:
    """Two claimers with their own engines race for 200 runs."""
    db = get_database(database_url)
    make_pool(db)
    d = apply(db, work_pool_name="pool")
    with db.begin_write() as conn:
        for _ in range(200):
            deployment_runs.create_deployment_flow_run(
                conn, deployment_id=d.id, run=DeploymentFlowRunCreate()
            )
    taken: dict[str, list] = {}
    errors: list[BaseException] = []

    def claim(name: str) -> None:
        own = open_database(database_url)
        got: list = []
        try:
            while True:
                result = claims.poll_once(
                    own,
                    request=ClaimRequest(worker_name=name, limit=7),
                    pool_name="pool",
                )
                if not result.flow_runs:
                    break
                got.extend(r.id for r in result.flow_runs)
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()
            taken[name] = got

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(claimers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    everything = [run_id for got in taken.values() for run_id in got]
    assert len(everything) == 200 and len(set(everything)) == 200
    with db.begin_read() as conn:
        runs = flow_runs.read_flow_runs(conn, limit=1000)
    assert {r.state.name for r in runs} == {"Pending"}
    assert {r.worker_name for r in runs} <= set(taken)


def test_a_saturated_high_priority_queue_never_starves_the_others(database_url: str) -> None:
    db = get_database(database_url)
    make_pool(db)
    with db.begin_write() as conn:
        work_pools.create_work_queue(
            conn,
            pool_name="pool",
            queue=WorkQueueCreate(name="urgent", priority=1, concurrency_limit=1),
        )
        work_pools.update_work_queue(
            conn, pool_name="pool", name="default", changes=WorkQueueUpdate(priority=5)
        )
    d = apply(db, work_pool_name="pool")
    backlog = [run_of(db, d.id, work_queue_name="urgent")["id"] for _ in range(40)]
    normal = [run_of(db, d.id)["id"] for _ in range(3)]
    # One claim: the urgent queue fills up after its first run, the rest comes from
    # the queue after it.
    first = _claim(db, limit=3)
    assert first[0] in backlog and first[1:] == normal[:2]
    # Later claims: the saturated urgent queue is skipped in SQL, before the LIMIT.
    assert _claim(db, limit=1) == [normal[2]]
    assert _claim(db, limit=1) == []


def test_a_saturated_deployment_never_starves_the_others(database_url: str) -> None:
    db = get_database(database_url)
    make_pool(db)
    busy = apply(db, name="busy", work_pool_name="pool", concurrency_limit=1)
    other = apply(db, name="other", work_pool_name="pool")
    early = time.time() - 60
    backlog = [run_of(db, busy.id, scheduled_time=early)["id"] for _ in range(40)]
    waiting = run_of(db, other.id)["id"]
    assert _claim(db, limit=1) == [backlog[0]]
    assert _claim(db, limit=1) == [waiting]
    assert _state(db, backlog[1]) == "Scheduled"


def test_a_run_that_cannot_be_sent_is_not_claimed_into_the_void(database_url: str) -> None:
    """A value stored before the edge refused it (a lone surrogate, on SQLite) fails
    its run inside the claim's transaction; the other runs are claimed and sent."""
    if database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL never stored a lone surrogate: the case cannot arise there")
    from sqlalchemy import text

    db = get_database(database_url)
    make_pool(db)
    d = apply(db, work_pool_name="pool")
    bad, good = run_of(db, d.id)["id"], run_of(db, d.id)["id"]
    with db.begin_write() as conn:
        conn.execute(
            text("UPDATE flow_runs SET parameters = :p WHERE id = :id"),
            {"p": '{"n": "\\ud800"}', "id": bad.bytes},
        )
    result = claims.poll_once(db, request=ClaimRequest(worker_name="w"), pool_name="pool")
    assert [r.id for r in result.flow_runs] == [good]
    result.model_dump_json()  # what the API sends
    with db.begin_read() as conn:
        state = flow_runs.read_flow_run(conn, flow_run_id=bad).state
    assert state.name == "Crashed" and "cannot be sent" in (state.message or "")
