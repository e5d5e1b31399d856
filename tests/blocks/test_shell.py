"""ShellOperation: output streamed to the run logger, env, working dir, failures."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from headwater import flow, task
from headwater.blocks.shell import ShellCommandError, ShellOperation
from headwater.client import get_client
from headwater.schemas.filters import LogFilter


def test_run_returns_stdout_lines_with_env_and_working_dir(tmp_path: Path) -> None:
    op = ShellOperation(
        commands=["echo one", "echo $GREETING", "pwd", "echo to-stderr >&2"],
        env={"GREETING": "hello"},
        working_dir=tmp_path,
    )
    assert op.run() == ["one", "hello", str(tmp_path.resolve())]


def test_non_zero_exit_raises_with_the_last_error_line() -> None:
    with pytest.raises(ShellCommandError, match="exit code 7: boom") as info:
        ShellOperation(commands=["echo partial", "echo boom >&2", "exit 7"]).run()
    assert info.value.returncode == 7
    assert info.value.output == ["partial"]


def test_missing_working_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ShellCommandError, match="is not a folder"):
        ShellOperation(commands=["true"], working_dir=tmp_path / "missing").run()


def test_output_streams_to_the_run_logger_and_failure_fails_the_task(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    @task
    def build() -> list[str]:
        return ShellOperation(commands=["echo compiling", "echo done"]).run()  # type: ignore[no-any-return]

    @task
    def deploy() -> None:
        ShellOperation(commands=["echo deploying", "exit 3"]).run()

    @flow
    def pipeline() -> tuple[list[str], str]:
        lines = build()
        state = deploy(return_state=True)  # type: ignore[call-arg]
        return lines, state.type.value

    caplog.set_level(logging.INFO)
    lines, deploy_state = pipeline()
    assert lines == ["compiling", "done"]
    assert deploy_state == "FAILED"
    client = get_client()
    [run] = client.read_flow_runs()
    messages = [log.message for log in client.read_logs(log_filter=LogFilter(flow_run_id=run.id))]
    assert any(m.endswith(": compiling") for m in messages)
    assert any(m.endswith(": deploying") for m in messages)


def test_saved_operation_keeps_env_secret(database_url: str) -> None:
    ShellOperation(commands=["echo $TOKEN"], env={"TOKEN": "t-123"}).save("echo-token")
    op = ShellOperation.load("echo-token")
    assert "t-123" not in repr(op)
    assert op.run() == ["t-123"]


def test_empty_commands_are_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="at least one command"):
        ShellOperation(commands=[])
