"""``flow.to_deployment`` / ``flow.deploy`` / ``flow.from_source``: every mistake is
caught when the deployment is made, in one line."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel

from headwater import flow
from headwater.client import get_client
from headwater.deployments.schema import parameter_schema
from headwater.exceptions import InvalidOptionError, UserInputError
from headwater.schedules import Cron
from headwater.utilities.jsonschema import validate
from tests._workers import make_git_repo


class Point(BaseModel):
    x: int
    y: int = 0


@flow(retries=2, retry_delay_seconds=5)
def etl(day: str, limit: int = 10, mode: Literal["fast", "full"] = "fast", p: Point | None = None):
    return day


def test_parameter_schema_comes_from_the_signature() -> None:
    schema = parameter_schema(etl)
    assert schema["required"] == ["day"]
    assert schema["properties"]["limit"]["default"] == 10
    assert schema["properties"]["mode"]["enum"] == ["fast", "full"]
    assert schema["additionalProperties"] is False
    assert validate({"day": "d", "limit": 3, "p": {"x": 1}}, schema) == []
    found = validate({"limit": "ten", "mode": "slow", "p": {"y": 2}, "other": 1}, schema)
    errors = {tuple(path): message for path, message in found}
    assert errors[("day",)] == "is required"
    assert "is not an integer" in errors[("limit",)]
    assert "is not one of 'fast', 'full'" in errors[("mode",)]
    assert errors[("other",)] == "is not a parameter of this flow"
    assert ("p",) in errors  # x is missing inside the model


def test_to_deployment_checks_everything_now() -> None:
    d = etl.to_deployment(
        "nightly",
        cron="0 6 * * *",
        parameters={"day": "today"},
        tags=["a"],
        concurrency_limit={"limit": 1, "collision_strategy": "cancel_new"},
    )
    assert d.full_name == "etl/nightly"
    assert d.entrypoint.endswith("test_deployment.py:etl") or d.entrypoint.endswith(":etl")
    assert d.empirical_policy == {"retries": 2, "retry_delay_seconds": 5.0}
    assert d.concurrency_limit == 1 and d.collision_strategy == "cancel_new"
    cases = {
        "cron '0 0 0 * *' is not a valid": {"cron": "0 0 0 * *"},
        "cron 'every day' must have five fields": {"cron": "every day"},
        "timezone 'Moon/Dark' is not a known": {"cron": "0 1 * * *", "timezone": "Moon/Dark"},
        "rrule 'FREQ=NEVER' is not valid": {"rrule": "FREQ=NEVER"},
        "interval must be a positive": {"interval": -5},
        "has no parameter 'dya'; did you mean 'day'": {"parameters": {"dya": 1}},
        "concurrency_limit must be a positive integer": {"concurrency_limit": 0},
        "missed_runs must be one of": {"missed_runs": "some"},
    }
    for message, options in cases.items():
        with pytest.raises(InvalidOptionError, match=re.escape(message)):
            etl.to_deployment("x", **options)
    with pytest.raises(InvalidOptionError, match="cannot contain '/'"):
        etl.to_deployment("a/b")


def test_several_schedules_with_parameters() -> None:
    d = etl.to_deployment(
        "multi",
        schedules=[
            Cron("0 6 * * *", timezone="Europe/Paris", parameters={"day": "morning"}),
            {"interval": 3600, "active": False},
        ],
        interval=dt.timedelta(minutes=5),
    )
    assert [s.describe() for s in d.schedules] == [
        "every 0:05:00",
        "cron 0 6 * * *",
        "every 1:00:00",
    ]


def test_a_flow_without_a_file_cannot_be_deployed() -> None:
    def make():
        @flow
        def inner() -> None:
            pass

        return inner

    with pytest.raises(InvalidOptionError, match="not defined in a file or module"):
        make().to_deployment("x")


def test_deploy_needs_a_pool_and_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidOptionError, match="needs work_pool_name"):
        etl.deploy("x")
    with pytest.raises(InvalidOptionError, match="image= must be an image name or a DockerImage"):
        etl.deploy("x", work_pool_name="p", image=3.12)
    from headwater.schemas.work_pools import WorkPoolCreate

    with get_client() as client:
        client.create_work_pool(WorkPoolCreate(name="p"))
        deployment_id = etl.deploy("x", work_pool_name="p", parameters={"day": "d"})
        d = client.read_deployment(deployment_id)
    assert d.work_pool_name == "p" and d.work_queue_name == "default"
    assert d.pull_steps == [{"set_working_directory": {"directory": str(Path.cwd())}}]


def test_from_source_path_and_git(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "flows.py").write_text(
        "from headwater import flow\n\n@flow\ndef hello(name: str = 'x'):\n    return name\n"
        "\ndef plain():\n    pass\n"
    )
    local = flow.from_source(source=str(project), entrypoint="flows.py:hello")
    d = local.to_deployment("dev")
    assert d.entrypoint == "flows.py:hello"
    assert d.pull_steps == [{"set_working_directory": {"directory": str(project)}}]
    assert d.parameter_schema["properties"]["name"]["default"] == "x"
    repo = make_git_repo(tmp_path / "git")
    remote = flow.from_source(source=str(repo), entrypoint="flows.py:quick")
    d = remote.to_deployment("prod")
    assert d.pull_steps == [{"git_clone": {"repository": str(repo)}}]
    assert Path.cwd() != project  # the working directory is left as it was
    with pytest.raises(UserInputError, match="is not a @flow"):
        flow.from_source(source=str(project), entrypoint="flows.py:plain")
    with pytest.raises(UserInputError, match="does not exist"):
        flow.from_source(source=str(project), entrypoint="nope.py:hello")
    with pytest.raises(UserInputError, match="'hello2' not found"):
        flow.from_source(source=str(project), entrypoint="flows.py:hello2")
    with pytest.raises(UserInputError, match="git clone of"):
        flow.from_source(source=str(tmp_path / "missing.git"), entrypoint="flows.py:hello")


def test_public_names_import_like_prefect() -> None:
    import headwater
    import headwater.deployments
    from headwater import deploy, run_deployment, serve
    from headwater.deployments import GitRepository, RunnerDeployment

    assert headwater.deployments.run_deployment is run_deployment
    assert headwater.deployments.serve is serve and headwater.deployments.deploy is deploy
    assert GitRepository("u", branch="b").pull_steps() == [
        {"git_clone": {"repository": "u", "branch": "b"}}
    ]
    assert RunnerDeployment.__name__ == "RunnerDeployment"
    assert callable(flow.from_source)
