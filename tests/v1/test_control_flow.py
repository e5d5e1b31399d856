"""ifelse, switch, nested case blocks, flow state handlers, chain and copy."""

from __future__ import annotations

from typing import Any

from headwater.v1 import Flow, Parameter, case, ifelse, merge, switch, task
from headwater.v1.engine import state as v1


@task
def value(x: Any) -> Any:
    return x


@task
def label(text: str) -> str:
    return text


def test_ifelse_runs_one_branch() -> None:
    with Flow("v1-ifelse") as flow:
        flag = Parameter("flag", default=True)
        yes = label("yes")
        no = label("no")
        ifelse(value(flag), yes, no)
        out = merge(yes, no)
    on = flow.run()
    assert on.result[out].result == "yes" and isinstance(on.result[no], v1.Skipped)
    off = flow.run(parameters={"flag": 0})
    assert off.result[out].result == "no" and isinstance(off.result[yes], v1.Skipped)


def test_switch_and_nested_case() -> None:
    with Flow("v1-switch") as flow:
        kind = Parameter("kind", default="b")
        a, b, c = label("A"), label("B"), label("C")
        switch(value(kind), {"a": a, "b": b, "c": c})
        outer = value(Parameter("outer", default=True))
        with case(outer, True):
            inner_cond = value(kind)
            with case(inner_cond, "b"):
                deep = label("deep")
    state = flow.run()
    assert [type(state.result[t]).__name__ for t in (a, b, c)] == ["Skipped", "Success", "Skipped"]
    assert state.result[deep].result == "deep"
    closed = flow.run(parameters={"outer": False})
    assert isinstance(closed.result[inner_cond], v1.Skipped)
    assert isinstance(closed.result[deep], v1.Skipped)
    assert closed.is_successful()


def test_flow_state_handlers_chain_and_copy() -> None:
    seen: list[tuple[str, str]] = []

    def handler(flow: Any, old: Any, new: Any) -> Any:
        seen.append((type(old).__name__, type(new).__name__))
        if new.is_failed():
            return v1.Success("forgiven", result=new.result)
        return new

    @task
    def boom() -> None:
        raise ValueError("boom")

    flow = Flow("v1-handlers", state_handlers=[handler])
    first, second = boom.copy(), value.copy()
    flow.set_dependencies(second, keyword_tasks={"x": 1})
    flow.chain(first, second)
    state = flow.run()
    assert seen == [("Pending", "Running"), ("Running", "Failed")]
    assert state.is_successful() and state.message == "forgiven"
    assert isinstance(state.result[second], v1.TriggerFailed)
    copied = flow.copy()
    assert copied.tasks == flow.tasks and len(copied.edges) == len(flow.edges)
