"""@flow and @task on instance methods, classmethods and staticmethods."""

from __future__ import annotations

from headwater import flow, task
from tests.helpers import stored_runs


class Pipeline:
    base = 100

    def __init__(self, offset: int) -> None:
        self.offset = offset

    @task
    def shift(self, x: int) -> int:
        return x + self.offset

    @flow
    def run(self, x: int) -> int:
        return self.shift(x)

    @classmethod
    @flow
    def from_base_outer(cls, x: int) -> int:
        return cls.base + x

    @flow
    @classmethod
    def from_base_inner(cls, x: int) -> int:
        return cls.base + x

    @staticmethod
    @flow
    def static_outer(x: int) -> int:
        return x * 2

    @flow
    @staticmethod
    def static_inner(x: int) -> int:
        return x * 3

    @task
    @classmethod
    def class_task(cls, x: int) -> int:
        return cls.base - x


def test_methods_run_as_flows_and_record_their_own_parameters() -> None:
    pipeline = Pipeline(5)
    assert pipeline.run(1) == 6
    assert Pipeline.from_base_outer(1) == 101 and pipeline.from_base_outer(2) == 102
    assert Pipeline.from_base_inner(3) == 103
    assert Pipeline.static_outer(4) == 8 and pipeline.static_inner(2) == 6
    assert Pipeline.class_task(1) == 99
    runs = {run.flow_name: run.parameters for run in stored_runs()}
    assert runs["run"] == {"x": 1}  # self is not a parameter
    assert runs["from-base-inner"] == {"x": 3}
    assert runs["static-inner"] == {"x": 2}


def test_the_flow_on_the_class_is_unchanged() -> None:
    assert Pipeline.__dict__["run"].name == "run"
    bound = Pipeline(1).run
    assert bound is not Pipeline.__dict__["run"] and bound.name == "run"
