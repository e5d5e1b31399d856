"""FlowRunContext.get() / TaskRunContext.get() as feature switches."""

from prefect import flow, task
from prefect.context import FlowRunContext, TaskRunContext
from prefect.exceptions import MissingContextError


def where_am_i() -> str:
    if TaskRunContext.get() is not None:
        return "task"
    if FlowRunContext.get() is not None:
        return "flow"
    return "nowhere"


@task
def inner() -> str:
    return where_am_i()


@flow
def outer() -> tuple:
    return where_am_i(), inner()


if __name__ == "__main__":
    assert where_am_i() == "nowhere"
    assert outer() == ("flow", "task")
    from prefect.context import get_run_context

    try:
        get_run_context()
    except MissingContextError:
        pass
    else:
        raise AssertionError("expected MissingContextError")
    print("PASS")
