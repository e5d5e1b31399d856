"""Subflows: linked to their parent run and to a task run in it."""

from __future__ import annotations

import pytest

from headwater import flow, task
from headwater.exceptions import ParameterTypeError
from tests.helpers import stored_runs, task_runs_of


@task
def square(x: int) -> int:
    return x * x


@flow
def child(month: int) -> int:
    return square(month)


def test_subflows_link_to_parent_and_parent_task() -> None:
    @flow
    def parent(months: list[int]) -> list[int]:
        return [child(m) for m in months]

    assert parent([1, 2, 3]) == [1, 4, 9]
    runs = stored_runs()
    parent_run = next(r for r in runs if r.flow_name == "parent")
    children = [r for r in runs if r.flow_name == "child"]
    assert len(children) == 3
    assert all(c.parent_flow_run_id == parent_run.id for c in children)
    parent_tasks = {t.id: t for t in task_runs_of(parent_run.id)}
    assert {c.parent_task_run_id for c in children} == set(parent_tasks)
    assert sorted(t.name for t in parent_tasks.values()) == ["child-0", "child-1", "child-2"]
    assert all(t.state.is_completed() for t in parent_tasks.values())
    for c in children:
        assert len(task_runs_of(c.id)) == 1


def test_failed_subflow_fails_parent_task_and_propagates() -> None:
    @flow
    def bad_child() -> None:
        raise ValueError("child broke")

    @flow
    def parent() -> None:
        bad_child()

    with pytest.raises(ValueError, match="child broke"):
        parent()
    runs = stored_runs()
    parent_run = next(r for r in runs if r.flow_name == "parent")
    assert parent_run.state.is_failed()
    (parent_task,) = task_runs_of(parent_run.id)
    assert parent_task.state.is_failed()


def test_subflow_with_bad_parameters_records_a_failed_child() -> None:
    @flow
    def parent() -> None:
        child("not a month")

    with pytest.raises(ParameterTypeError):
        parent()
    runs = {r.flow_name: r for r in stored_runs()}
    assert runs["child"].state.is_failed()
    assert runs["child"].parent_flow_run_id == runs["parent"].id
