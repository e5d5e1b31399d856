"""Retention: delete finished flow runs older than a cut-off, with all they own.

A run goes when it is in a final state (Completed, Failed, Crashed, Cancelled) and
ended before the cut-off.  With it go its task runs, logs, state history, artifacts,
flow-run inputs, the records of its transactions, its subflow runs (a subflow goes
with its parent, never alone), and the result files of its task runs that live in
Headwater's own default result storage (``$HEADWATER_HOME/storage``); files in any
storage the user chose are never touched.  A run whose subflow is not finished yet
stays, subflow and all.

Runs are deleted a batch at a time (``batch`` runs per transaction) with a pause
between batches, so a writer waits at most one small transaction.  What keeps that
transaction small (measured with ``benchmarks/retention.py``): its size follows its
duration (``target_seconds``); its statements are built once (building them cost
more CPU, under the write lock, than running them); on SQLite runs go in the order
they were written (``rowid``), so a transaction's rows sit on neighbouring pages;
and on SQLite the write-ahead log is checkpointed between batches, outside the
write lock, on the prune's own connection, whose commits never run SQLite's
automatic checkpoint (``Database.bulk_writer``): neither the prune's commit nor a
writer's copies and syncs every page the prune wrote (deleting a few runs touches
hundreds of index pages) while the other writers wait.
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

from sqlalchemy import Connection, Integer, bindparam, delete, func, literal_column, select
from sqlalchemy.sql import Executable

from headwater.server.db.database import Database
from headwater.server.db.tables import (
    artifacts,
    flow_run_inputs,
    flow_run_states,
    flow_runs,
    logs,
    run_transactions,
    task_runs,
)

logger = logging.getLogger("headwater.retention")

FINAL_STATES = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
DAY = 86_400.0
#: Runs (top-level runs; their subflows come along) per transaction.
DEFAULT_BATCH = 500
#: Seconds between two batches: writers get the store in between.
DEFAULT_PAUSE = 0.01
#: A write transaction of a prune aims to take no longer than this (seconds), on
#: SQLite.  Writers wait behind one such transaction (one writer at a time), stretched
#: by whatever else the machine runs: at load average 25 on 2 cores, 8 ms (against
#: 25 ms) halved both the transaction's and the writer's 99th percentile, for a prune
#: about a third slower (docs/retention.md).
TARGET_SECONDS = 0.008
#: The same on PostgreSQL, where writers do not wait for the prune's transactions (no
#: store-wide write lock) but share the server's commits: three times as many
#: transactions made a writer's 99th percentile worse, not better.
TARGET_SECONDS_POSTGRES = 0.025
#: The first batch's size; it grows (up to ``batch``) while transactions stay quick.
START_BATCH = 20
#: Never fewer runs per transaction (each transaction has a fixed cost).
MIN_BATCH = 4
#: The kinds counted, in the order they are shown.
KINDS = (
    "flow runs",
    "task runs",
    "logs",
    "state history",
    "artifacts",
    "flow-run inputs",
    "transactions",
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

    Up to ``batch`` top-level runs are chosen in a read transaction, then deleted in
    write transactions that only check they are still finished and delete them.  A
    write transaction's share of those runs shrinks when one took longer than
    ``target_seconds`` (default: ``TARGET_SECONDS``, on PostgreSQL
    ``TARGET_SECONDS_POSTGRES``) and grows back while they are quick, so the store's
    other writers never wait long.  A result file goes once every run owning it went."""
    if target_seconds is None:
        target_seconds = TARGET_SECONDS if db.is_sqlite else TARGET_SECONDS_POSTGRES
    started = time.perf_counter()
    report = PruneReport(cutoff=cutoff, dry_run=dry_run)
    after: Any = None
    size = min(batch, START_BATCH)
    with db.bulk_writer() as writer:  # its commits never checkpoint: see the docstring
        while not (should_stop is not None and should_stop()):
            with db.begin_read() as conn:  # up to ``batch`` roots, deleted in smaller bites
                roots, after = _next_roots(conn, cutoff, after, batch, db.is_sqlite)
                if after is None:
                    break
                trees = _trees(conn, roots)
                run_ids = [run for tree in trees.values() for run in tree]
                if dry_run:
                    _count(conn, run_ids, report.counts)
                files = _owned_result_files(conn, run_ids, storage_root)
            deleted: set[Any] = set()
            if dry_run:
                report.batches += 1
                deleted.update(run_ids)
            done = len(roots) if dry_run else 0
            while done < len(roots):
                if done and should_stop is not None and should_stop():
                    break
                bite = [run for root in roots[done : done + size] for run in trees[root]]
                done += size
                began = time.perf_counter()
                with writer.begin() as conn:
                    going = _still_finished(conn, bite, cutoff)
                    _delete(conn, going, report.counts)
                deleted.update(going)
                took = time.perf_counter() - began
                size = _next_size(size, took, target_seconds, batch)
                report.batches += 1
                writer.checkpoint()  # outside the write lock
                if pause > 0:
                    time.sleep(pause)
            gone = [path for path, owners in files.items() if owners <= deleted]
            if not dry_run:
                _remove_files(gone)
            report.counts["result files"] += len(gone)
    report.seconds = time.perf_counter() - started
    return report


def _next_size(size: int, took: float, target: float, most: int) -> int:
    """Halve after a slow transaction, grow by half after a quick one (a busy
    machine's noise makes exact proportions pointless)."""
    if took > target:
        return max(MIN_BATCH, size // 2)
    if took < target / 2:
        return min(most, size + max(1, size // 2))
    return size


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
    built: dict[str, Executable] = {
        "still finished": select(c.id).where(
            c.id.in_(bindparam("ids", expanding=True)), *_old_and_final()
        ),
        "children": select(c.id, c.parent_flow_run_id, c.state_type).where(
            c.parent_flow_run_id.in_(bindparam("ids", expanding=True))
        ),
        "flow runs": delete(flow_runs).where(c.id.in_(bindparam("ids", expanding=True))),
    }
    for kind, table, column in _OWNED:
        built[kind] = delete(table).where(column.in_(bindparam("ids", expanding=True)))
    return built


def _old_and_final() -> tuple[Any, ...]:
    """A flow run finished before the ``cutoff`` parameter."""
    c = flow_runs.c
    cutoff = bindparam("cutoff", type_=c.end_time.type)
    return (c.state_type.in_(FINAL_STATES), c.end_time.is_not(None), c.end_time < cutoff)


@cache
def _roots_statements(sqlite: bool) -> tuple[Executable, Executable]:
    """The first and the next pages of top-level candidates: ``(id, key)`` rows in
    ``key`` order.  On SQLite the key is the row's ``rowid`` (the order rows were
    written in), so a transaction's runs, and what they own, sit on neighbouring
    pages: deleting them dirties about half the pages it does in (random) id order."""
    c = flow_runs.c
    parent = flow_runs.alias("parent")
    key = literal_column("flow_runs.rowid", Integer) if sqlite else c.id
    roots = (
        select(c.id, key)
        .where(
            *_old_and_final(),
            (c.parent_flow_run_id.is_(None))
            | ~select(parent.c.id).where(parent.c.id == c.parent_flow_run_id).exists(),
        )
        .order_by(key)
        .limit(bindparam("size"))
    )
    return roots, roots.where(key > bindparam("after"))


# -- choosing runs ---------------------------------------------------------------------


def _next_roots(
    conn: Connection, cutoff: float, after: Any, batch: int, sqlite: bool
) -> tuple[list[Any], Any]:
    """The next ``batch`` top-level candidates (keyset: after ``after``; see
    ``_roots_statements``), and where the next page starts (None: no more).  A
    subflow whose parent is gone counts as top level."""
    first, following = _roots_statements(sqlite)
    params = {"cutoff": cutoff, "size": batch}
    if after is None:
        query = first
    else:
        query, params["after"] = following, after
    rows = conn.execute(query, params).all()
    if not rows:
        return [], None
    return _whole_trees_only(conn, [row[0] for row in rows]), rows[-1][1]


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
    # Deleted here, not left to the foreign key's cascade: so they are counted.
    ("transactions", run_transactions, run_transactions.c.flow_run_id),
)


def _count(conn: Connection, run_ids: list[Any], counts: dict[str, int]) -> None:
    counts["flow runs"] += len(run_ids)
    for chunk in _chunks(run_ids):
        for kind, table, column in _OWNED:
            query = select(func.count()).select_from(table).where(column.in_(chunk))
            counts[kind] += int(conn.execute(query).scalar_one())


def _delete(conn: Connection, run_ids: list[Any], counts: dict[str, int]) -> None:
    statements = _statements()
    for chunk in _chunks(run_ids):
        for kind, _, _ in _OWNED:
            counts[kind] += _rowcount(conn.execute(statements[kind], {"ids": chunk}))
        counts["flow runs"] += _rowcount(conn.execute(statements["flow runs"], {"ids": chunk}))


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


def _chunks(ids: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
