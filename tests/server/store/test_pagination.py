"""Keyset pagination over every sort, with ties and NULLs, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from headwater.schemas.filters import FlowRunFilter, FlowRunSort
from headwater.server.db.database import get_database
from headwater.server.store import flow_runs
from headwater.server.store.pagination import InvalidCursor, decode_cursor
from headwater.states import Completed, Running, Scheduled


@pytest.fixture
def store(database_url: str) -> Any:
    db = get_database(database_url)
    with db.begin_write() as conn:
        for i in range(11):
            state = (Running, Completed, Scheduled)[i % 3]()  # Scheduled: no start time
            flow_runs.create_flow_run(
                conn, flow_run={"flow_name": "paged", "name": f"run-{i % 4}"}, state=state
            )
    return db


@pytest.mark.parametrize("sort", list(FlowRunSort))
@pytest.mark.parametrize("limit", [1, 4, 11, 20])
def test_cursor_pages_equal_one_big_page(store: Any, sort: FlowRunSort, limit: int) -> None:
    flt = FlowRunFilter(flow_names=["paged"])
    with store.begin_read() as conn:
        everything = [r.id for r in flow_runs.read_flow_runs(conn, flow_run_filter=flt, sort=sort)]
        seen: list[Any] = []
        cursor = None
        while True:
            page, cursor = flow_runs.read_flow_runs_page(
                conn, flow_run_filter=flt, sort=sort, limit=limit, cursor=cursor
            )
            seen += [r.id for r in page]
            if cursor is None:
                break
    assert seen == everything and len(seen) == 11


def test_offset_counts_from_the_cursor(store: Any) -> None:
    flt = FlowRunFilter(flow_names=["paged"])
    with store.begin_read() as conn:
        everything = [r.id for r in flow_runs.read_flow_runs(conn, flow_run_filter=flt)]
        _, cursor = flow_runs.read_flow_runs_page(conn, flow_run_filter=flt, limit=3)
        page, _ = flow_runs.read_flow_runs_page(
            conn, flow_run_filter=flt, limit=2, offset=2, cursor=cursor
        )
    assert [r.id for r in page] == everything[5:7]


def _cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        _cursor({"a": 1}),
        _cursor(["CREATED_DESC", 1.0]),
        _cursor(["CREATED_DESC", "x", "0" * 32]),
        _cursor(["CREATED_DESC", 1.0, "zz"]),
        _cursor(["CREATED_DESC", float("nan"), "0" * 32]),
        _cursor(["NAME_ASC", "x", "0" * 32]),
        "x" * 2000,
    ],
)
def test_foreign_cursors_are_refused(cursor: str) -> None:
    keys = flow_runs.SORTS["CREATED_DESC"]
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, "CREATED_DESC", keys)
