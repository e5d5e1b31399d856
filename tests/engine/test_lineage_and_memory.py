"""Lineage (which task runs fed a task's inputs) and flat memory for big flows."""

from __future__ import annotations

import gc
import resource
import weakref
from typing import Any

from headwater import flow, task
from tests.helpers import last_run, task_runs_of


@task
def extract() -> list[int]:
    return list(range(10))


@task
def transform(rows: list[int], factor: int) -> list[int]:
    return [r * factor for r in rows]


@task
def load(rows: list[int], extra: dict[str, Any]) -> int:
    return len(rows)


def test_direct_calls_record_which_task_produced_each_input() -> None:
    @flow
    def pipeline() -> int:
        rows = extract()
        doubled = transform(rows, 2)
        return load(doubled, {"k": 1})

    assert pipeline() == 10
    runs = {r.name: r for r in task_runs_of(last_run().id)}
    assert runs["transform-0"].inputs == {"rows": [runs["extract-0"].id]}
    assert runs["load-0"].inputs == {"rows": [runs["transform-0"].id]}


def test_plain_values_have_no_lineage() -> None:
    @flow
    def pipeline() -> None:
        transform([1, 2], 3)

    pipeline()
    assert task_runs_of(last_run().id)[0].inputs == {}


def test_results_not_referenced_are_freed() -> None:
    class Payload:
        pass

    refs: list[weakref.ref[Payload]] = []

    @task
    def make(i: int = 0) -> Payload:
        payload = Payload()
        refs.append(weakref.ref(payload))
        return payload

    @flow
    def pipeline() -> None:
        for _ in range(50):
            make()
        futures = make.map(range(50))
        futures.wait()
        del futures

    pipeline()
    gc.collect()
    assert sum(1 for ref in refs if ref() is not None) == 0


def test_memory_stays_flat_when_results_are_dropped() -> None:
    @task
    def big(i: int) -> list[int]:
        return list(range(10_000))  # ~360 KB each with the ints

    @flow
    def pipeline(n: int) -> None:
        for i in range(n):
            big(i)

    pipeline(50)  # warm up
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    pipeline(3000)  # keeping every result would need > 1 GB
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100
