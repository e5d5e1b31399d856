"""Retention: delete finished flow runs older than a cut-off, with all they own.

A run goes when it is in a final state (Completed, Failed, Crashed, Cancelled) and
ended before the cut-off.  With it go its task runs, logs, state history, artifacts,
flow-run inputs, its subflow runs (a subflow goes with its parent, never alone), and
the result files of its task runs that live in Headwater's own default result
storage (``$HEADWATER_HOME/storage``); files in any storage the user chose are never
touched.  A run whose subflow is not finished yet stays, subflow and all.

Runs are chosen ``batch`` top-level runs at a time in a read transaction, then
deleted ``GROUP`` runs at a time in short write transactions with a pause between
them.  What keeps a writer's wait short (measured with ``benchmarks/retention.py``):
a write transaction commits once it has worked ``target_seconds``, or as soon as
another thread waits for the write lock (``Database.writers_waiting``), so that
writer waits for one statement and a small commit; each statement deletes at most
``CHUNK`` rows, so a run with 100,000 logs goes over many transactions (its flow-run
row last); statements are built once (building them cost more CPU, under the write
lock, than running them); on SQLite the write-ahead log is checkpointed after each
transaction, outside the write lock, so no writer's commit runs SQLite's automatic
checkpoint of the pages the prune wrote; on PostgreSQL the prune's commits do not
wait for the disk (``synchronous_commit`` off for them alone).  A run retried while
its rows were being deleted keeps what was not deleted yet.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, delete, func, select
from sqlalchemy.sql import Executable

from headwater.server.db.database import Database
from headwater.server.db.tables import (
    artifacts,
    flow_run_inputs,
    flow_run_states,
    flow_runs,
    logs,
    task_runs,
)

logger = logging.getLogger("headwater.retention")

FINAL_STATES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
DAY = 86_400.0
#: Top-level runs (their subflows come along) chosen per read transaction.
DEFAULT_BATCH = 500
#: Seconds between two write transactions: writers get the store in between.
DEFAULT_PAUSE = 0.01
#: A write transaction of a prune commits once it has worked this long (seconds) on
#: SQLite, where writers queue behind it; PostgreSQL's writers do not (row locks), so
#: there it may work longer and the prune goes faster.
TARGET_SECONDS = 0.01
TARGET_SECONDS_POSTGRESQL = 0.05
#: Runs deleted by one set of statements (a transaction deletes one or more groups).
GROUP = 8
#: Rows of one kind (logs, task runs, ...) deleted by one statement.
CHUNK = 500
#: The kinds counted, in the order they are shown.
KINDS = (
    "flow runs",
    "task runs",
    "logs",
    "state history",
    "artifacts",
    "flow-run inputs",
    "result files",
)


@dataclass
class PruneReport:
    """What a prune deleted (or, for a dry run, would delete)."""

    cutoff: float
    dry_run: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    batches: int = 0
    seconds: float = 0.0

    @property
    def flow_runs(self) -> int:
        return self.counts["flow runs"]


def cutoff_for(days: float, now: float | None = None) -> float:
    """The end time before which a finished run is old enough to go."""
    return (now if now is not None else time.time()) - days * DAY


def default_storage_root(home: Path) -> Path:
    """Headwater's own result directory (the default result storage)."""
    return (home / "storage").expanduser().absolute()


def prune(
    db: Database,
    *,
    cutoff: float,
    dry_run: bool = False,
    batch: int = DEFAULT_BATCH,
    pause: float = DEFAULT_PAUSE,
    storage_root: Path | None = None,
    should_stop: Callable[[], bool] | None = None,
    target_seconds: float | None = None,
) -> PruneReport:
    """Delete (or count, with ``dry_run``) finished runs that ended before ``cutoff``.

    Up to ``batch`` top-level runs (with their subflows) are chosen in a read
    transaction, then deleted in write transactions that each stop after
    ``target_seconds`` of work, or sooner when another thread waits to write (see
    ``_delete_some``), so the store's other writers never wait long.  A result file
    goes once every run owning it went.  ``should_stop`` is asked between write
    transactions, never in the middle of a group of runs."""
    started = time.perf_counter()
    report = PruneReport(cutoff=cutoff, dry_run=dry_run)
    if target_seconds is None:
        target_seconds = TARGET_SECONDS if db.is_sqlite else TARGET_SECONDS_POSTGRESQL
    after: Any = None
    while not (should_stop is not None and should_stop()):
        with db.begin_read() as conn:  # up to ``batch`` roots, deleted in smaller bites
            roots, after = _next_roots(conn, cutoff, after, batch)
            if after is None:
                break
            trees = _trees(conn, roots)
            run_ids = [run for root in roots for run in trees[root]]
            if dry_run:
                _count(conn, run_ids, report.counts)
            files = _owned_result_files(conn, run_ids, storage_root)
        if dry_run:
            report.batches += 1
            deleted = set(run_ids)
        else:
            work = _Work(run_ids)
            while work.left():
                if work.done and work.at_group_start() and _asked(should_stop):
                    break
                with db.begin_write() as conn:
                    _delete_some(conn, db, work, cutoff, report.counts, target_seconds)
                report.batches += 1
                db.checkpoint()  # outside the write lock; see the module's docstring
                if pause > 0:
                    time.sleep(pause)
            deleted = work.deleted
        gone = [path for path, owners in files.items() if owners <= deleted]
        if not dry_run:
            _remove_files(gone)
        report.counts["result files"] += len(gone)
    report.seconds = time.perf_counter() - started
    return report


def _asked(should_stop: Callable[[], bool] | None) -> bool:
    return should_stop is not None and should_stop()


@dataclass
class _Work:
    """Runs to delete, ``GROUP`` at a time: the group being deleted (``current``)
    and which of its owned kinds still have rows; a group may span transactions."""

    todo: list[Any]
    done: int = 0
    current: list[Any] | None = None
    kinds: list[str] = field(default_factory=list)
    deleted: set[Any] = field(default_factory=set)

    def left(self) -> bool:
        return self.current is not None or self.done < len(self.todo)

    def at_group_start(self) -> bool:
        return self.current is None

    def next_group(self) -> list[Any]:
        group = self.todo[self.done : self.done + GROUP]
        self.done += len(group)
        return group


def _delete_some(
    conn: Connection,
    db: Database,
    work: _Work,
    cutoff: float,
    counts: dict[str, int],
    target: float,
) -> None:
    """Delete runs of ``work`` until this transaction has worked ``target`` seconds
    or another thread of this process waits for the write lock (it then waits for one
    statement and this commit, not for the whole batch).  A group's owned rows go
    ``CHUNK`` at a time, so even a run with 100,000 logs is spread over many short
    transactions; its row in ``flow_runs`` goes last.  At least one statement runs."""
    began = time.perf_counter()
    statements = _statements()
    if not db.is_sqlite:
        # Deleting old runs need not wait for the disk at commit (a crash loses at
        # most the last few deletes, never consistency): the writers' commits then
        # share the disk with fewer flushes.
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    if work.current is not None:  # resumed: one retried meanwhile stays
        work.current = _still_finished(conn, work.current, cutoff)
    while work.left():
        if work.current is None:
            work.current = _still_finished(conn, work.next_group(), cutoff)
            work.kinds = [kind for kind, _, _ in _OWNED]
        ids = work.current
        while work.kinds and ids:
            kind = work.kinds[0]
            n = _rowcount(conn.execute(statements[kind], {"ids": ids, "n": CHUNK}))
            counts[kind] += n
            if n < CHUNK:
                work.kinds.pop(0)
            if _over(began, target, db):
                return
        if ids:
            counts["flow runs"] += _rowcount(conn.execute(statements["flow runs"], {"ids": ids}))
            work.deleted.update(ids)
        work.current = None
        if _over(began, target, db):
            return


def _over(began: float, target: float, db: Database) -> bool:
    """Time to commit: the transaction's budget is spent, or a writer waits."""
    return time.perf_counter() - began > target or db.writers_waiting > 0


def _still_finished(conn: Connection, run_ids: list[Any], cutoff: float) -> list[Any]:
    """The runs of ``run_ids`` still finished and old in this write transaction (one
    retried since it was chosen stays)."""
    query = _statements()["still finished"]
    kept: list[Any] = []
    for chunk in _chunks(run_ids):
        kept.extend(conn.execute(query, {"ids": chunk, "cutoff": cutoff}).scalars())
    return kept


@cache
def _statements() -> dict[str, Executable]:
    """The statements of a prune, built once: with expanding parameters (``ids``) and
    the cut-off as a parameter, SQLAlchemy compiles each once per process."""
    c = flow_runs.c
    parent = flow_runs.alias("parent")
    cutoff = bindparam("cutoff", type_=c.end_time.type)
    old_and_final = (c.state_type.in_(FINAL_STATES), c.end_time.is_not(None), c.end_time < cutoff)
    roots = (
        select(c.id)
        .where(
            *old_and_final,
            (c.parent_flow_run_id.is_(None))
            | ~select(parent.c.id).where(parent.c.id == c.parent_flow_run_id).exists(),
        )
        .order_by(c.id)
        .limit(bindparam("size"))
    )
    built: dict[str, Executable] = {
        "still finished": select(c.id).where(
            c.id.in_(bindparam("ids", expanding=True)), *old_and_final
        ),
        "first roots": roots,
        "next roots": roots.where(c.id > bindparam("after")),
        "children": select(c.id, c.parent_flow_run_id, c.state_type).where(
            c.parent_flow_run_id.in_(bindparam("ids", expanding=True))
        ),
        "flow runs": delete(flow_runs).where(c.id.in_(bindparam("ids", expanding=True))),
    }
    for kind, table, column in _OWNED:  # at most ``n`` rows (``CHUNK``) at a time
        chunk = select(table.c.id).where(column.in_(bindparam("ids", expanding=True)))
        built[kind] = delete(table).where(table.c.id.in_(chunk.limit(bindparam("n"))))
    return built


# -- choosing runs ---------------------------------------------------------------------


def _next_roots(conn: Connection, cutoff: float, after: Any, batch: int) -> tuple[list[Any], Any]:
    """The next ``batch`` top-level candidates by id (keyset: after ``after``), and
    where the next page starts (None: no more).  A subflow whose parent is gone
    counts as top level."""
    statements = _statements()
    params = {"cutoff": cutoff, "size": batch}
    if after is None:
        query = statements["first roots"]
    else:
        query, params["after"] = statements["next roots"], after
    ids = list(conn.execute(query, params).scalars())
    if not ids:
        return [], None
    return _whole_trees_only(conn, ids), ids[-1]


def _children(conn: Connection, parent_ids: list[Any]) -> list[tuple[Any, Any, str]]:
    query = _statements()["children"]
    rows: list[tuple[Any, Any, str]] = []
    for chunk in _chunks(parent_ids):
        found = conn.execute(query, {"ids": chunk})
        rows.extend((r.id, r.parent_flow_run_id, r.state_type) for r in found)
    return rows


def _whole_trees_only(conn: Connection, roots: list[Any]) -> list[Any]:
    """The roots none of whose subflows (at any depth) is unfinished."""
    root_of = {r: r for r in roots}
    blocked: set[Any] = set()
    level = roots
    while level:
        found = _children(conn, level)
        level = []
        for child, parent, state in found:
            if child in root_of:
                continue  # a cycle in bad data: stop here
            root_of[child] = root_of[parent]
            if state not in FINAL_STATES:
                blocked.add(root_of[parent])
            level.append(child)
    return [r for r in roots if r not in blocked]


def _trees(conn: Connection, roots: list[Any]) -> dict[Any, list[Any]]:
    """Each root with its subflow runs at any depth (the root first)."""
    trees: dict[Any, list[Any]] = {root: [root] for root in roots}
    root_of = {root: root for root in roots}
    level = roots
    while level:
        found = _children(conn, level)
        level = []
        for child, parent, _ in found:
            if child in root_of:
                continue
            root_of[child] = root_of[parent]
            trees[root_of[child]].append(child)
            level.append(child)
    return trees


# -- result files ----------------------------------------------------------------------


def _owned_result_files(
    conn: Connection, run_ids: list[Any], root: Path | None
) -> dict[Path, set[Any]]:
    """Result files of these runs' task runs that live under ``root`` and belong to
    them alone, each with the runs that own it (a file goes once all of them went): a
    file keyed by the task run's id, or by its cache key when no kept task run has
    that cache key (a later run's cache hit points at the same file).  A file under a
    custom ``result_storage_key`` may be shared by anything: it stays."""
    if root is None or not run_ids:
        return {}
    url = root.as_uri()
    base = str(root)
    t = task_runs.c
    owned: dict[Path, set[Any]] = {}
    by_cache_key: dict[str, Path] = {}
    for chunk in _chunks(run_ids):
        query = select(t.id, t.flow_run_id, t.cache_key, t.result).where(
            t.flow_run_id.in_(chunk), t.result.is_not(None)
        )
        for row in conn.execute(query):
            found = _path_in(row.result, url, base)
            if found is None:
                continue
            key, path = found
            if key == f"task-runs/{as_uuid(row.id)}":
                owned.setdefault(path, set()).add(row.flow_run_id)
            elif row.cache_key and key == row.cache_key:
                by_cache_key[key] = path
    if by_cache_key:
        gone = set(run_ids)
        keys = list(by_cache_key)
        users: dict[str, set[Any]] = {}
        for start in range(0, len(keys), 500):
            shared = select(t.cache_key, t.flow_run_id).where(
                t.cache_key.in_(keys[start : start + 500])
            )
            for cache_key, flow_run_id in conn.execute(shared):
                if flow_run_id not in gone:
                    by_cache_key.pop(cache_key, None)
                users.setdefault(cache_key, set()).add(flow_run_id)
        for key, path in by_cache_key.items():
            owned.setdefault(path, set()).update(users.get(key, ()))
    for run_id in run_ids:  # a flow's own results: flow-runs/{id}/{attempt}
        folder = root / "flow-runs" / str(as_uuid(run_id))
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file():
                    owned.setdefault(path, set()).add(run_id)
    return owned


def _path_in(ref: Any, url: str, base: str) -> tuple[str, Path] | None:
    """The key and file of a result ref stored in the storage at ``url``."""
    if isinstance(ref, str):
        try:
            ref = json.loads(ref)
        except ValueError:
            return None
    if not isinstance(ref, dict) or ref.get("storage") != url:
        return None
    key = ref.get("key")
    if not isinstance(key, str) or not key or key.startswith("/") or ".." in key.split("/"):
        return None
    return key, Path(base) / key


def _remove_files(files: Iterable[Path]) -> None:
    folders: set[Path] = set()
    for path in files:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:  # a file we cannot remove stays; the runs are gone anyway
            logger.warning("retention: cannot remove result file %s: %s", path, exc)
        if path.parent.parent.name == "flow-runs":
            folders.add(path.parent)
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty (a file appeared) or already gone


# -- counting and deleting --------------------------------------------------------------

_OWNED = (
    ("task runs", task_runs, task_runs.c.flow_run_id),
    ("logs", logs, logs.c.flow_run_id),
    ("state history", flow_run_states, flow_run_states.c.flow_run_id),
    ("artifacts", artifacts, artifacts.c.flow_run_id),
    ("flow-run inputs", flow_run_inputs, flow_run_inputs.c.flow_run_id),
)


def _count(conn: Connection, run_ids: list[Any], counts: dict[str, int]) -> None:
    counts["flow runs"] += len(run_ids)
    for chunk in _chunks(run_ids):
        for kind, table, column in _OWNED:
            query = select(func.count()).select_from(table).where(column.in_(chunk))
            counts[kind] += int(conn.execute(query).scalar_one())


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _chunks(ids: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
