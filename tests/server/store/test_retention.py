"""Retention on SQLite and PostgreSQL: exact counts, dry runs, what must stay."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from benchmarks._retention_seed import DAY, seed, timed_writes, wait_summary
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
from headwater.server.store.retention import (
    MIN_BATCH,
    START_BATCH,
    cutoff_for,
    default_storage_root,
    prune,
)

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


def prune_with_a_writer(db: Any, runs: int, baseline_seconds: float | None = None) -> Any:
    """Seed ``runs`` old runs and prune them while a writer writes one row at a time:
    the report, the writer's waits, and its waits with no prune running for
    ``baseline_seconds`` (default: as long as the prune took; on a loaded machine a
    lone write sometimes waits for the CPU, and a longer sample has a longer tail)."""
    seed(db, old=runs, kept=3, tasks_per_run=1, logs_per_run=1)
    report, during = timed_writes(db, lambda: prune(db, cutoff=cutoff_for(30)))
    seconds = baseline_seconds if baseline_seconds is not None else report.seconds
    _, alone = timed_writes(db, lambda: time.sleep(max(1.0, seconds)))
    assert len(during) > 10
    return report, wait_summary(during), wait_summary(alone)


#: How much longer than the writer alone a write may wait while a prune runs, in the
#: suite.  The bar (100 ms, ``make soak`` and ``benchmarks/retention.py``) is measured
#: at 50,000 runs; here the bound must also hold on a 2-core machine shared with
#: other test runs, where the prune's transaction (15-30 ms on an idle machine) can
#: be descheduled with the write lock held.  Holding writers for the whole prune (the
#: failure this catches) takes seconds.
SUITE_WAIT_BOUND_MS = 400


@pytest.mark.timeout(300)
def test_counts_are_exact_and_the_writer_keeps_writing_while_3000_runs_go(
    database_url: str,
) -> None:
    """Prune 3,000 old runs (with a task run, a log line, two states each, and an
    artifact, an input and a transaction's record on some) while a writer writes one
    log line at a time: every count exact, everything kept still there, and no
    write waits much longer than the longest wait of the same writer alone (for as
    long, up to 5 s: the suite's time)."""
    db = get_database(database_url)
    before = _counts(db)
    seeded = seed(db, old=3_000, kept=6, tasks_per_run=1, logs_per_run=1)
    runs = _run_ids(db, seeded.flow_id, "COMPLETED")
    with db.begin_read() as conn:
        recent = set(
            conn.execute(select(flow_runs.c.id).where(flow_runs.c.end_time > cutoff_for(30)))
            .scalars()
            .all()
        )
    old = [r for r in runs if r not in recent]
    _extras(db, old[:300] + sorted(recent))

    report, during = timed_writes(db, lambda: prune(db, cutoff=cutoff_for(30)))
    _, alone = timed_writes(db, lambda: time.sleep(min(max(1.0, report.seconds), 5.0)))

    assert report.counts == {
        "flow runs": 3_000,
        "task runs": 3_000,
        "logs": 3_000,
        "state history": 6_000,
        "artifacts": 300,
        "flow-run inputs": 300,
        "transactions": 300,
        "result files": 0,
    }
    kept_extras = len(recent)  # the two Completed yesterday
    assert _counts(db) == {
        "flow runs": before["flow runs"] + 6,
        "task runs": before["task runs"] + 6,
        "logs": before["logs"] + 6 + len(during) + len(alone),  # the writer's lines stay
        "state history": before["state history"] + 12,
        "artifacts": before["artifacts"] + kept_extras,
        "flow-run inputs": before["flow-run inputs"] + kept_extras,
        "transactions": before["transactions"] + kept_extras,
    }
    assert prune(db, cutoff=cutoff_for(30)).flow_runs == 0
    during_ms, alone_ms = wait_summary(during), wait_summary(alone)
    assert len(during) > 20, during_ms  # it wrote all along, not once the prune ended
    assert during_ms["max_ms"] <= alone_ms["max_ms"] + SUITE_WAIT_BOUND_MS, (during_ms, alone_ms)


@pytest.mark.soak
@pytest.mark.timeout(2400)  # seeding, pruning 50,000 runs and the baseline: many minutes
def test_writers_wait_little_while_50k_runs_are_pruned(database_url: str) -> None:
    """The bar: counts exact, and no write waits over 100 ms longer than the longest
    write of the same writer with no prune running for as long (the machine's load);
    the 99th percentile stays under 100 ms outright."""
    db = get_database(database_url)
    report, during, alone = prune_with_a_writer(db, 50_000)
    print("\nretention soak:", json.dumps({"during": during, "baseline": alone}))
    assert report.flow_runs == 50_000
    assert report.counts["task runs"] == 50_000 and report.counts["logs"] == 50_000
    assert report.counts["state history"] == 100_000
    assert _counts(db)["flow runs"] == 3
    assert during["p99_ms"] <= 100, (during, alone)
    assert during["max_ms"] <= 100 + alone["max_ms"], (during, alone)


def test_a_waiting_writer_gets_the_store_after_the_prune_s_first_transaction(
    headwater_home: Path,
) -> None:
    """With a budget long enough for the whole prune, a writer that starts waiting
    for the write lock during the prune's first statement gets the store between two
    transactions (the first deletes ``START_BATCH`` runs with all they own): not
    after the page of 500 runs, nor after the prune."""
    db = get_database(f"sqlite:///{headwater_home / 'wait.db'}")
    seed(db, old=200, kept=1)
    wrote: list[tuple[int, ...]] = []  # flow runs and task runs left

    def write() -> None:
        with db.begin_write() as conn:
            counts = (select(func.count()).select_from(t) for t in (flow_runs, task_runs))
            wrote.append(tuple(int(conn.execute(q).scalar_one()) for q in counts))

    writer = threading.Thread(target=write)
    waiting = threading.Event()
    lock = db._write_lock
    assert lock is not None

    class Telling:
        """The write lock, telling when the writer starts to wait for it."""

        def __enter__(self) -> None:
            if threading.current_thread() is writer:
                waiting.set()
            lock.__enter__()

        def __exit__(self, *exc: object) -> None:
            lock.__exit__(None, None, None)

        def close(self) -> None:
            lock.close()

    def start_writer_once(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("DELETE FROM") and writer.ident is None:
            writer.start()
            waiting.wait(60)

    db._write_lock = Telling()  # type: ignore[assignment]
    event.listen(db.engine, "after_cursor_execute", start_writer_once)
    try:
        report = prune(db, cutoff=cutoff_for(30), target_seconds=60, pause=0.05)
        writer.join()
    finally:
        db._write_lock = lock  # the database is shared with later tests
        event.remove(db.engine, "after_cursor_execute", start_writer_once)
    assert report.flow_runs == 200 and report.counts["task runs"] == 200
    (runs_left, tasks_left) = wrote[0]
    # normally 181 (after the first transaction); a writer not scheduled during the
    # pause on a loaded machine gets a later one, never only the end of the prune
    assert 1 < runs_left <= 201 - START_BATCH and tasks_left == runs_left, wrote


def test_a_slow_transaction_halves_the_next_one(database_url: str) -> None:
    """With no time to spend, each write transaction deletes half as many runs as the
    one before, down to ``MIN_BATCH``: 20, 10, 5, then 4 at a time."""
    db = get_database(database_url)
    seed(db, old=100, kept=0)
    report = prune(db, cutoff=cutoff_for(30), target_seconds=0, pause=0)
    assert report.flow_runs == 100 and report.counts["logs"] == 100
    assert (START_BATCH, MIN_BATCH) == (20, 4)
    assert report.batches == 3 + 17  # 20 + 10 + 5, then 65 runs 4 at a time


def test_runs_go_in_the_order_they_were_written(headwater_home: Path) -> None:
    """On SQLite the first transaction deletes the first runs written (``rowid``
    order), not the lowest ids: their rows sit on neighbouring pages."""
    db = get_database(f"sqlite:///{headwater_home / 'order.db'}")
    seed(db, old=200, kept=0)
    with db.begin_read() as conn:
        written = [
            row[0] for row in conn.exec_driver_sql("SELECT id FROM flow_runs ORDER BY rowid")
        ]
    asked: list[int] = []

    def after_the_first_transaction() -> bool:
        asked.append(1)
        return len(asked) >= 2  # asked before the page, then before the second bite

    report = prune(db, cutoff=cutoff_for(30), should_stop=after_the_first_transaction)
    assert report.flow_runs == START_BATCH
    with db.begin_read() as conn:
        left = [row[0] for row in conn.exec_driver_sql("SELECT id FROM flow_runs ORDER BY rowid")]
    assert left == written[START_BATCH:]


def test_the_prune_s_commits_never_run_the_automatic_checkpoint(headwater_home: Path) -> None:
    """The prune writes on a connection of its own whose commits never checkpoint
    (its checkpoints run between transactions, outside the write lock); the
    connection goes back to the pool with SQLite's default."""
    db = get_database(f"sqlite:///{headwater_home / 'autocheckpoint.db'}")
    seed(db, old=50, kept=0)
    seen: dict[Any, int] = {}

    def look(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("DELETE FROM"):
            sqlite = conn.connection.driver_connection
            seen[sqlite] = sqlite.execute("PRAGMA wal_autocheckpoint").fetchone()[0]

    event.listen(db.engine, "after_cursor_execute", look)
    try:
        report = prune(db, cutoff=cutoff_for(30))
    finally:
        event.remove(db.engine, "after_cursor_execute", look)
    assert report.flow_runs == 50
    assert list(seen.values()) == [0]  # one connection, automatic checkpoint off
    (sqlite,) = seen
    assert sqlite.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


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
