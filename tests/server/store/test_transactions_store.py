"""The store's records of flow runs' transactions on SQLite and PostgreSQL: they go
with their flow run (deleted, or pruned by retention), and the page's task-run labels."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from headwater.server.db.database import get_database
from headwater.server.db.tables import flow_runs as flow_runs_table
from headwater.server.db.tables import run_transactions
from headwater.server.store import flow_runs, retention, transactions
from headwater.states import Completed, Running
from headwater.utilities.ids import new_id
from tests.client.conformance.contract_transactions import txn_record
from tests.server.ui.run_data import seed_flow_run


def _count(db: Any) -> int:
    with db.begin_read() as conn:
        return int(conn.execute(select(func.count()).select_from(run_transactions)).scalar_one())


def test_transactions_go_with_their_flow_run(database_url: str) -> None:
    db = get_database(database_url)
    with db.begin_write() as conn:
        run = flow_runs.create_flow_run(
            conn, flow_run={"id": new_id(), "flow_name": "txn-store", "name": "r"}, state=Running()
        )
        transactions.write_transactions(
            conn, records=[txn_record(run["id"]), txn_record(run["id"], outcome="COMMITTED")]
        )
    assert _count(db) == 2
    with db.begin_write() as conn:
        flow_runs.delete_flow_run(conn, flow_run_id=run["id"])
    assert _count(db) == 0


def test_retention_prunes_a_runs_transactions_with_it(database_url: str) -> None:
    db = get_database(database_url)
    old = time.time() - 90 * 86_400
    with db.begin_write() as conn:
        run = flow_runs.create_flow_run(
            conn, flow_run={"id": new_id(), "flow_name": "txn-old", "name": "r"}, state=Running()
        )
        transactions.write_transactions(conn, records=[txn_record(run["id"], start_time=old)])
        flow_runs.set_flow_run_state(conn, flow_run_id=run["id"], state=Completed(), force=True)
        conn.execute(
            flow_runs_table.update().where(flow_runs_table.c.id == run["id"]).values(end_time=old)
        )
    report = retention.prune(db, cutoff=time.time() - 30 * 86_400)
    assert report.flow_runs == 1
    assert _count(db) == 0


def test_task_run_labels_name_the_runs_that_exist(database_url: str) -> None:
    run_id = seed_flow_run(database_url, tasks=3, task_names=1)
    db = get_database(database_url)
    with db.begin_read() as conn:
        ids = [tr.id for tr in transactions_task_runs(conn, run_id)]
        labels = transactions.read_task_run_labels(conn, task_run_ids=[*ids, new_id()])
    assert set(labels) == set(ids)
    assert all(state in ("COMPLETED", "FAILED") for _, state, _ in labels.values())


def transactions_task_runs(conn: Any, run_id: Any) -> list[Any]:
    from headwater.schemas.filters import TaskRunFilter
    from headwater.server.store import task_runs

    page, _ = task_runs.read_task_runs_page(
        conn, task_run_filter=TaskRunFilter(flow_run_ids=[run_id]), limit=10
    )
    return page
