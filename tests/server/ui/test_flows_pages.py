"""``/flows`` and ``/flows/{id}`` in Chromium against a real server with real runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests._servers import ServerProcess
from tests._workers import client_env

SCRIPT = """
from headwater import flow


@flow(name="ui-hello")
def hello(n: int) -> int:
    if n < 0:
        raise ValueError("negative")
    return n


hello(1)
hello(2)
try:
    hello(-1)
except ValueError:
    pass
"""


@pytest.fixture(scope="module")
def flows_server(
    ui_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """The UI server with three runs of ``ui-hello`` (the last one failed) and a
    deployment of it, made by a real flow process talking to the server."""
    root = tmp_path_factory.mktemp("flows-ui")
    script = root / "hello.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = client_env(root / "home", ui_server.api_url)
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    answer = httpx.post(
        f"{ui_server.api_url}/deployments",
        json={"flow_name": "ui-hello", "name": "by-hand", "entrypoint": "hello.py:hello"},
    )
    assert answer.status_code == 201, answer.text
    yield ui_server


def _flow(server: ServerProcess) -> dict[str, Any]:
    flows = httpx.post(f"{server.api_url}/flows/filter", json={}).json()
    return next(f for f in flows if f["name"] == "ui-hello")


def _runs(server: ServerProcess, flow_name: str) -> list[dict[str, Any]]:
    body = {"flow_runs": {"flow_names": [flow_name]}, "sort": "START_TIME_DESC"}
    return list(httpx.post(f"{server.api_url}/flow_runs/filter", json=body).json()["results"])


def test_flows_list_shows_counts_and_the_last_run(flows_server: ServerProcess, page: Any) -> None:
    from playwright.sync_api import expect

    runs = _runs(flows_server, "ui-hello")
    assert [r["state"]["type"] for r in runs] == ["FAILED", "COMPLETED", "COMPLETED"]
    page.goto(f"{flows_server.url}/flows")
    expect(page.get_by_role("heading", name="Flows")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="ui-hello")
    cells = row.get_by_role("cell")
    expect(cells.nth(2)).to_have_text("3")
    expect(cells.nth(3)).to_contain_text("Failed")
    expect(cells.nth(4)).to_have_text("1")
    assert cells.nth(2).get_by_role("link").get_attribute("href") == "/flow-runs?flow=ui-hello"
    assert cells.nth(3).get_by_role("link").get_attribute("href") == f"/flow-runs/{runs[0]['id']}"
    row.get_by_role("link", name="ui-hello").click()
    page.wait_for_url(f"{flows_server.url}/flows/{_flow(flows_server)['id']}")


def test_flow_page_lists_its_runs_and_deployments(flows_server: ServerProcess, page: Any) -> None:
    from playwright.sync_api import expect

    flow = _flow(flows_server)
    runs = _runs(flows_server, "ui-hello")
    page.goto(f"{flows_server.url}/flows/{flow['id']}")
    expect(page.get_by_role("heading", name="Flow ui-hello")).to_be_visible()
    table = page.get_by_role("table", name="Recent runs of ui-hello")
    expect(table.get_by_role("row")).to_have_count(1 + 3)
    for run in runs:
        link = table.get_by_role("link", name=run["name"])
        assert link.get_attribute("href") == f"/flow-runs/{run['id']}"
    first = table.get_by_role("row").nth(1)  # the latest started: the failed one
    expect(first).to_contain_text(runs[0]["name"])
    expect(first).to_contain_text("Failed")
    all_runs = page.get_by_role("link", name="All runs of ui-hello")
    assert all_runs.get_attribute("href") == "/flow-runs?flow=ui-hello"
    deployments = page.get_by_role("table", name="Deployments of ui-hello")
    expect(deployments.get_by_role("link", name="by-hand")).to_be_visible()
    expect(deployments).to_contain_text("never run")


def test_flows_filter_and_bad_page_number(flows_server: ServerProcess, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{flows_server.url}/flows")
    page.get_by_label("Name contains").fill("no-such-flow")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No flow's name contains “no-such-flow”.")).to_be_visible()
    page.goto(f"{flows_server.url}/flows?page=abc")
    expect(page.get_by_role("alert")).to_contain_text("'abc' is not a page number")
    expect(page.get_by_role("link", name="ui-hello")).to_be_visible()


@pytest.mark.parametrize("flow_id", ["01a201ca-2be8-7293-9603-0b568f3df1d1", "not-an-id"])
def test_an_unknown_flow_is_a_404_page(
    flows_server: ServerProcess, page: Any, flow_id: str
) -> None:
    from playwright.sync_api import expect

    page.expected_statuses = {404}
    answer = page.goto(f"{flows_server.url}/flows/{flow_id}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text(f"flow {flow_id} not found")).to_be_visible()


def test_flow_pages_answer_without_a_browser(flows_server: ServerProcess) -> None:
    """Bad input never gives a 500: huge or odd query strings are cut or refused."""
    for path in ("/flows?q=" + "x" * 5000, "/flows?page=-1", "/flows?page=99999999999"):
        answer = httpx.get(flows_server.url + path)
        assert answer.status_code == 200, (path, answer.status_code)
