"""The SLA monitor: finds breaches of deployments' SLAs and emits
``headwater.sla.violation`` for each, once (``store.slas.record_breach``).

A pass reads what each enabled SLA watches (indexed, per deployment): the started,
unfinished runs (time to completion), the unstarted runs due (lateness), or the last
completed run (frequency), and works out the next deadline.  The thread sleeps until
that deadline, so a breach fires on time when nothing else happens; it also looks
again at least every ``POLL_SECONDS`` (runs written by other processes) and when a
flow-run event of this process is committed (a run that started may bring the next
deadline nearer).  The violation event is stored in the transaction that notes the
breach: automations react to it like to any event.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from headwater.server.db.database import Database
from headwater.server.db.tables import flow_runs, flows
from headwater.server.events import bus
from headwater.states import StateType
from headwater.utilities.ids import new_id

logger = logging.getLogger("headwater.slas")

POLL_SECONDS = 1.0
#: Shortest gap between passes woken by events (a busy server commits many batches).
MIN_GAP_SECONDS = 0.05
VIOLATION = "headwater.sla.violation"
ID = "headwater.resource.id"
ROLE = "headwater.resource.role"
NAME = "headwater.resource.name"

_STARTED_UNFINISHED = [
    StateType.RUNNING.value,
    StateType.PAUSED.value,
    StateType.CANCELLING.value,
    StateType.PENDING.value,
    StateType.SCHEDULED.value,  # AwaitingRetry: started once, not finished
]
_NOT_STARTED = [StateType.SCHEDULED.value, StateType.PENDING.value]

#: (flow run id or None, its name, the breach's key, its deadline)
Candidate = tuple[UUID | None, str | None, str, float]


def _run_candidates(conn: Connection, sla: dict[str, Any]) -> list[Candidate]:
    c = flow_runs.c
    if sla["type"] == "time-to-completion":
        query = select(c.id, c.name, c.start_time).where(
            c.deployment_id == sla["deployment_id"],
            c.state_type.in_(_STARTED_UNFINISHED),
            c.start_time.is_not(None),
        )
    else:
        query = select(c.id, c.name, c.expected_start_time).where(
            c.deployment_id == sla["deployment_id"],
            c.state_type.in_(_NOT_STARTED),
            c.start_time.is_(None),
            c.expected_start_time.is_not(None),
        )
    return [
        (row[0], row[1], f"run:{row[0]}", float(row[2]) + sla["duration"])
        for row in conn.execute(query)
    ]


def _last_completed(conn: Connection, sla: dict[str, Any]) -> float:
    """When the SLA's gap began: its deployment's last completed run ended, or the SLA
    was made (whichever is later)."""
    c = flow_runs.c
    last = conn.execute(
        select(func.max(c.end_time)).where(
            c.deployment_id == sla["deployment_id"], c.state_type == StateType.COMPLETED.value
        )
    ).scalar()
    return max(float(last or 0.0), float(sla["created"]))


def violation_event(
    sla: dict[str, Any], flow_name: str | None, candidate: Candidate, now: float
) -> dict[str, Any]:
    """The ``headwater.sla.violation`` event of one breach."""
    import datetime as dt

    run_id, run_name, key, deadline = candidate
    resource = {str(k): str(v) for k, v in (sla.get("labels") or {}).items()}
    resource.update(
        {
            ID: f"headwater.sla.{sla['id']}",
            NAME: sla["name"],
            "headwater.sla.type": sla["type"],
            "headwater.sla.severity": sla["severity"],
        }
    )
    deployment = {
        ID: f"headwater.deployment.{sla['deployment_id']}",
        ROLE: "deployment",
        NAME: sla["deployment_name"],
    }
    flow = {ID: f"headwater.flow.{sla['flow_id']}", ROLE: "flow"}
    if flow_name:
        flow[NAME] = flow_name
    related = [deployment, flow]
    if run_id is not None:
        related.insert(
            0, {ID: f"headwater.flow-run.{run_id}", ROLE: "flow-run", NAME: run_name or ""}
        )
    return {
        "id": new_id(),
        "occurred": now,
        "event": VIOLATION,
        "resource": resource,
        "related": related,
        "payload": {
            "sla": {
                "id": str(sla["id"]),
                "name": sla["name"],
                "type": sla["type"],
                "duration": sla["duration"],
                "severity": sla["severity"],
                "labels": sla.get("labels") or {},
            },
            "deployment_id": str(sla["deployment_id"]),
            "flow_run_id": str(run_id) if run_id is not None else None,
            "deadline": dt.datetime.fromtimestamp(deadline, dt.timezone.utc).isoformat(),
            "breach_key": key,
        },
        "follows": None,
    }


class SlaMonitor:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        #: Breaches this process knows are noted: (sla id, key).
        self._noted: set[tuple[Any, str]] = set()
        #: ``headwater.deployment.<id>`` of the deployments with SLAs: their runs' events
        #: wake the monitor.
        self._watched: frozenset[str] = frozenset()
        #: A frequency SLA's gap start and when the store was last asked for it.
        self._since: dict[Any, tuple[float, float]] = {}

    def start(self) -> SlaMonitor:
        self._unsubscribe = bus.subscribe(self._deliver)
        self._thread = threading.Thread(target=self._run, name="headwater-slas", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def nudge(self) -> None:
        """Look again now (SLAs changed)."""
        self._wake.set()

    def _deliver(self, rows: Sequence[dict[str, Any]]) -> None:
        watched = self._watched
        if not watched:
            return
        for row in rows:
            if row["event"].startswith("headwater.flow-run.") and not watched.isdisjoint(
                row["related_ids"]
            ):
                self._wake.set()
                return

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a wake during it is not lost
            started = time.time()
            wait = POLL_SECONDS
            try:
                wait = self.run_once(started)
            except Exception:
                logger.exception("the SLA monitor failed a pass; it goes on")
            self._wake.wait(wait)
            elapsed = time.time() - started
            if elapsed < MIN_GAP_SECONDS:
                self._stop.wait(MIN_GAP_SECONDS - elapsed)

    def run_once(self, now: float) -> float:
        """Emit the breaches due at ``now``; seconds until the next deadline (at most
        ``POLL_SECONDS``)."""
        from headwater.server.store import slas as store

        due: list[tuple[dict[str, Any], Candidate]] = []
        next_deadline = now + POLL_SECONDS
        live: set[tuple[Any, str]] = set()
        with self.db.begin_read() as conn:
            watched = store.enabled_slas(conn)
            for sla in watched:
                if sla["type"] == "frequency":
                    candidates = [self._gap(conn, sla, now)]
                else:
                    candidates = _run_candidates(conn, sla)
                for candidate in candidates:
                    mark = (sla["id"], candidate[2])
                    live.add(mark)
                    if mark in self._noted:
                        continue
                    if candidate[3] <= now:
                        due.append((sla, candidate))
                    else:
                        next_deadline = min(next_deadline, candidate[3])
        self._noted &= live  # finished runs and closed gaps are forgotten
        ids = {sla["id"] for sla in watched}
        self._since = {k: v for k, v in self._since.items() if k in ids}
        self._watched = frozenset(f"headwater.deployment.{sla['deployment_id']}" for sla in watched)
        if due:
            self._emit(due, time.time())
        return max(0.0, next_deadline - time.time())

    def _gap(self, conn: Connection, sla: dict[str, Any], now: float) -> Candidate:
        """A frequency SLA's current gap.  The store is asked first, again when the gap
        known reaches its deadline (a run may have completed since), and during a
        breach every ``duration`` (a run that completes then is seen before its own
        gap's deadline)."""
        duration = sla["duration"]
        since, asked = self._since.get(sla["id"], (0.0, 0.0))
        deadline = since + duration
        if asked == 0.0 or (deadline <= now and (asked < deadline or asked + duration <= now)):
            since, asked = _last_completed(conn, sla), now
            self._since[sla["id"]] = (since, asked)
        return (None, None, f"since:{since:.6f}", since + duration)

    def _emit(self, due: list[tuple[dict[str, Any], Candidate]], now: float) -> None:
        from headwater.server.store import slas as store
        from headwater.server.store.events import record_events

        with self.db.begin_write() as conn:
            names = self._flow_names(conn, {sla["flow_id"] for sla, _ in due})
            found = []
            for sla, candidate in due:
                run_id, _name, key, _deadline = candidate
                if store.record_breach(
                    conn, sla_id=sla["id"], key=key, flow_run_id=run_id, now=now
                ):
                    found.append(violation_event(sla, names.get(sla["flow_id"]), candidate, now))
            record_events(conn, found)
        self._noted.update((sla["id"], candidate[2]) for sla, candidate in due)
        for event in found:
            logger.info(
                "SLA %s violated (%s)", event["resource"][NAME], event["payload"]["breach_key"]
            )

    @staticmethod
    def _flow_names(conn: Connection, flow_ids: set[Any]) -> dict[Any, str]:
        rows = conn.execute(select(flows.c.id, flows.c.name).where(flows.c.id.in_(flow_ids)))
        return {row[0]: row[1] for row in rows}
