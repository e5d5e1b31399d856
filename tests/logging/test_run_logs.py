"""Run loggers, print capture, console output, and what is stored."""

from __future__ import annotations

import logging

import pytest

from headwater import flow, get_run_logger, task
from headwater.exceptions import MissingContextError
from tests.helpers import last_run, logs_of


def test_task_logs_carry_the_task_run_id() -> None:
    @task
    def talk() -> None:
        get_run_logger().warning("from the task")

    @flow
    def pipeline() -> None:
        talk()

    pipeline()
    (log,) = [entry for entry in logs_of(last_run().id) if entry.message == "from the task"]
    assert log.task_run_id is not None
    assert log.level == logging.WARNING
    assert log.name == "headwater.task_runs"


def test_get_run_logger_outside_a_run_says_so() -> None:
    with pytest.raises(MissingContextError, match="inside a @flow or @task"):
        get_run_logger()


def test_log_prints_captures_print_in_flow_and_inherited_by_tasks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @task
    def noisy() -> None:
        print("task says hi")

    @task(log_prints=False)
    def quiet() -> None:
        print("straight to stdout")

    @flow(log_prints=True)
    def pipeline() -> None:
        print("flow says", 42)
        noisy()
        quiet()

    pipeline()
    messages = [log.message for log in logs_of(last_run().id)]
    assert "flow says 42" in messages and "task says hi" in messages
    assert "straight to stdout" not in messages
    assert "straight to stdout" in capsys.readouterr().out


def test_log_prints_on_a_task_alone() -> None:
    @task(log_prints=True)
    def speaks() -> None:
        print("only the task logs prints")

    @flow
    def pipeline() -> None:
        speaks()

    pipeline()
    assert "only the task logs prints" in [log.message for log in logs_of(last_run().id)]


def test_prints_outside_log_prints_flows_are_untouched(capsys: pytest.CaptureFixture[str]) -> None:
    @flow
    def plain() -> None:
        print("plain print")

    plain()
    assert "plain print" in capsys.readouterr().out
    assert "plain print" not in [log.message for log in logs_of(last_run().id)]


def test_logging_level_setting_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_LOGGING_LEVEL", "WARNING")

    @flow
    def pipeline() -> None:
        logger = get_run_logger()
        logger.info("hidden")
        logger.warning("shown")

    pipeline()
    messages = [log.message for log in logs_of(last_run().id)]
    assert "shown" in messages and "hidden" not in messages


def test_console_output_is_readable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEADWATER_LOGGING_CONSOLE", "true")

    @flow(flow_run_name="console-run")
    def pipeline() -> None:
        get_run_logger().info("hello [not markup]")

    pipeline()
    err = capsys.readouterr().err
    assert "| INFO     | Flow run 'console-run' - hello [not markup]" in err
    assert "Finished in state Completed()" in err


def test_failures_are_logged_with_the_users_traceback() -> None:
    @task
    def broken() -> None:
        raise ValueError("bad value")

    @flow
    def pipeline() -> None:
        broken()

    with pytest.raises(ValueError):
        pipeline()
    logs = logs_of(last_run().id)
    (failure,) = [
        log for log in logs if "Finished in state Failed" in log.message and log.task_run_id
    ]
    assert "raise ValueError" in failure.message
    assert "headwater/engine" not in failure.message


def test_extra_loggers_join_run_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_LOGGING_EXTRA_LOGGERS", "thirdparty")

    @flow
    def pipeline() -> None:
        logging.getLogger("thirdparty").warning("library message")

    pipeline()
    assert "library message" in [log.message for log in logs_of(last_run().id)]
