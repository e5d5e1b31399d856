"""``/deployments``, a deployment's page, Run and Custom run: Chromium against a real
server, with a real work pool and a real worker process running the runs.

Set ``UI_SCREENSHOTS_DIR`` (e.g. ``docs/images``) to also write the
screenshots ``ui-deployment.png`` and ``ui-custom-run.png``.
"""

from __future__ import annotations

import os
import re
import textwrap
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests._servers import ServerProcess
from tests._workers import FAST_ENV, Process, worker
from tests.server.ui.conftest import screenshot

FLOWS = '''
from typing import Literal

from headwater import flow, get_run_logger


@flow(name="ui-greet")
def greet(
    times: int,
    greeting: str = "hello",
    mode: Literal["quiet", "loud"] = "quiet",
    names: list[str] = ["world"],
    shout: bool = False,
    ratio: float | None = None,
) -> str:
    """Greets every name, `times` times."""
    text = " ".join(f"{greeting} {name}" for name in names) * 1
    text = " / ".join([text] * times)
    if shout or mode == "loud":
        text = text.upper()
    get_run_logger().info("greet says %s (ratio %s)", text, ratio)
    return text
'''


@pytest.fixture(scope="module")
def setup(
    ui_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A pool, a worker process on it, and ``ui-greet/ui-demo`` deployed from a
    directory with an hourly schedule."""
    from headwater import flow

    root = tmp_path_factory.mktemp("deploy-ui")
    code = root / "code"
    code.mkdir()
    (code / "flows.py").write_text(textwrap.dedent(FLOWS))
    pool = f"pool-{uuid.uuid4().hex[:6]}"
    api = ui_server.api_url
    assert httpx.post(f"{api}/work_pools", json={"name": pool}).status_code == 201
    saved = {k: os.environ.get(k) for k in ("HEADWATER_API_URL", *FAST_ENV)}
    os.environ.update({"HEADWATER_API_URL": api, **FAST_ENV})
    try:
        deployed = flow.from_source(source=str(code), entrypoint="flows.py:greet")
        deployment_id = deployed.deploy(
            "ui-demo",
            work_pool_name=pool,
            parameters={"times": 2},
            interval=3600,
            tags=["demo"],
            description="Greets people; made by the UI tests.",
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    with worker(root / "worker", api, pool, name="ui-worker") as process:
        yield {"id": str(deployment_id), "pool": pool, "worker": process}


def _api(server: ServerProcess, method: str, path: str, **kwargs: Any) -> Any:
    answer = httpx.request(method, f"{server.api_url}{path}", timeout=10, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json()


def _count_runs(server: ServerProcess, deployment_id: str) -> int:
    """Runs someone asked for: the scheduler adds its own whenever its loop comes round."""
    body = {"flow_runs": {"deployment_ids": [deployment_id], "auto_scheduled": False}}
    return int(_api(server, "POST", "/flow_runs/count", json=body))


def _wait(predicate: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _worker_log(setup: dict[str, Any]) -> str:
    process: Process = setup["worker"]
    return process.log()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("UI_SCREENSHOTS_DIR")
    if folder:
        page.set_viewport_size({"width": 1280, "height": 800})
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, name)


def test_deployments_list(ui_server: ServerProcess, setup: dict[str, Any], page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/deployments")
    row = page.get_by_role("row").filter(has_text="ui-demo")
    expect(row).to_contain_text("ui-greet")
    expect(row).to_contain_text(setup["pool"])
    expect(row).to_contain_text("Active")
    expect(row.get_by_role("link", name=setup["pool"])).to_have_attribute(
        "href", f"/work-pools/{setup['pool']}"
    )
    row.get_by_role("link", name="ui-demo").click()
    page.wait_for_url(f"{ui_server.url}/deployments/{setup['id']}")


def test_deployment_page_shows_its_parts(
    ui_server: ServerProcess, setup: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    scheduled = {"flow_runs": {"deployment_ids": [setup["id"]], "state_types": ["SCHEDULED"]}}
    _wait(
        lambda: _api(ui_server, "POST", "/flow_runs/filter", json=scheduled)["results"],
        "the scheduler to make the upcoming runs",
    )
    page.goto(f"{ui_server.url}/deployments/{setup['id']}")
    expect(page.get_by_role("heading", name="ui-greet / ui-demo")).to_be_visible()
    expect(page.locator(".deployment-description")).to_have_text(
        "Greets people; made by the UI tests."
    )
    expect(page.get_by_text("flows.py:greet")).to_be_visible()
    expect(page.get_by_label("Default parameters", exact=True)).to_contain_text('"times": 2')
    page.get_by_text("Parameter schema").click()
    expect(page.get_by_label("Parameter schema")).to_contain_text('"quiet"')
    expect(page.get_by_role("table", name="Schedules")).to_contain_text("every 1:00:00")
    upcoming = page.get_by_role("table", name="Upcoming runs")
    expect(upcoming).to_contain_text("Scheduled")
    link = upcoming.get_by_role("link").first
    assert re.fullmatch(r"/flow-runs/[0-9a-f-]{36}", link.get_attribute("href") or "")


def test_schedule_switches_off_and_on(
    ui_server: ServerProcess, setup: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/deployments/{setup['id']}")
    switch = page.get_by_role("switch")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(page.get_by_role("status")).to_have_text("Schedule switched off.")
    expect(page.get_by_role("switch")).to_have_attribute("aria-checked", "false")
    deployment = _api(ui_server, "GET", f"/deployments/{setup['id']}")
    assert deployment["schedules"][0]["active"] is False
    assert deployment["next_runs"] == []  # its runs that had not started are gone
    expect(page.get_by_text("No runs are scheduled.")).to_be_visible()
    page.get_by_role("switch").click()
    expect(page.get_by_role("status")).to_have_text("Schedule switched on.")
    expect(page.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    assert _api(ui_server, "GET", f"/deployments/{setup['id']}")["schedules"][0]["active"]


def test_run_button_makes_a_run_with_the_defaults(
    ui_server: ServerProcess, setup: dict[str, Any], page: Any
) -> None:
    before = _count_runs(ui_server, setup["id"])
    page.goto(f"{ui_server.url}/deployments/{setup['id']}")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r".*/flow-runs/[0-9a-f-]{36}$"))
    run_id = page.url.rsplit("/", 1)[1]
    run = _api(ui_server, "GET", f"/flow_runs/{run_id}")
    assert run["deployment_id"] == setup["id"]
    assert run["parameters"] == {"times": 2}
    assert "demo" in run["tags"]
    assert _count_runs(ui_server, setup["id"]) == before + 1


def test_custom_run_with_changed_parameters_completes(
    ui_server: ServerProcess, setup: dict[str, Any], page: Any
) -> None:
    """The key path: the form from the schema, changed values, a real worker runs it,
    and the deployment page shows it Completed."""
    from playwright.sync_api import expect

    page.goto(f"{ui_server.url}/deployments/{setup['id']}")
    page.get_by_role("link", name="Custom run").click()
    page.wait_for_url(f"{ui_server.url}/deployments/{setup['id']}/run")
    times = page.get_by_label("times")
    expect(times).to_have_value("2")  # the deployment's default
    expect(times).to_have_attribute("required", "")
    expect(times).to_have_attribute("type", "number")
    expect(page.get_by_label("greeting")).to_have_value("hello")  # the flow's default
    mode = page.get_by_label("mode")
    expect(mode.locator("option")).to_have_text(["quiet", "loud"])
    expect(page.get_by_label("names")).to_have_value('[\n  "world"\n]')
    expect(page.get_by_label("shout")).not_to_be_checked()
    expect(page.get_by_label("ratio")).to_have_value("")
    times.fill("3")
    page.get_by_label("greeting").fill("hi")
    mode.select_option("loud")
    page.get_by_label("names").fill('["ann", "bob"]')
    page.get_by_label("ratio").fill("0.5")
    page.get_by_label("Run name").fill("from-the-form")
    page.get_by_label("Tags").fill("ui, custom")
    _shot(page, "ui-custom-run.png")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_url(re.compile(r".*/flow-runs/[0-9a-f-]{36}$"))
    run_id = page.url.rsplit("/", 1)[1]
    run = _api(ui_server, "GET", f"/flow_runs/{run_id}")
    assert run["name"] == "from-the-form"
    assert run["parameters"] == {
        "times": 3,
        "greeting": "hi",
        "mode": "loud",
        "names": ["ann", "bob"],
        "shout": False,
        "ratio": 0.5,
    }
    assert {"demo", "ui", "custom"} <= set(run["tags"])

    page.goto(f"{ui_server.url}/deployments/{setup['id']}")
    recent = page.get_by_role("table", name="Recent runs")
    row = recent.get_by_role("row").filter(has_text="from-the-form")

    def completed() -> bool:
        if row.count() and "Completed" in row.inner_text():
            return True
        if row.count() and re.search("Failed|Crashed", row.inner_text()):
            raise AssertionError(f"the run did not complete:\n{_worker_log(setup)}")
        page.reload()
        return False

    _wait(completed, "the run to show Completed on the deployment page")
    logs = _api(ui_server, "POST", "/logs/filter", json={"logs": {"flow_run_id": run_id}})
    text = "\n".join(log["message"] for log in logs["results"])
    assert "greet says HI ANN HI BOB / HI ANN HI BOB / HI ANN HI BOB (ratio 0.5)" in text
    _shot(page, "ui-deployment.png")


def test_a_value_the_server_refuses_marks_the_field_and_creates_nothing(
    ui_server: ServerProcess, setup: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    page.expected_statuses = {422}
    before = _count_runs(ui_server, setup["id"])
    page.goto(f"{ui_server.url}/deployments/{setup['id']}/run")
    page.get_by_label("times").fill("5")
    page.get_by_label("names").fill('["ann", 7]')  # valid JSON, but 7 is not a string
    page.get_by_label("Run name").fill("kept")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Run", exact=True).click()
    assert answer.value.status == 422
    field = page.locator(".field", has=page.get_by_label("names"))
    expect(field).to_have_class(re.compile(r"\binvalid\b"))
    expect(field.locator(".field-error")).to_have_text("[1]: 7 is not a string")
    expect(page.get_by_label("names")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("names")).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text("The run was not created")
    expect(page.get_by_label("times")).to_have_value("5")  # the other values are kept
    expect(page.get_by_label("names")).to_have_value('["ann", 7]')
    expect(page.get_by_label("Run name")).to_have_value("kept")
    expect(page.locator(".field.invalid")).to_have_count(1)
    assert _count_runs(ui_server, setup["id"]) == before


def test_the_browser_checks_before_sending(
    ui_server: ServerProcess, setup: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    before = _count_runs(ui_server, setup["id"])
    page.goto(f"{ui_server.url}/deployments/{setup['id']}/run")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_label("times").fill("")
    page.get_by_label("names").fill('["ann",')
    page.get_by_role("button", name="Run", exact=True).click()
    names = page.locator(".field", has=page.get_by_label("names"))
    expect(names.locator(".field-error")).to_contain_text("is not valid JSON")
    expect(page.get_by_label("names")).to_have_attribute("aria-invalid", "true")
    times = page.locator(".field", has=page.get_by_label("times"))
    expect(times).to_have_class(re.compile(r"\binvalid\b"))
    expect(page.get_by_label("times")).to_be_focused()
    page.get_by_label("times").fill("2.5")  # not a whole number: step=1
    page.get_by_label("names").fill('["ann"]')
    expect(names.locator(".field-error")).to_be_hidden()
    page.get_by_role("button", name="Run", exact=True).click()
    expect(times.locator(".field-error")).to_be_visible()
    assert posts == [] and page.url.endswith("/run")
    assert _count_runs(ui_server, setup["id"]) == before


def test_run_button_without_a_needed_value_says_why(ui_server: ServerProcess, page: Any) -> None:
    from playwright.sync_api import expect

    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer", "title": "n", "position": 0}},
        "required": ["n"],
    }
    body = {
        "flow_name": "ui-needs-n",
        "name": "no-default",
        "entrypoint": "flows.py:needs",
        "parameter_schema": schema,
    }
    deployment = _api(ui_server, "POST", "/deployments", json=body)
    page.goto(f"{ui_server.url}/deployments/{deployment['id']}")
    page.get_by_role("button", name="Run", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("parameter 'n' is required")
    assert _count_runs(ui_server, deployment["id"]) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/deployments/01a201ca-2bed-7e33-a05a-7ce3963bb1cc",
        "/deployments/01a201ca-2bed-7e33-a05a-7ce3963bb1cc/run",
        "/deployments/nope",
    ],
)
def test_an_unknown_deployment_is_a_404_page(
    ui_server: ServerProcess, page: Any, path: str
) -> None:
    from playwright.sync_api import expect

    page.expected_statuses = {404}
    answer = page.goto(ui_server.url + path)
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text(re.compile(r"deployment \S+ not found"))).to_be_visible()


def test_forms_answer_bad_input_without_a_500(
    ui_server: ServerProcess, setup: dict[str, Any]
) -> None:
    with httpx.Client(base_url=ui_server.url) as client:
        client.get("/deployments")
        token = client.cookies["hw_csrf"]
        url = f"/deployments/{setup['id']}"
        bad_switch = client.post(
            f"{url}/schedules/{uuid.uuid4()}/toggle", data={"csrf_token": token, "active": "true"}
        )
        assert bad_switch.status_code == 404
        no_state = client.post(
            f"{url}/schedules/{uuid.uuid4()}/toggle", data={"csrf_token": token, "active": "x"}
        )
        assert no_state.status_code == 303 and "problem=" in no_state.headers["location"]
        odd = client.post(
            f"{url}/run",
            data={
                "csrf_token": token,
                "param-times": "1e400",
                "param-mode": "not json",
                "start_at": "yesterday",
                "run_tags": "x" * 500,
            },
        )
        assert odd.status_code == 422
        assert "is not a date and time" in odd.text
        assert "is not one of" in odd.text
        before = _count_runs(ui_server, setup["id"])
        later = client.post(
            f"{url}/run",
            data={
                "csrf_token": token,
                "param-times": "1",
                "start_at": "2031-05-01T10:00",
                "tz_offset": "-120",
            },
        )
        assert later.status_code == 303
        run = _api(ui_server, "GET", "/flow_runs/" + later.headers["location"].rsplit("/", 1)[1])
        assert run["expected_start_time"].startswith("2031-05-01T08:00:00")
        assert run["state"]["type"] == "SCHEDULED"
        assert _count_runs(ui_server, setup["id"]) == before + 1
        for path in ("/deployments?page=0", "/deployments?q=" + "%00" * 10):
            assert client.get(path).status_code == 200
