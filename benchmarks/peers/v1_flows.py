"""Prefect 1 flows for the comparison (``v1_compare.py``), written against
``prefect`` 1.4.1; run on Headwater after rewriting ``prefect`` to ``headwater.v1``.

Run as a script, it runs each flow and prints one JSON object: per flow, its final
state and message, and per task its state class and result (an exception by its
type; a mapped task by its children)."""

import json
from datetime import timedelta

import prefect
from prefect import Flow, Parameter, task, unmapped
from prefect.engine import signals
from prefect.tasks.control_flow import case, merge
from prefect.triggers import all_finished, any_failed


@task
def push(day):
    prefect.context.get("logger").info("pushing for %s", day)
    return {"rows": 3, "day": day}


@task
def pull(payload):
    return f"{payload['rows']} rows on {payload['day']}"


with Flow("push-pull") as push_pull:
    day = Parameter("day", default="2024-01-01")
    pull(push(day))


@task
def extract(limit):
    return list(range(limit))


@task(max_retries=1, retry_delay=timedelta(seconds=0))
def load(rows, fail_over):
    if len(rows) > fail_over:
        raise ValueError("too many rows")
    return len(rows)


@task(trigger=any_failed)
def alert():
    return "paged"


@task(trigger=all_finished)
def cleanup():
    return "cleaned"


with Flow("triggers") as triggers_flow:
    limit = Parameter("limit", default=2)
    fail_over = Parameter("fail_over", default=5)
    loaded = load(extract(limit), fail_over)
    alert(upstream_tasks=[loaded])
    cleanup(upstream_tasks=[loaded])
triggers_flow.set_reference_tasks([loaded])


@task
def items(n):
    return list(range(n))


@task
def square(x, offset):
    if x == 2:
        raise RuntimeError("item 2 is broken")
    return x * x + offset


@task
def add_one(x):
    return x + 1


@task
def total(values):
    return sum(values)


@task(trigger=all_finished)
def count_ints(values):
    return sum(1 for v in values if isinstance(v, int))


with Flow("mapped") as mapped_flow:
    squares = square.map(items(Parameter("n", default=4)), offset=unmapped(10))
    plus = add_one.map(squares)
    total(plus)
    count_ints(plus)


@task
def is_big(x):
    return x > 10


@task
def big(x):
    return f"big {x}"


@task
def small(x):
    return f"small {x}"


@task
def report(text):
    return text.upper()


with Flow("case-merge") as case_flow:
    x = Parameter("x", default=3)
    cond = is_big(x)
    with case(cond, True):
        b = big(x)
    with case(cond, False):
        s = small(x)
    report(merge(b, s))


@task
def maybe_skip(skip):
    if skip:
        raise signals.SKIP("nothing to do")
    return "did it"


@task
def after_skip(value):
    return value + "!"


@task
def countdown():
    loop = prefect.context.get("task_loop_result", 0)
    if loop < 3:
        raise signals.LOOP(result=loop + 1)
    return loop


@task
def early():
    raise signals.SUCCESS("done early", result=42)


with Flow("signals") as signals_flow:
    after_skip(maybe_skip(Parameter("skip", default=True)))
    countdown()
    early()


RUNS = [
    (push_pull, {"day": "2024-05-06"}),
    (triggers_flow, {}),
    (triggers_flow, {"limit": 9}),
    (mapped_flow, {}),
    (case_flow, {"x": 3}),
    (case_flow, {"x": 30}),
    (signals_flow, {}),
    (signals_flow, {"skip": False}),
]


def describe(state):
    result = state.result
    if isinstance(result, BaseException):
        shown = type(result).__name__
    else:
        shown = result if isinstance(result, (int, str, list, dict, type(None))) else repr(result)
    out = {"state": type(state).__name__, "result": shown}
    if state.is_mapped():
        out["children"] = [describe(child) for child in state.map_states]
        out.pop("result")
    return out


def main():
    summary = []
    for flow, parameters in RUNS:
        state = flow.run(parameters=parameters)
        tasks = {}
        for task_, task_state in state.result.items():
            key = task_.name
            while key in tasks:
                key += "'"
            tasks[key] = describe(task_state)
        summary.append(
            {
                "flow": flow.name,
                "parameters": parameters,
                "state": type(state).__name__,
                "message": state.message,
                "tasks": dict(sorted(tasks.items())),
            }
        )
    print(json.dumps(summary, sort_keys=True, default=str))


if __name__ == "__main__":
    main()
