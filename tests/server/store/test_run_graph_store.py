"""The flow run page's reads on SQLite and PostgreSQL: the laid-out graph (lineage,
layers, folding of mapped calls), one timeline bar per call with retry segments,
the failing task with its traceback, and the logs a page at a time."""

from __future__ import annotations

import pytest

from headwater.exceptions import ObjectNotFound
from headwater.server.db.database import get_database
from headwater.server.store import log_pages, run_calls, run_failure, run_graph
from headwater.server.store.pagination import InvalidCursor
from headwater.utilities.ids import new_id
from tests.server.ui.graph_data import TRACEBACK, seed_graph_run
from tests.server.ui.run_data import seed_flow_run


def test_graph_layers_follow_lineage_and_mapped_calls_fold(database_url: str) -> None:
    run = seed_graph_run(database_url, layers=4, width=5, mapped=7)
    with get_database(database_url).begin_read() as conn:
        graph = run_graph.read_run_graph(conn, flow_run_id=run["id"])
        mark = run_graph.fingerprint(conn, flow_run_id=run["id"])
        unfolded = run_graph.read_run_graph(
            conn, flow_run_id=run["id"], expand={f"g-{run['mapped']}"}
        )
        assert run_graph.fingerprint(conn, flow_run_id=new_id()) is None
        capped = run_graph.read_run_graph(conn, flow_run_id=run["id"], max_task_runs=10)
        with pytest.raises(ObjectNotFound):
            run_graph.read_run_graph(conn, flow_run_id=new_id())
    assert mark is not None and mark[0] == "COMPLETED" and mark[2] == 4 * 5 + 7
    assert graph["task_runs"] == 27 and graph["final"] and not graph["truncated"]
    assert capped["task_runs"] == 10 and capped["truncated"] and len(capped["nodes"]) == 10
    nodes = graph["nodes"]
    assert len(nodes) == 4 * 5 + 1
    by_label = {node["label"]: node for node in nodes}
    # Layer = longest path: each grid row is one column further right.
    xs = sorted({node["x"] for node in nodes if node["kind"] == "task"})
    assert len(xs) == 4
    assert by_label["step0-3"]["x"] == xs[3] and by_label["step4-0"]["x"] == xs[0]
    mapped = by_label["score \u00d77"]
    assert mapped["kind"] == "mapped" and mapped["members"] == 7
    assert mapped["states"] == {"COMPLETED": 7} and mapped["x"] == xs[1]
    assert by_label["step1-0"]["retries"] == 2
    # 3 layers x 5 x 2 inputs, and the mapped node's one edge from step0-0.
    assert len(graph["edges"]) == 3 * 5 * 2 + 1
    for source, target in graph["edges"]:
        assert nodes[source]["x"] < nodes[target]["x"]
    assert len(unfolded["nodes"]) == 4 * 5 + 7 and len(unfolded["edges"]) == 30 + 7


def test_graph_shows_subflows_and_ignores_lineage_from_other_runs(database_url: str) -> None:
    from headwater.schemas.records import TaskRunRecord
    from headwater.server.store import task_runs
    from tests.server.ui.graph_data import task_run_record

    run = seed_graph_run(database_url, layers=1, width=1, final=False)
    child = new_id()
    subflow = {"__subflow_run__": [str(child)]}
    records = [
        task_run_record(run["id"], "child", "child-0", "RUNNING", 1.0, inputs=subflow),
        task_run_record(run["id"], "after", "after-0", "PENDING", 2.0,
                inputs={"x": [str(new_id())], "__wait_for__": [str(run["first"])]}),
    ]  # fmt: skip
    with get_database(database_url).begin_write() as conn:
        task_runs.upsert_task_runs(conn, records=[TaskRunRecord.from_dict(r) for r in records])
    with get_database(database_url).begin_read() as conn:
        graph = run_graph.read_run_graph(conn, flow_run_id=run["id"])
    assert not graph["final"]
    by_label = {node["label"]: node for node in graph["nodes"]}
    assert by_label["child-0"]["kind"] == "subflow"
    assert by_label["child-0"]["flow_run_id"] == str(child)
    assert len(graph["edges"]) == 1  # the unknown upstream id is left out


def test_timeline_has_a_bar_per_call_and_a_segment_per_attempt(database_url: str) -> None:
    run = seed_graph_run(database_url, layers=2, width=3, mapped=4)
    with get_database(database_url).begin_read() as conn:
        calls = run_calls.read_run_calls(conn, flow_run_id=run["id"])
        capped = run_calls.read_run_calls(conn, flow_run_id=run["id"], max_bars=4)
        with pytest.raises(ObjectNotFound):
            run_calls.read_run_calls(conn, flow_run_id=new_id())
    assert len(calls["bars"]) == 2 * 3 + 4 and calls["final"] and not calls["truncated"]
    assert len(capped["bars"]) == 4 and capped["truncated"]
    starts = [bar[3] for bar in calls["bars"]]
    assert starts == sorted(starts)
    retried = next(bar for bar in calls["bars"] if bar[0] == str(run["retried"]))
    assert retried[5] == 3
    assert [kind for _, _, kind in retried[6]] == ["FAILED", "FAILED", "COMPLETED"]
    assert all(bar[6] == [] for bar in calls["bars"] if bar is not retried)


def test_failure_names_the_failing_task_and_its_traceback(database_url: str) -> None:
    failed = seed_graph_run(database_url, layers=1, width=2, failing=True)
    fine = seed_graph_run(database_url, layers=1, width=2)
    with get_database(database_url).begin_read() as conn:
        found = run_failure.read_failure(conn, flow_run_id=failed["id"])
        assert run_failure.read_failure(conn, flow_run_id=fine["id"]) is None
    assert found is not None
    assert found["task_run_id"] == failed["failing"] and found["name"] == "load-0"
    assert found["message"] == "ValueError: bad row 17"
    assert found["traceback"] == TRACEBACK


def test_logs_page_both_ways_filter_by_task_and_stream_as_text(database_url: str) -> None:
    run_id = seed_flow_run(database_url, tasks=12, task_names=3, log_lines=530, seconds=20)
    db = get_database(database_url)
    with db.begin_read() as conn:
        newest = log_pages.read_log_page(conn, flow_run_id=run_id, limit=200)
        assert newest["newer"] is None and newest["older"]
        seen = [row["id"] for row in newest["rows"]]
        cursor = newest["older"]
        while cursor:
            page = log_pages.read_log_page(conn, flow_run_id=run_id, before=cursor, limit=200)
            seen = [row["id"] for row in page["rows"]] + seen
            cursor = page["older"]
        last = page
        assert len(seen) == len(set(seen)) == 530 and len(last["rows"]) == 130
        back = log_pages.read_log_page(conn, flow_run_id=run_id, after_cursor=last["newer"])
        assert [row["id"] for row in back["rows"]] == seen[130:330]
        tasks = log_pages.read_log_tasks(conn, flow_run_id=run_id)
        assert [task["label"] for task in tasks] == ["clean", "extract", "validate"]
        key = tasks[0]["key"]
        only = log_pages.read_log_page(conn, flow_run_id=run_id, task=key, limit=1000)["rows"]
        count = log_pages.count_log_lines(conn, flow_run_id=run_id, task=key)
        assert (
            only and len(only) == count and all(r["task_name"].startswith("clean-") for r in only)
        )
        flow_only = log_pages.count_log_lines(conn, flow_run_id=run_id, task=log_pages.FLOW_ONLY)
        assert (
            flow_only
            + sum(log_pages.count_log_lines(conn, flow_run_id=run_id, task=t["key"]) for t in tasks)
            == 530
        )
        with pytest.raises(InvalidCursor):
            log_pages.read_log_page(conn, flow_run_id=run_id, before="garbage")
    text = "".join(log_pages.iter_log_text(db, flow_run_id=run_id, batch=100))
    lines = text.splitlines()
    assert len(lines) == 530 and "INFO" in text and " | line 0: " in lines[0]
    errors = "".join(log_pages.iter_log_text(db, flow_run_id=run_id, level_ge=40))
    assert errors and all(" ERROR " in line for line in errors.splitlines())
