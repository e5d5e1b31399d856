"""PostgreSQL batch writes of logs and task runs: one ``jsonb_to_recordset`` statement
per batch (what the store does) against psycopg's ``executemany`` (a statement per row,
what it did), alternated batch by batch in one run on one fresh schema.

    python benchmarks/pg_batch_writes.py [--batches 20] [--size 1000] [--postgres URL]

Prints one JSON object: rows/s of each way for each table and their ratio (new/old).
The URL defaults to HEADWATER_TEST_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import case, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.client.conformance


def _log_rows(run_id: Any, size: int) -> list[Any]:
    from tests.client.conformance.records import log_record

    return [log_record(run_id, f"line {i} of a batch") for i in range(size)]


def _task_records(run_id: Any, size: int) -> list[Any]:
    from tests.client.conformance.records import task_record

    return [task_record(run_id, dynamic_key=str(i), name=f"bench-{i}") for i in range(size)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("HEADWATER_TEST_DATABASE_URL"))
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit("give --postgres URL (or set HEADWATER_TEST_DATABASE_URL)")

    from headwater.server.db.bulk import bulk_statement
    from headwater.server.db.database import open_database
    from headwater.server.db.dialect import insert_for
    from headwater.server.db.migrate import ensure_schema
    from headwater.server.db.tables import logs, task_runs
    from headwater.server.store import flow_runs
    from headwater.server.store import logs as log_store
    from headwater.server.store import task_runs as task_store
    from headwater.states import Running

    schema = f"bench_batch_{os.getpid()}"
    admin = open_database(args.postgres)
    with admin.begin_write() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{args.postgres}{'&' if '?' in args.postgres else '?'}options=-csearch_path%3D{schema}"
    db = open_database(url)
    try:
        ensure_schema(db)
        with db.begin_write() as conn:
            run_id = flow_runs.create_flow_run(
                conn, flow_run={"flow_name": "bench", "name": "r"}, state=Running()
            )["id"]

        def old_logs(conn: Any, rows: list[Any]) -> None:
            def build() -> Any:
                return logs, insert_for(conn, logs).on_conflict_do_nothing(index_elements=["id"])

            bulk_statement(conn, "bench_logs_executemany", build).execute(conn, rows)

        def old_task_runs(conn: Any, records: list[Any]) -> None:
            stmt = insert_for(conn, task_runs)
            values = {name: stmt.excluded[name] for name in task_store._UPDATABLE}
            values["claimable_at"] = case(
                (stmt.excluded.state_type.in_(task_store._FINAL), None),
                else_=task_runs.c.claimable_at,
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["id"],
                set_=values,
                where=stmt.excluded.updated >= task_runs.c.updated,
            )
            bulk_statement(
                conn,
                "bench_task_runs_executemany",
                lambda: (task_store._record_columns, stmt),
                attributes=True,
            ).execute(conn, records)

        ways = {
            "logs": (
                lambda: _log_rows(run_id, args.size),
                {"old": old_logs, "new": lambda c, r: log_store.create_logs(c, records=r)},
            ),
            "task_runs": (
                lambda: _task_records(run_id, args.size),
                {
                    "old": old_task_runs,
                    "new": lambda c, r: task_store.upsert_task_runs(c, records=r),
                },
            ),
        }
        spent: dict[str, float] = {}
        for table, (make, writers) in ways.items():
            for batch in range(args.batches + 1):
                for way in ("old", "new") if batch % 2 else ("new", "old"):
                    rows = make()
                    start = time.perf_counter()
                    with db.begin_write() as conn:
                        writers[way](conn, rows)
                    if batch:  # the first round warms both up
                        key = f"{table}_{way}"
                        spent[key] = spent.get(key, 0.0) + time.perf_counter() - start
        rows = args.batches * args.size
        result: dict[str, Any] = {k + "_rows_per_s": round(rows / v) for k, v in spent.items()}
        for table in ways:
            result[f"{table}_new_over_old"] = round(
                spent[f"{table}_old"] / spent[f"{table}_new"], 2
            )
        result["load_average"] = os.getloadavg()
        print(json.dumps(result))
    finally:
        db.dispose()
        with admin.begin_write() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
