"""The flow-run service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from headwater.exceptions import ObjectNotFound
from headwater.schemas.filters import FlowRunFilter, FlowRunSort
from headwater.schemas.orchestration import SetStateStatus
from headwater.server.db.database import get_database
from headwater.server.store import flow_runs
from headwater.states import AwaitingRetry, Completed, Failed, Pending, Retrying, Running, StateType
from headwater.utilities.ids import new_id


def _create(url: str, **values: object) -> dict:
    db = get_database(url)
    data = {"flow_name": "etl", "name": "run", **values}
    with db.begin_write() as conn:
        return flow_runs.create_flow_run(conn, flow_run=data, state=Pending())  # type: ignore[arg-type]


def _set(url: str, run_id: object, state: object) -> object:
    with get_database(url).begin_write() as conn:
        return flow_runs.set_flow_run_state(conn, flow_run_id=run_id, state=state)  # type: ignore[arg-type]


def test_create_is_idempotent_by_id_and_by_key(database_url: str) -> None:
    run_id = new_id()
    first = _create(database_url, id=run_id, parameters={"a": 1}, tags=["x"])
    again = _create(database_url, id=run_id, name="other")
    assert first["was_created"] and not again["was_created"]
    assert again["name"] == "run"
    keyed = _create(database_url, idempotency_key="nightly-2024-01-01")
    repeat = _create(database_url, idempotency_key="nightly-2024-01-01")
    assert repeat["id"] == keyed["id"] and not repeat["was_created"]
    other_flow = _create(database_url, flow_name="other", idempotency_key="nightly-2024-01-01")
    assert other_flow["id"] != keyed["id"]


def test_state_changes_and_bookkeeping(database_url: str) -> None:
    run = _create(database_url, empirical_policy={"retries": 1, "retry_delay_seconds": 60})
    result = _set(database_url, run["id"], Running())
    assert result.status is SetStateStatus.ACCEPT  # type: ignore[attr-defined]
    answer = _set(database_url, run["id"], Failed(message="boom"))
    assert answer.status is SetStateStatus.REJECT  # type: ignore[attr-defined]
    assert answer.state.name == "AwaitingRetry"  # type: ignore[attr-defined]
    scheduled = answer.state.state_details.scheduled_time  # type: ignore[attr-defined]
    assert scheduled > dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=50)
    _set(database_url, run["id"], Retrying())
    _set(database_url, run["id"], Failed(message="boom again"))
    with get_database(database_url).begin_read() as conn:
        stored = flow_runs.read_flow_run(conn, flow_run_id=run["id"])
        history = flow_runs.read_flow_run_states(conn, flow_run_id=run["id"])
    assert stored.state.is_failed() and stored.run_count == 2
    assert stored.start_time is not None and stored.end_time is not None
    assert stored.total_run_time >= 0
    assert [s.name for s in history] == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "Failed",
    ]


def test_terminal_states_are_final_except_for_a_retry(database_url: str) -> None:
    run = _create(database_url)
    _set(database_url, run["id"], Running())
    _set(database_url, run["id"], Completed())
    rejected = _set(database_url, run["id"], Running())
    assert rejected.status is SetStateStatus.REJECT  # type: ignore[attr-defined]
    assert rejected.state.is_completed()  # type: ignore[attr-defined]
    assert "already finished" in rejected.reason  # type: ignore[attr-defined]
    failed = _create(database_url)
    _set(database_url, failed["id"], Running())
    _set(database_url, failed["id"], Failed())
    retried = _set(database_url, failed["id"], AwaitingRetry())
    assert retried.status is SetStateStatus.ACCEPT  # type: ignore[attr-defined]


def test_unknown_run(database_url: str) -> None:
    with pytest.raises(ObjectNotFound):
        _set(database_url, new_id(), Running())
    with get_database(database_url).begin_read() as conn, pytest.raises(ObjectNotFound):
        flow_runs.read_flow_run(conn, flow_run_id=new_id())


def test_filters_and_sorting(database_url: str) -> None:
    a = _create(database_url, flow_name="alpha", name="a-run", tags=["nightly", "db"])
    time.sleep(0.01)
    b = _create(database_url, flow_name="beta", name="b-run", tags=["db"])
    _set(database_url, b["id"], Running())
    time.sleep(0.01)
    c = _create(database_url, flow_name="beta", name="c-run", parent_flow_run_id=b["id"])
    db = get_database(database_url)

    def ids(**kw: object) -> list[object]:
        sort = kw.pop("sort", FlowRunSort.CREATED_DESC)
        with db.begin_read() as conn:
            runs = flow_runs.read_flow_runs(
                conn,
                flow_run_filter=FlowRunFilter(**kw),
                sort=sort,  # type: ignore[arg-type]
            )
        return [r.id for r in runs]

    assert ids() == [c["id"], b["id"], a["id"]]
    assert ids(sort=FlowRunSort.NAME_ASC) == [a["id"], b["id"], c["id"]]
    assert ids(flow_names=["beta"]) == [c["id"], b["id"]]
    assert ids(state_types=[StateType.RUNNING]) == [b["id"]]
    assert ids(tags_all=["db"]) == [b["id"], a["id"]]
    assert ids(tags_all=["db", "nightly"]) == [a["id"]]
    assert ids(parent_flow_run_id=b["id"]) == [c["id"]]
    assert ids(name_like="c-r") == [c["id"]]
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    assert ids(start_time_after=started) == [b["id"]]
    with db.begin_read() as conn:
        assert (
            flow_runs.count_flow_runs(conn, flow_run_filter=FlowRunFilter(flow_names=["beta"])) == 2
        )


def test_delete_removes_states_too(database_url: str) -> None:
    run = _create(database_url)
    with get_database(database_url).begin_write() as conn:
        flow_runs.delete_flow_run(conn, flow_run_id=run["id"])
        with pytest.raises(ObjectNotFound):
            flow_runs.delete_flow_run(conn, flow_run_id=run["id"])
    with get_database(database_url).begin_read() as conn:
        assert flow_runs.read_flow_run_states(conn, flow_run_id=run["id"]) == []
