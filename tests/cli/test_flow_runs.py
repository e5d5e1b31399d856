"""``headwater flow-run ...`` reads through whichever client the settings select."""

from __future__ import annotations

import pytest

from headwater import flow, get_run_logger
from headwater.client import get_client
from headwater.client.writer import flush_all
from headwater.schemas.filters import FlowRunFilter
from tests._servers import ServerProcess, free_port
from tests.cli._run import run_cli


@flow(name="cli-listed")
def listed(x: int) -> int:
    get_run_logger().info("hello from the flow %d", x)
    return x


@pytest.fixture
def via_server(api_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> ServerProcess:
    monkeypatch.setenv("HEADWATER_API_URL", api_server.api_url)
    return api_server


def test_ls_inspect_logs_delete_against_the_server(
    via_server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert listed(7) == 7
    flush_all()
    with get_client() as client:
        (run,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(flow_names=["cli-listed"]))
    run_id = str(run.id)
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "flow-run", "ls", "--flow", "cli-listed", "-n", "5")
    assert code == 0 and run_id[:8] in out and "Completed" in out
    code, out, _ = run_cli(capsys, "flow-run", "inspect", run_id)
    assert code == 0 and "State history" in out and "Running" in out
    code, out, _ = run_cli(capsys, "flow-run", "logs", run_id)
    assert code == 0 and "hello from the flow 7" in out
    code, out, _ = run_cli(capsys, "flow-run", "delete", run_id)
    assert code == 0 and "Deleted" in out
    code, _, err = run_cli(capsys, "flow-run", "inspect", run_id)
    assert code == 1 and "not found" in err


def test_unreachable_server_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_API_URL", f"http://127.0.0.1:{free_port()}")
    code, _, err = run_cli(capsys, "flow-run", "ls")
    assert code == 1 and "cannot reach the Headwater server" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
