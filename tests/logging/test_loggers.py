"""Prefect's logging helpers: loggers for run objects, get_logger, disable_run_logger."""

from __future__ import annotations

import logging

import pytest

from headwater import flow, task
from headwater.client import get_client
from headwater.exceptions import MissingContextError
from headwater.logging import disable_run_logger, get_logger, get_run_logger
from headwater.logging.loggers import flow_run_logger, task_run_logger
from tests.helpers import logs_of


@task
def work(x: int) -> int:
    get_run_logger().info("working on %s", x)
    return x + 1


@flow
def pipeline() -> int:
    return work(1)


def test_loggers_for_run_objects_store_their_records() -> None:
    state = pipeline(return_state=True)
    with get_client() as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        (task_run,) = client.read_task_runs()
    logger = flow_run_logger(run)
    assert logger.extra["flow_run_id"] == str(run.id) and logger.extra["flow_name"] == "pipeline"
    logger.info("note after the run")
    by_id = flow_run_logger(flow_run_id=run.id, team="data")
    assert by_id.extra["team"] == "data" and by_id.extra["flow_run_name"] == "<unknown>"
    child = task_run_logger(task_run, flow_run=run)
    assert child.extra["task_run_id"] == str(task_run.id)
    child.warning("note about the task")
    messages = {log.message: log.task_run_id for log in logs_of(run.id)}
    assert messages["note after the run"] is None
    assert messages["note about the task"] == task_run.id
    with pytest.raises(ValueError):
        flow_run_logger()


def test_disable_run_logger_lets_task_fn_run_outside_a_flow() -> None:
    with pytest.raises(MissingContextError):
        work.fn(1)
    with disable_run_logger():
        assert work.fn(41) == 42
        assert logging.getLogger("headwater.flow_runs").disabled
    assert not logging.getLogger("headwater.flow_runs").disabled


def test_get_logger() -> None:
    assert get_logger().name == "headwater" and get_logger("x").name == "headwater.x"
