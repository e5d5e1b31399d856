"""``build:``/``push:`` steps of headwater.yaml: step names, arguments and
``{{ step_id.key }}`` references, and ``headwater deploy`` building a real image with a
real Docker daemon (FROM scratch: no registry is reachable here) and pointing the
deployment at it."""

from __future__ import annotations

import os
import subprocess
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from headwater.client import get_client
from headwater.deployments.build_steps import resolve, run_steps, step_name
from headwater.exceptions import InvalidOptionError
from tests.cli._run import run_cli

FLOWS = """
from headwater import flow


@flow
def etl(n: int = 1) -> int:
    return n
"""

OUTPUTS = {
    "build-image": {"image_name": "acme/flows", "tag": "7", "image": "acme/flows:7"},
    "image": "acme/flows:7",
}


def test_step_names_prefect_short_and_headwater() -> None:
    assert step_name("prefect_docker.deployments.steps.build_docker_image") == "build_docker_image"
    assert step_name("headwater.docker.push_docker_image") == "push_docker_image"
    assert step_name("build_docker_image") == "build_docker_image"


def test_references_to_step_outputs_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_SHA", "abc123")
    value = {
        "image": "{{ build-image.image }}",
        "ref": "{{build-image.image_name}}:{{ build-image.tag }}-x",
        "bare": "{{ image }}",
        "sha": "{{ $GIT_SHA }}",
        "list": ["{{ build-image.tag }}", 3],
        "foreign": "{{ prefect.variables.region }}",
        "undefined": "{{ nothing }}",
    }
    assert resolve(value, OUTPUTS, "here") == {
        "image": "acme/flows:7",
        "ref": "acme/flows:7-x",
        "bare": "acme/flows:7",
        "sha": "abc123",
        "list": ["7", 3],
        "foreign": "{{ prefect.variables.region }}",  # Prefect's variables: left as written
        "undefined": "{{ nothing }}",
    }
    whole = resolve("{{ build-image }}", OUTPUTS, "here")
    assert whole == OUTPUTS["build-image"], "a reference alone keeps the value's type"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ buld-image.image }}", r"names no earlier step id \(step ids: build-image\)"),
        ("{{ build-image.digest }}", "step 'build-image' has no output 'digest'"),
    ],
)
def test_a_bad_reference_is_one_line(text: str, message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message) as caught:
        resolve({"image": text}, OUTPUTS, "headwater.yaml: deployment 'a'")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [{"prefect.deployments.steps.run_shell_script": {"script": "make"}}],
            r"build step 1 \(prefect.deployments.steps.run_shell_script\): unknown step",
        ),
        (
            [{"build_docker_image": {"image_name": "x", "squash": True}}],
            r"build step 1 \(build_docker_image\): unsupported argument\(s\) \['squash'\]",
        ),
        ([{"build_docker_image": {"tag": "1"}}], "image_name \\(a string\\) is required"),
        ([{"build_docker_image": {"image_name": "x"}, "push": {}}], "must be one mapping"),
        ("build_docker_image", "'build' must be a list of steps"),
    ],
)
def test_bad_steps_are_one_line_errors_naming_the_step(
    tmp_path: Path, steps: object, message: str
) -> None:
    with pytest.raises(InvalidOptionError, match=message) as caught:
        run_steps([("build", steps)], tmp_path, {}, "headwater.yaml: deployment 'a'")
    assert "\n" not in str(caught.value)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "etl-project"
    root.mkdir()
    (root / "flows.py").write_text(FLOWS)
    monkeypatch.chdir(root)
    return root


def test_deploy_with_an_unknown_step_is_a_one_line_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "headwater.yaml").write_text(
        "build: null\npush: null\ndeployments:\n  - name: a\n    entrypoint: flows.py:etl\n"
    )
    code, _, err = run_cli(capsys, "deploy")
    assert code == 0, err  # Prefect's empty sections are fine
    assert "were not run" not in err
    (project / "headwater.yaml").write_text(
        "build:\n  - prefect_docker.deployments.steps.build_image: {image_name: x}\n"
        "deployments:\n  - name: a\n    entrypoint: flows.py:etl\n"
    )
    code, _, err = run_cli(capsys, "deploy")
    assert code == 1 and "Traceback" not in err
    assert "build step 1 (prefect_docker.deployments.steps.build_image): unknown step" in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def docker_host() -> Iterator[str]:
    from tests.workers._docker import docker_daemon

    with docker_daemon() as host:
        yield host


PROJECT = """
build:
  - prefect_docker.deployments.steps.build_docker_image:
      id: build-image
      requires: prefect-docker>=0.3
      image_name: hw-test-yaml-flows
      tag: "{tag}"
      dockerfile: auto
      base_image: scratch
      additional_tags: ["{tag}-also"]
deployments:
  - name: in-image
    entrypoint: flows.py:etl
    tags: ["{{{{ build-image.tag }}}}"]
    work_pool:
      name: containers
      job_variables:
        env: {{IMAGE_ID: "{{{{ build-image.image_id }}}}"}}
  - name: pushed
    entrypoint: flows.py:etl
    push:
      - headwater.docker.push_docker_image:
          image_name: 127.0.0.1:9/hw-test-yaml-flows
          tag: "{{{{ build-image.tag }}}}"
"""


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_deploy_runs_the_build_step_and_uses_the_image(
    docker_host: str,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    tag = uuid.uuid4().hex[:8]
    (project / "headwater.yaml").write_text(textwrap.dedent(PROJECT.format(tag=tag)))
    docker_env = {**os.environ, "DOCKER_HOST": docker_host}
    try:
        code, _, err = run_cli(capsys, "work-pool", "create", "containers", "--type", "docker")
        assert code == 0, err
        code, out, err = run_cli(capsys, "deploy", "in-image")
        assert f"image hw-test-yaml-flows:{tag}" in out
        assert code == 0, err
        with get_client() as client:
            found = client.read_deployment_by_name("etl/in-image")
        image_id = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Id}}", f"hw-test-yaml-flows:{tag}"],
            env=docker_env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        assert image_id.startswith("sha256:")
        assert found.job_variables == {
            "env": {"IMAGE_ID": image_id},
            "image": f"hw-test-yaml-flows:{tag}",
        }
        assert found.tags == [tag]
        assert found.pull_steps == [
            {"set_working_directory": {"directory": "/opt/flows/etl-project"}}
        ]
        also = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Id}}", f"hw-test-yaml-flows:{tag}-also"],
            env=docker_env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        assert also == image_id, "additional_tags tag the same image"
        # its own push section (to a registry that is not there): one line naming the step
        code, _, err = run_cli(capsys, "deploy", "pushed")
        assert code == 1 and "Traceback" not in err
        assert "push step 1 (headwater.docker.push_docker_image): docker push failed" in err
        assert len(err.strip().splitlines()) == 1
    finally:
        for ref in (f"hw-test-yaml-flows:{tag}", f"hw-test-yaml-flows:{tag}-also"):
            subprocess.run(["docker", "rmi", ref], env=docker_env, capture_output=True)
        subprocess.run(
            ["docker", "rmi", f"127.0.0.1:9/hw-test-yaml-flows:{tag}"],
            env=docker_env,
            capture_output=True,
        )
