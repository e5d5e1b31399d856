"""Building v1 graphs: edges, constants, validation errors, pictures, lazy imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from headwater.v1 import Flow, Parameter, task, unmapped
from headwater.v1.exceptions import V1GraphError, V1NotSupported


@task
def add(x: int, y: int = 0) -> int:
    return x + y


def test_calls_add_copies_with_edges_and_constants() -> None:
    with Flow("v1-graph") as flow:
        a = add(1)
        b = add(a, y=2)
        c = add(x=b, upstream_tasks=[a])
    assert a is not add and len({a, b, c}) == 3
    assert flow.constants[a] == {"x": 1}
    assert {(e.upstream_task, e.key) for e in flow.edges_to(c)} == {(b, "x"), (a, None)}
    assert flow.root_tasks() == {a} and flow.terminal_tasks() == {c}
    assert flow.sorted_tasks() == [a, b, c]
    assert flow.run().result[c].result == 3


def test_set_upstream_and_set_dependencies_outside_the_block() -> None:
    flow = Flow("v1-explicit")
    one = add.copy()
    two = add.copy()
    flow.set_dependencies(one, keyword_tasks={"x": 5})
    flow.set_dependencies(two, keyword_tasks={"x": one, "y": 1})
    three = add.copy()
    three.set_upstream(two, key="x", flow=flow)
    assert flow.run().result[three].result == 6


def test_cycles_and_bad_calls_are_one_line_errors() -> None:
    with Flow("v1-bad") as flow:
        a = add(1)
        b = add(a)
        with pytest.raises(V1GraphError, match="cycle found"):
            a.set_upstream(b)
        with pytest.raises(V1GraphError, match="missing a required argument"):
            add()
        with pytest.raises(V1GraphError, match="already has a parameter"):
            add(Parameter("p"), Parameter("p"))
    with pytest.raises(V1GraphError, match="needs a flow"):
        add(1)
    with pytest.raises(V1GraphError, match="retry_delay"):
        task(max_retries=2)(lambda: 1)
    from headwater.v1.executors import LocalDaskExecutor

    with pytest.raises(V1NotSupported, match="scheduler='processes'"):
        LocalDaskExecutor(scheduler="processes")
    assert flow.name == "v1-bad"


def test_manual_only_pauses_and_the_flow_run_does_not_complete() -> None:
    from headwater.v1.engine import state as v1
    from headwater.v1.triggers import manual_only

    with Flow("v1-manual") as flow:
        first = add(1)
        gate = add(first, task_args={"trigger": manual_only})
        after = add(gate)
    state = flow.run()
    assert isinstance(state, v1.Running)
    assert isinstance(state.result[gate], v1.Paused)
    assert isinstance(state.result[after], v1.Pending)


def test_visualize_without_graphviz_is_mermaid(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program

    @task
    def items() -> list[int]:
        return [1, 2]

    with Flow("v1-draw") as flow:
        xs = add.map(items(), y=unmapped(add(1)))
    text = flow.visualize(filename=str(tmp_path / "graph"))
    assert text.startswith("flowchart TD")
    assert "-.->|x|" in text and "-->|y|" in text
    assert (tmp_path / "graph.mmd").read_text() == text
    assert flow.run().result[xs].result == [2, 3]


def test_import_headwater_v1_is_light() -> None:
    code = (
        "import sys, headwater, headwater.v1; "
        "heavy = [m for m in ('sqlalchemy', 'fastapi', 'pydantic', 'rich', 'headwater.engine') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
