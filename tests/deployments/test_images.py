"""``flow.deploy(image=..., build=True)``: the image's name and tag, the auto
Dockerfile, the ``docker build`` flags, and a real build by a real Docker daemon (FROM
scratch: no registry is reachable here) from a real deploy script, whose deployment
points at that image and at the project copied into it.  (Running a flow in a built
image is the docker worker's test, tests/workers/test_docker.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from headwater.docker import DockerImage
from headwater.exceptions import InvalidOptionError


def test_name_tag_and_build_flags(tmp_path: Path) -> None:
    image = DockerImage("registry.example:5000/team/flows:v3")
    assert (image.name, image.tag) == ("registry.example:5000/team/flows", "v3")
    assert DockerImage("flows").tag.isdigit(), "a timestamp tag by default, as in Prefect"
    image = DockerImage(
        "flows", "1", platform="linux/amd64", buildargs={"A": "1"}, pull=True, labels={"k": "v"}
    )
    args = image.build_arguments(tmp_path, tmp_path / "Dockerfile")
    assert args[:5] == ["build", "--tag", "flows:1", "--file", str(tmp_path / "Dockerfile")]
    assert args[5:7] == ["--platform", "linux/amd64"]
    assert "--pull" in args and args[8:10] == ["--build-arg", "A=1"]
    assert args[-3:] == ["--label", "k=v", str(tmp_path)]
    with pytest.raises(InvalidOptionError, match=r"unsupported build option\(s\) \['squash'\]"):
        DockerImage("flows", squash=True)


def test_the_auto_dockerfile_copies_the_project_and_installs_its_requirements(
    tmp_path: Path,
) -> None:
    project = tmp_path / "etl"
    project.mkdir()
    image = DockerImage("flows", "1", base_image="python:3.11-slim")
    text = image.auto_dockerfile(project)
    assert "FROM python:3.11-slim\nCOPY . /opt/flows/etl\nWORKDIR /opt/flows/etl\n" in text
    assert "requirements.txt" not in text
    (project / "requirements.txt").write_text("pendulum\n")
    assert "pip install --no-cache-dir -r requirements.txt" in image.auto_dockerfile(project)
    assert DockerImage("flows").base_image.startswith("headwater:")


def test_an_image_without_build_is_only_the_job_variable(tmp_path: Path) -> None:
    from headwater.deployments.images import image_options

    options: dict[str, object] = {"job_variables": {"env": {"A": "1"}}}
    image_options(
        "registry.example/flows:2",
        build=False,
        push=False,
        context=tmp_path,
        entrypoint=f"{tmp_path}/flows.py:nightly",
        options=options,
    )
    assert options == {"job_variables": {"env": {"A": "1"}, "image": "registry.example/flows:2"}}
    with pytest.raises(InvalidOptionError, match="image= must be"):
        image_options(3, build=False, push=False, context=tmp_path, entrypoint=None, options={})


DEPLOY = """
import json, sys
from headwater import flow
from headwater.client import get_client
from headwater.docker import DockerImage


@flow
def nightly(x: int = 1) -> int:
    return x


if __name__ == "__main__":
    image = DockerImage("hw-test-flows", sys.argv[1], base_image="scratch")
    deployment_id = nightly.deploy("in-image", work_pool_name="containers", image=image, push=False)
    with get_client() as client:
        found = client.read_deployment(deployment_id)
    print(json.dumps({"job_variables": found.job_variables, "entrypoint": found.entrypoint,
                      "pull_steps": found.pull_steps}))
"""


@pytest.fixture(scope="module")
def docker_host() -> Iterator[str]:
    from tests.workers._docker import docker_daemon

    with docker_daemon() as host:
        yield host


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_deploy_builds_the_image_and_points_the_deployment_at_it(
    docker_host: str, tmp_path: Path
) -> None:
    project = tmp_path / "etl-project"
    project.mkdir()
    (project / "flows.py").write_text(textwrap.dedent(DEPLOY))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")},
        "DOCKER_HOST": docker_host,
        "HEADWATER_HOME": str(tmp_path / "home"),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )

    assert run("-m", "headwater", "work-pool", "create", "containers", "--type", "docker")
    tag = uuid.uuid4().hex[:8]
    done = run("flows.py", tag)
    assert done.returncode == 0, done.stderr
    deployment = json.loads(done.stdout.strip().splitlines()[-1])
    assert deployment["job_variables"] == {"image": f"hw-test-flows:{tag}"}
    assert deployment["entrypoint"] == "flows.py:nightly"
    assert deployment["pull_steps"] == [
        {"set_working_directory": {"directory": "/opt/flows/etl-project"}}
    ]
    docker_env = {**os.environ, "DOCKER_HOST": docker_host}
    inspect = subprocess.run(
        [
            "docker",
            "image",
            "inspect",
            f"hw-test-flows:{tag}",
            "--format",
            "{{.Config.WorkingDir}}",
        ],
        env=docker_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert inspect.stdout.strip() == "/opt/flows/etl-project", inspect.stderr
    container = subprocess.run(
        ["docker", "create", f"hw-test-flows:{tag}", "none"],
        env=docker_env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    try:
        copied = subprocess.run(
            ["docker", "cp", f"{container}:/opt/flows/etl-project/flows.py", "-"],
            env=docker_env,
            capture_output=True,
            timeout=60,
        )
        assert b"def nightly" in copied.stdout  # a tar stream holding the project's file
    finally:
        subprocess.run(["docker", "rm", container], env=docker_env, capture_output=True)
        subprocess.run(
            ["docker", "rmi", f"hw-test-flows:{tag}"], env=docker_env, capture_output=True
        )


def test_a_failing_build_is_one_line(
    docker_host: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater.exceptions import UserInputError

    monkeypatch.setenv("DOCKER_HOST", docker_host)
    image = DockerImage("hw-test-broken", "1", base_image="no-such-base-image:never")
    with pytest.raises(UserInputError, match="docker build failed: ") as caught:
        image.build(tmp_path)
    assert "\n" not in str(caught.value)
