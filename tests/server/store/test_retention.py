"""Retention on SQLite and PostgreSQL: exact counts, dry runs, what must stay."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from benchmarks._retention_seed import DAY, seed, timed_log_writer
from headwater.server.db.database import get_database
from headwater.server.db.tables import (
    artifacts,
    flow_run_inputs,
    flow_run_states,
    flow_runs,
    logs,
    run_transactions,
    task_runs,
)
from headwater.server.store.retention import cutoff_for, default_storage_root, prune

TABLES = {
    "flow runs": flow_runs,
    "task runs": task_runs,
    "logs": logs,
    "state history": flow_run_states,
    "artifacts": artifacts,
    "flow-run inputs": flow_run_inputs,
    "transactions": run_transactions,
}


def _counts(db: Any) -> dict[str, int]:
    with db.begin_read() as conn:
        return {
            kind: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for kind, t in TABLES.items()
        }


def _extras(db: Any, run_ids: list[uuid.UUID]) -> None:
    """An artifact, a flow-run input and a transaction's record on each of these runs."""
    now = time.time()
    with db.begin_write() as conn:
        conn.execute(
            artifacts.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "key": None,
                    "type": "markdown",
                    "description": None,
                    "data": '"x"',
                    "flow_run_id": r,
                    "task_run_id": None,
                    "created": now,
                    "updated": now,
                }
                for r in run_ids
            ],
        )
        conn.execute(
            flow_run_inputs.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "flow_run_id": r,
                    "key": "k",
                    "value": "1",
                    "sender": None,
                    "created": now,
                }
                for r in run_ids
            ],
        )
        conn.execute(
            run_transactions.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "flow_run_id": r,
                    "implicit": False,
                    "isolation_level": "READ_COMMITTED",
                    "commit_mode": "LAZY",
                    "outcome": "COMMITTED",
                    "reused": False,
                    "flow_run_attempt": 1,
                    "start_time": now,
                    "task_run_ids": [],
                    "task_count": 0,
                    "hooks": [],
                    "hook_count": 0,
                    "failed_hook_count": 0,
                }
                for r in run_ids
            ],
        )


def _run_ids(db: Any, flow_id: uuid.UUID, state_type: str) -> list[uuid.UUID]:
    c = flow_runs.c
    with db.begin_read() as conn:
        query = select(c.id).where(c.flow_id == flow_id, c.state_type == state_type)
        return list(conn.execute(query).scalars())


def test_prune_deletes_exactly_the_old_finished_runs_and_all_they_own(database_url: str) -> None:
    db = get_database(database_url)
    before = _counts(db)
    seeded = seed(db, old=230, kept=30, tasks_per_run=2, logs_per_run=3)
    old_completed = _run_ids(db, seeded.flow_id, "COMPLETED")
    with db.begin_read() as conn:
        recent = set(
            conn.execute(
                select(flow_runs.c.id).where(flow_runs.c.end_time > cutoff_for(30))
            ).scalars()
        )
    old_ids = [r for r in old_completed if r not in recent]
    assert len(old_ids) == 230
    _extras(db, old_ids[:40] + list(recent)[:5])

    dry = prune(db, cutoff=cutoff_for(30), dry_run=True, batch=50)
    assert _counts(db)["flow runs"] == before["flow runs"] + 260  # nothing went
    expected = {
        "flow runs": 230,
        "task runs": 460,
        "logs": 690,
        "state history": 460,
        "artifacts": 40,
        "flow-run inputs": 40,
        "transactions": 40,  # were deleted by the cascade, uncounted
        "result files": 0,
    }
    assert dry.counts == expected
    assert dry.batches == 5

    done = prune(db, cutoff=cutoff_for(30), batch=50, pause=0)
    assert done.counts == expected
    after = _counts(db)
    assert after == {
        "flow runs": before["flow runs"] + 30,
        "task runs": before["task runs"] + 60,
        "logs": before["logs"] + 90,
        "state history": before["state history"] + 60,
        "artifacts": before["artifacts"] + 5,
        "flow-run inputs": before["flow-run inputs"] + 5,
        "transactions": before["transactions"] + 5,
    }
    # the kept ones: Running (even 60 days old), Scheduled, Completed yesterday
    for state_type, n in (("RUNNING", 10), ("SCHEDULED", 10), ("COMPLETED", 10)):
        assert len(_run_ids(db, seeded.flow_id, state_type)) == n
    assert prune(db, cutoff=cutoff_for(30)).flow_runs == 0  # a second pass: nothing left


def test_subflows_go_with_their_parents_never_alone_and_never_unfinished(
    database_url: str,
) -> None:
    db = get_database(database_url)
    seeded = seed(db, old=4, kept=3, tasks_per_run=0, logs_per_run=0)
    a, b, c_, d = _run_ids(db, seeded.flow_id, "COMPLETED")[:4]
    recent = next(r for r in _run_ids(db, seeded.flow_id, "COMPLETED") if r not in (a, b, c_, d))
    running = _run_ids(db, seeded.flow_id, "RUNNING")[0]
    with db.begin_write() as conn:
        parent = flow_runs.c.parent_flow_run_id
        # b is a subflow of a (both old, done): both go
        conn.execute(update(flow_runs).where(flow_runs.c.id == b).values({parent: a}))
        # the old Running run is a subflow of c_: c_ stays, and so does it
        conn.execute(update(flow_runs).where(flow_runs.c.id == running).values({parent: c_}))
        # d (old, done) is a subflow of a recent run: it stays with its parent
        conn.execute(update(flow_runs).where(flow_runs.c.id == d).values({parent: recent}))
    report = prune(db, cutoff=cutoff_for(30), pause=0)
    assert report.flow_runs == 2
    with db.begin_read() as conn:
        left = set(
            conn.execute(
                select(flow_runs.c.id).where(flow_runs.c.flow_id == seeded.flow_id)
            ).scalars()
        )
    assert a not in left and b not in left
    assert {c_, d, recent, running} <= left


def test_result_files_go_only_from_headwater_s_own_storage(
    database_url: str, headwater_home: Path, tmp_path: Path
) -> None:
    db = get_database(database_url)
    seeded = seed(db, old=2, kept=1, tasks_per_run=1, logs_per_run=0)
    old_runs = _run_ids(db, seeded.flow_id, "COMPLETED")
    root = default_storage_root(headwater_home)
    user = tmp_path / "user-results"
    files = {}
    with db.begin_write() as conn:
        rows = conn.execute(
            select(task_runs.c.id, task_runs.c.flow_run_id, flow_runs.c.end_time)
            .join(flow_runs, flow_runs.c.id == task_runs.c.flow_run_id)
            .where(flow_runs.c.flow_id == seeded.flow_id)
        ).all()
        for i, row in enumerate(rows):
            key = f"task-runs/{row.id}"
            base = root if i % 2 == 0 else user  # every other one in the user's storage
            path = base / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"HWR1 {}\n")
            old = row.end_time is not None and row.end_time < cutoff_for(30)
            files[row.flow_run_id] = (path, old, base == root)
            ref = {"storage": base.as_uri(), "key": key, "serializer": "pickle"}
            conn.execute(update(task_runs).where(task_runs.c.id == row.id).values(result=ref))
        # a flow's own result, in flow-runs/{id}/{attempt}
        flow_file = root / "flow-runs" / str(old_runs[0]) / "1"
    flow_file.parent.mkdir(parents=True)
    flow_file.write_bytes(b"HWR1 {}\n")

    owned_old = sum(1 for _, old, ours in files.values() if old and ours) + 1
    dry = prune(db, cutoff=cutoff_for(30), dry_run=True, storage_root=root)
    assert dry.counts["result files"] == owned_old
    assert all(p.exists() for p, _, _ in files.values()) and flow_file.exists()
    report = prune(db, cutoff=cutoff_for(30), storage_root=root, pause=0)
    assert report.counts["result files"] == owned_old
    for path, old, ours in files.values():
        assert path.exists() == (not (old and ours)), path
    assert not flow_file.exists() and not flow_file.parent.exists()


def test_a_prune_stopped_midway_keeps_the_files_of_the_runs_it_kept(
    database_url: str, headwater_home: Path
) -> None:
    """Runs are read 40 at a time and deleted a few per transaction: a stop between
    two transactions leaves the rest of the page, and their result files, alone."""
    db = get_database(database_url)
    seed(db, old=40, kept=0, tasks_per_run=1, logs_per_run=0)
    root = default_storage_root(headwater_home)
    paths = {}
    with db.begin_write() as conn:
        for task_id, run_id in conn.execute(select(task_runs.c.id, task_runs.c.flow_run_id)):
            key = f"task-runs/{task_id}"
            paths[run_id] = root / key
            paths[run_id].parent.mkdir(parents=True, exist_ok=True)
            paths[run_id].write_bytes(b"HWR1 {}\n")
            ref = {"storage": root.as_uri(), "key": key, "serializer": "pickle"}
            conn.execute(update(task_runs).where(task_runs.c.id == task_id).values(result=ref))
    checks = []

    def stop_after_one_write() -> bool:
        checks.append(1)
        return len(checks) > 1  # go on at the check before the page, stop after a bite

    stopped = prune(
        db,
        cutoff=cutoff_for(30),
        storage_root=root,
        pause=0,
        batch=40,
        should_stop=stop_after_one_write,
    )
    with db.begin_read() as conn:
        kept = set(conn.execute(select(flow_runs.c.id)).scalars())
    assert 0 < stopped.flow_runs < 40 and len(kept) == 40 - stopped.flow_runs
    assert stopped.counts["result files"] == stopped.flow_runs
    for run_id, path in paths.items():
        assert path.exists() == (run_id in kept), path


def test_a_result_file_a_kept_run_still_points_at_stays(
    database_url: str, headwater_home: Path
) -> None:
    db = get_database(database_url)
    seeded = seed(db, old=1, kept=3, tasks_per_run=1, logs_per_run=0)
    root = default_storage_root(headwater_home)
    key = "cache-key-abc"
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"HWR1 {}\n")
    ref = {"storage": root.as_uri(), "key": key, "serializer": "pickle"}
    with db.begin_write() as conn:
        ids = [
            r.id
            for r in conn.execute(
                select(task_runs.c.id)
                .join(flow_runs, flow_runs.c.id == task_runs.c.flow_run_id)
                .where(flow_runs.c.flow_id == seeded.flow_id)
            )
        ]
        conn.execute(
            update(task_runs).where(task_runs.c.id.in_(ids)).values(result=ref, cache_key=key)
        )
    report = prune(db, cutoff=cutoff_for(30), storage_root=root, pause=0)
    assert report.flow_runs == 1
    assert report.counts["result files"] == 0
    assert path.exists()  # a recent run's cache hit reads it


def _writer(db: Any, stop: threading.Event, waits: list[float]) -> None:
    """Writes one log line at a time to the seeded running run, timing each write."""
    with db.begin_read() as conn:
        run_id = conn.execute(
            select(flow_runs.c.id).where(flow_runs.c.state_type == "RUNNING").limit(1)
        ).scalar_one()
    timed_log_writer(db, run_id, stop, waits)


def longest_write_wait(db: Any, during: Any) -> tuple[Any, float, int]:
    """Run ``during()`` while a writer thread writes one row at a time; what it
    returned, the writer's longest wait and how many writes it made."""
    stop = threading.Event()
    waits: list[float] = []
    thread = threading.Thread(target=_writer, args=(db, stop, waits))
    thread.start()
    try:
        time.sleep(0.1)
        out = during()
    finally:
        stop.set()
        thread.join()
    return out, max(waits), len(waits)


def prune_with_a_writer(db: Any, runs: int) -> tuple[Any, float, float]:
    """Seed ``runs`` old runs and prune them while a writer writes: the report, the
    writer's longest wait, and its longest wait for a second with no prune running
    (the baseline: on a loaded machine a lone write sometimes waits for the CPU)."""
    seed(db, old=runs, kept=3, tasks_per_run=1, logs_per_run=1)
    _, baseline, _ = longest_write_wait(db, lambda: time.sleep(1.0))
    report, longest, writes = longest_write_wait(db, lambda: prune(db, cutoff=cutoff_for(30)))
    assert writes > 10
    return report, longest, baseline


def test_writers_are_never_held_for_the_whole_prune(database_url: str) -> None:
    """In the suite the bound is loose: on a loaded 2-core machine the writer thread
    competes with the prune for the GIL and the CPU (the soak test below asserts the
    100 ms bound over the baseline)."""
    db = get_database(database_url)
    report, longest, baseline = prune_with_a_writer(db, 5_000)
    assert report.flow_runs == 5_000
    assert report.counts["task runs"] == 5_000 and report.counts["logs"] == 5_000
    assert longest < 1.0 + baseline, (
        f"a writer waited {longest * 1000:.0f} ms (alone: {baseline * 1000:.0f} ms)"
    )


@pytest.mark.soak
@pytest.mark.timeout(900)  # seeding and pruning 50,000 runs takes minutes on a busy machine
def test_writers_wait_little_while_50k_runs_are_pruned(database_url: str) -> None:
    db = get_database(database_url)
    report, longest, baseline = prune_with_a_writer(db, 50_000)
    assert report.flow_runs == 50_000
    assert report.counts["state history"] == 100_000
    assert longest < 0.1 + baseline, (
        f"a writer waited {longest * 1000:.0f} ms (alone: {baseline * 1000:.0f} ms)"
    )


def _unchecked_wal_frames(db_path: Path) -> int:
    """Frames of the SQLite write-ahead log not yet copied into the database, read
    from the WAL index (``-shm``: header ``mxFrame`` at byte 16, ``nBackfill`` at byte
    96, native byte order) without touching the store: no checkpoint, no lock."""
    import struct

    header = Path(f"{db_path}-shm").read_bytes()[:100]
    (max_frame,) = struct.unpack_from("=I", header, 16)
    (backfilled,) = struct.unpack_from("=I", header, 96)
    return int(max_frame - backfilled)


def test_each_batch_leaves_the_write_ahead_log_checkpointed(headwater_home: Path) -> None:
    """Before a batch starts, the previous batch's pages are already in the database:
    a writer's commit never runs SQLite's automatic checkpoint of the prune's pages
    (which it did while every other writer waited behind it)."""
    path = headwater_home / "wal.db"
    db = get_database(f"sqlite:///{path}")
    seed(db, old=300, kept=0)
    with db.begin_read() as conn:  # start from an empty log
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    seen: list[int] = []

    def look() -> bool:
        seen.append(_unchecked_wal_frames(path))
        return False

    report = prune(db, cutoff=cutoff_for(30), batch=20, pause=0, should_stop=look)
    assert report.flow_runs == 300 and report.batches >= 15
    assert seen and max(seen) == 0, f"frames left for a writer to checkpoint: {seen}"


def test_cutoff_is_days_before_now() -> None:
    assert cutoff_for(30, now=100 * DAY) == 70 * DAY
