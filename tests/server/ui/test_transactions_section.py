"""The flow-run page's Transactions section, against a real server and Chromium: a
flow process (talking to the server over HTTP) commits one keyed transaction with a
nested one and rolls another back, whose rollback hooks ran (one failed)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._servers import ServerProcess
from tests._workers import client_env
from tests.server.ui.conftest import screenshot

FLOWS = """
from headwater import flow, task
from headwater.transactions import transaction


def remove_file(txn):
    pass


def notify_ops(txn):
    raise ConnectionError("ops channel down")


def mark_published(txn):
    pass


@task(on_commit=[mark_published])
def write_report(day: str) -> str:
    return f"report-{day}.csv"


@task
def summarize(day: str) -> int:
    return 3


@task(on_rollback=[remove_file, notify_ops])
def write_file(day: str) -> str:
    return f"upload-{day}.csv"


@task
def upload(path: str) -> None:
    raise OSError(f"upload of {path} refused")


@flow
def publish(day: str = "2024-01-01") -> str:
    with transaction(key=f"report-{day}"):
        write_report(day)
        with transaction(key=f"summary-{day}"):
            summarize(day)
    try:
        with transaction(key=f"upload-{day}"):
            upload(write_file(day))
    except OSError:
        pass
    return "done"


@flow
def no_transactions() -> int:
    return summarize("x")


if __name__ == "__main__":
    publish()
    no_transactions()
"""


@pytest.fixture(scope="module")
def runs(
    ui_server: ServerProcess, ui_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("txn-flows") / "txn_flows.py"
    path.write_text(textwrap.dedent(FLOWS))
    env = client_env(ui_home.parent / "txn-client", ui_server.api_url)
    subprocess.run([sys.executable, str(path)], env=env, check=True, timeout=90)
    found = httpx.post(f"{ui_server.api_url}/flow_runs/filter", json={"limit": 50}).json()
    by_flow = {run["flow_name"]: run for run in found["results"]}
    return {"publish": by_flow["publish"], "plain": by_flow["no-transactions"]}


def test_committed_and_rolled_back_transactions_with_their_tasks_and_hooks(
    ui_server: ServerProcess, runs: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/flow-runs/{runs['publish']['id']}")
    section = page.locator("#transactions")
    expect(section.locator("h2")).to_contain_text("Transactions (3)")
    rows = section.locator("li.txn")
    expect(rows).to_have_count(3)

    report = rows.filter(has_text="report-2024-01-01").first
    expect(report).to_have_attribute("data-outcome", "COMMITTED")
    expect(report.locator(".txn-head .badge")).to_have_text("Committed")
    expect(report.locator(".txn-tasks a")).to_have_text(["write_report-0"])
    expect(report.locator("li.hook")).to_have_text(
        ["mark_published on commit of write_report-0 ok"]
    )

    nested = section.locator("li.txn[data-depth='1']")
    expect(nested).to_have_count(1)
    expect(nested.locator(".txn-key")).to_have_text("summary-2024-01-01")
    expect(nested).to_contain_text("Inside report-2024-01-01")
    expect(nested.locator(".txn-head .badge")).to_have_text("Committed")
    indent = nested.evaluate("e => parseFloat(getComputedStyle(e).marginLeft)")
    assert indent > 0  # shown inside its parent

    rolled = section.locator("li.txn[data-outcome='ROLLED_BACK']")
    expect(rolled.locator(".txn-key")).to_have_text("upload-2024-01-01")
    expect(rolled.locator(".txn-head .badge")).to_have_text("Rolled back")
    expect(rolled.locator(".txn-tasks a")).to_have_text(["write_file-0", "upload-0"])
    expect(rolled.locator(".txn-tasks .badge")).to_have_text(["Completed", "Failed"])
    expect(rolled.locator(".hook-failed-count")).to_have_text("(1 failed)")
    failed = rolled.locator("li.hook-failed")
    expect(failed).to_have_count(1)
    expect(failed.locator("code")).to_have_text("notify_ops")
    expect(failed.locator(".hook-error")).to_have_text("ConnectionError: ops channel down")
    colour = failed.evaluate("e => getComputedStyle(e).color")
    plain = rolled.locator("li.hook-ok").evaluate("e => getComputedStyle(e).color")
    assert colour != plain  # the failure stands out
    expect(rolled.locator("li.hook-ok code")).to_have_text("remove_file")
    # Rollback hooks run last registered first.
    expect(rolled.locator("li.hook code")).to_have_text(["notify_ops", "remove_file"])
    page.locator("#transactions-h").evaluate("e => e.scrollIntoView()")
    screenshot(page, "flow-run-transactions.png")

    rolled.locator(".txn-tasks a", has_text="upload-0").click()
    expect(page.locator("h1")).to_contain_text("upload-0")


def test_a_run_without_transactions_says_so(
    ui_server: ServerProcess, runs: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/flow-runs/{runs['plain']['id']}")
    expect(page.locator("#transactions h2")).to_contain_text("Transactions (0)")
    expect(page.locator("#transactions .empty")).to_contain_text("this run opened none")
