"""Small Prefect 1 style flows, written the way v1 users wrote them (only the import
line changed), each in a function that builds it so every test gets a fresh graph."""

from __future__ import annotations

import datetime as dt
from typing import Any

from headwater.v1 import Flow, Parameter, Task, case, flatten, merge, task, unmapped
from headwater.v1 import context as v1_context
from headwater.v1.engine import signals
from headwater.v1.triggers import all_finished, any_failed

FAST = dt.timedelta(seconds=0)


def push_pull() -> tuple[Flow, dict[str, Any]]:
    """The XCom-style push/pull: one task returns a value the next one takes."""

    @task
    def push(run_date: str) -> dict[str, Any]:
        return {"rows": 3, "day": run_date}

    @task
    def pull(payload: dict[str, Any]) -> str:
        return f"{payload['rows']} rows on {payload['day']}"

    with Flow("v1-push-pull") as flow:
        day = Parameter("day", default="2024-01-01")
        pushed = push(day)
        pulled = pull(pushed)
    return flow, {"push": pushed, "pull": pulled, "day": day}


def triggers_and_reference() -> tuple[Flow, dict[str, Any]]:
    """A parameterised flow: a failing load, an alert on any failure, a cleanup that
    always runs, and the load as reference task (so cleanup's success does not hide
    the failure)."""

    @task
    def extract(limit: int) -> list[int]:
        return list(range(limit))

    @task
    def load(rows: list[int], fail_over: int) -> int:
        if len(rows) > fail_over:
            raise ValueError(f"{len(rows)} rows is over {fail_over}")
        return len(rows)

    @task(trigger=any_failed)
    def alert() -> str:
        return "paged"

    @task(trigger=all_finished)
    def cleanup() -> str:
        return "cleaned"

    with Flow("v1-triggers") as flow:
        limit = Parameter("limit", default=2)
        fail_over = Parameter("fail_over", default=5)
        rows = extract(limit)
        loaded = load(rows, fail_over)
        alerted = alert(upstream_tasks=[loaded])
        cleaned = cleanup(upstream_tasks=[loaded])
    flow.set_reference_tasks([loaded])
    return flow, {"load": loaded, "alert": alerted, "cleanup": cleaned}


def mapped_with_failure() -> tuple[Flow, dict[str, Any]]:
    """Map over items, one child fails; a reduce is trigger-failed; cleanup runs."""

    @task
    def items(n: int) -> list[int]:
        return list(range(n))

    @task
    def square(x: int, offset: int) -> int:
        if x == 2:
            raise RuntimeError("item 2 is broken")
        return x * x + offset

    @task
    def add_one(x: int) -> int:
        return x + 1

    @task
    def total(values: list[int]) -> int:
        return sum(values)

    @task(trigger=all_finished)
    def cleanup(values: list[Any]) -> int:
        return sum(1 for v in values if isinstance(v, int))

    with Flow("v1-mapped") as flow:
        n = Parameter("n", default=4)
        xs = items(n)
        squares = square.map(xs, offset=unmapped(10))
        plus = add_one.map(squares)
        summed = total(plus)
        cleaned = cleanup(plus)
    return flow, {"square": squares, "add_one": plus, "total": summed, "cleanup": cleaned}


def case_merge() -> tuple[Flow, dict[str, Any]]:
    """Branch on a parameter with case/merge; the branch not taken is skipped."""

    @task
    def is_big(x: int) -> bool:
        return x > 10

    @task
    def big(x: int) -> str:
        return f"big {x}"

    @task
    def small(x: int) -> str:
        return f"small {x}"

    @task
    def report(text: str) -> str:
        return text.upper()

    with Flow("v1-case") as flow:
        x = Parameter("x", default=3)
        cond = is_big(x)
        with case(cond, True):
            b = big(x)
        with case(cond, False):
            s = small(x)
        merged = merge(b, s)
        reported = report(merged)
    return flow, {"big": b, "small": s, "merge": merged, "report": reported}


class Multiply(Task):
    """A Task subclass with its own constructor argument and run()."""

    def __init__(self, factor: int, **kwargs: Any) -> None:
        self.factor = factor
        super().__init__(**kwargs)

    def run(self, x: int) -> int:
        return x * self.factor


def signals_retries_context(attempts: list[int]) -> tuple[Flow, dict[str, Any]]:
    """SKIP propagation, SUCCESS/FAIL/ENDRUN/LOOP signals, retries, Task subclasses,
    flatten, collections and items, context keys, state handlers."""
    seen: list[tuple[str, str, str]] = []

    def watch(obj: Any, old: Any, new: Any) -> None:
        seen.append((obj.name, type(old).__name__, type(new).__name__))

    @task(max_retries=2, retry_delay=FAST, state_handlers=[watch])
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("try again")
        return "third time"

    @task
    def maybe_skip(skip: bool) -> str:
        if skip:
            raise signals.SKIP("nothing to do today")
        return "did it"

    @task
    def after_skip(value: str) -> str:
        return value + "!"

    @task
    def countdown() -> int:
        loop = v1_context.get("task_loop_result", 0)
        if loop < 3:
            raise signals.LOOP(result=loop + 1)
        return loop

    @task
    def early() -> None:
        raise signals.SUCCESS("done early", result=42)

    @task
    def ends() -> None:
        raise signals.ENDRUN(signals.FAIL("stopped").state)

    @task
    def nested() -> list[list[int]]:
        return [[1, 2], [3]]

    @task
    def inc(x: int) -> int:
        return x + 1

    @task
    def names() -> dict[str, Any]:
        return {
            "flow": v1_context.get("flow_name"),
            "task": v1_context.task_name,
            "today": v1_context.today,
            "has_logger": v1_context.get("logger") is not None,
        }

    @task(nout=2)
    def pair() -> tuple[int, int]:
        return 1, 2

    @task
    def combine(values: list[int], mapping: dict[str, int]) -> int:
        return sum(values) + sum(mapping.values())

    with Flow("v1-signals") as flow:
        skip = Parameter("skip", default=True)
        f = flaky()
        s = maybe_skip(skip)
        a = after_skip(s)
        loop = countdown()
        e = early()
        ended = ends()
        flat = inc.map(flatten(nested()))
        times3 = Multiply(3, name="times3")(flat[0])
        info = names()
        first, second = pair()
        combined = combine([first, second, times3], {"k": second})
    flow.set_reference_tasks([f, a, loop, e, flat, info, combined])
    return flow, {
        "flaky": f,
        "maybe_skip": s,
        "after_skip": a,
        "countdown": loop,
        "early": early,
        "early_ref": e,
        "ends": ended,
        "flat": flat,
        "times3": times3,
        "names": info,
        "combined": combined,
        "seen": seen,
    }
