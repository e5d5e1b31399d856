"""Logging helpers: get_logger, flow_run_logger, disable_run_logger in tests."""

import logging

from prefect import flow, get_client, task
from prefect.logging import disable_run_logger, get_logger, get_run_logger
from prefect.logging.loggers import flow_run_logger, task_run_logger


@task
def transform(x: int) -> int:
    get_run_logger().info("transforming %s", x)
    return x + 1


@flow
def pipeline() -> int:
    return transform(1)


if __name__ == "__main__":
    logger = get_logger("my-module")
    assert isinstance(logger, logging.Logger)
    with disable_run_logger():
        assert transform.fn(41) == 42
    state = pipeline(return_state=True)
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        run_logger = flow_run_logger(run)
        run_logger.info("post-run note for %s", run.name)
        assert run_logger.extra["flow_run_id"] == str(run.id)
        (task_run,) = client.read_task_runs()
        task_logger = task_run_logger(task_run, flow_run=run)
        assert task_logger.extra["task_run_id"] == str(task_run.id)
    print("PASS")
