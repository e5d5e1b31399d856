"""The kubernetes worker's Jobs checked against Kubernetes' own OpenAPI-derived JSON
schemas (kubernetes-validate, strict: no unknown fields) and loaded by the client's
models (lightkube), for the default template and one with every variable set; bad
templates are one-line errors.  No cluster: see test_kubernetes.py for the worker."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import pytest

from headwater.exceptions import UserInputError
from headwater.workers.kubernetes import KubernetesWorker
from headwater.workers.kubernetes_manifest import (
    POOL_LABEL,
    RUN_LABEL,
    flow_run_manifest,
    label_value,
)
from headwater.workers.registry import get_worker_type
from headwater.workers.templates import job_for

kubernetes_validate = pytest.importorskip("kubernetes_validate")
codecs = pytest.importorskip("lightkube.codecs")

RUN_ID = uuid.UUID("0190a2f4-1111-7222-8333-944455556666")
#: Kubernetes versions the Jobs are checked against (oldest with every field used).
VERSIONS = ["1.27", "1.30", "1.33"]


def _manifest(job_variables: dict[str, Any], **options: Any) -> dict[str, Any]:
    job = job_for(KubernetesWorker.default_base_job_template(), job_variables)
    return flow_run_manifest(
        job,
        run_id=RUN_ID,
        run_name=options.pop("run_name", "amber-otter"),
        pool_name=options.pop("pool_name", "k8s pool/1"),
        api_url="http://headwater:4200/api",
        api_key=options.pop("api_key", "sekrit"),
    )


FULL = {
    "name": "Nightly ETL",
    "namespace": "flows",
    "image": "registry.example/etl:2",
    "image_pull_policy": "Always",
    "service_account_name": "headwater-runs",
    "env": {"LOG_LEVEL": "debug", "HEADWATER_API_URL": "http://in-cluster/api"},
    "labels": {"team": "data eng"},
    "command": "python -m headwater.engine --verbose",
    "resources": {"limits": {"memory": "512Mi", "cpu": "1"}, "requests": {"cpu": "250m"}},
    "finished_job_ttl": 600,
    "job_watch_timeout_seconds": 3600,
    "pod_watch_timeout_seconds": 120,
    "stream_output": False,
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("variables", [{}, FULL], ids=["defaults", "every-variable"])
def test_jobs_are_valid_against_the_kubernetes_schema(
    version: str, variables: dict[str, Any]
) -> None:
    manifest = _manifest(variables)
    kubernetes_validate.validate(manifest, version, strict=True)
    loaded = codecs.from_dict(manifest)
    assert loaded.spec.backoffLimit == 0
    assert loaded.spec.template.spec.restartPolicy == "Never"


def test_the_default_job_runs_the_engine_against_the_server() -> None:
    manifest = _manifest({})
    assert manifest["metadata"] == {
        "generateName": "hw-amber-otter-",
        "namespace": "default",
        "labels": {
            RUN_LABEL: str(RUN_ID),
            POOL_LABEL: "k8s-pool-1",
            "headwater.io/worker-type": "kubernetes",
        },
    }
    pod = manifest["spec"]["template"]
    assert pod["metadata"]["labels"] == manifest["metadata"]["labels"]
    (container,) = pod["spec"]["containers"]
    assert container["args"] == ["python", "-m", "headwater.engine", str(RUN_ID)]
    assert container["env"] == [
        {"name": "HEADWATER_API_URL", "value": "http://headwater:4200/api"},
        {"name": "HEADWATER_API_KEY", "value": "sekrit"},
    ]
    assert "ttlSecondsAfterFinished" not in manifest["spec"]  # null: not sent
    assert "serviceAccountName" not in pod["spec"] and "resources" not in container


def test_every_variable_reaches_the_job() -> None:
    manifest = _manifest(FULL)
    spec = manifest["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert manifest["metadata"]["generateName"] == "nightly-etl-"
    assert manifest["metadata"]["namespace"] == "flows"
    assert manifest["metadata"]["labels"]["team"] == "data-eng"
    assert spec["ttlSecondsAfterFinished"] == 600
    assert pod["serviceAccountName"] == "headwater-runs"
    assert container["image"] == "registry.example/etl:2"
    assert container["imagePullPolicy"] == "Always"
    assert container["args"] == ["python", "-m", "headwater.engine", "--verbose"]
    assert container["resources"]["limits"] == {"memory": "512Mi", "cpu": "1"}
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["HEADWATER_API_URL"] == "http://in-cluster/api", "the template's env wins"
    assert env["LOG_LEVEL"] == "debug"


def test_an_edited_job_manifest_keeps_its_own_fields() -> None:
    template = KubernetesWorker.default_base_job_template()
    manifest = template["job_configuration"]["job_manifest"]
    pod_spec = manifest["spec"]["template"]["spec"]
    pod_spec["volumes"] = [{"name": "scratch", "emptyDir": {}}]
    pod_spec["nodeSelector"] = {"pool": "batch"}
    pod_spec["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/scratch"}]
    pod_spec["containers"][0]["env"] = [{"name": "FROM_LIST", "value": "1"}]
    out = flow_run_manifest(
        job_for(template, {}),
        run_id=RUN_ID,
        run_name="x",
        pool_name="p",
        api_url="http://h/api",
        api_key=None,
    )
    kubernetes_validate.validate(out, "1.30", strict=True)
    out_pod = out["spec"]["template"]["spec"]
    assert out_pod["volumes"] == [{"name": "scratch", "emptyDir": {}}]
    assert out_pod["nodeSelector"] == {"pool": "batch"}
    assert [e["name"] for e in out_pod["containers"][0]["env"]] == [
        "HEADWATER_API_URL",
        "FROM_LIST",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(kind="Pod"), "must be a batch/v1 Job"),
        (lambda m: m["spec"]["template"]["spec"].update(containers=[]), "must list a container"),
        (
            lambda m: m["spec"]["template"]["spec"]["containers"][0].update(env="A=1"),
            "env must be",
        ),
        (
            lambda m: m["spec"]["template"]["spec"]["containers"][0].update(
                imagePullPolicy="Sometimes"
            ),
            "image_pull_policy must be one of",
        ),
    ],
)
def test_bad_job_manifests_are_one_line_errors(change: Any, message: str) -> None:
    template = KubernetesWorker.default_base_job_template()
    change(template["job_configuration"]["job_manifest"])
    with pytest.raises(UserInputError, match=message):
        flow_run_manifest(
            job_for(template, {}),
            run_id=RUN_ID,
            run_name="x",
            pool_name="p",
            api_url="http://h/api",
            api_key=None,
        )


def test_label_values_are_made_valid() -> None:
    assert label_value("team a/b") == "team-a-b"
    assert label_value("-x-") == "x"
    assert len(label_value("p" * 80)) == 63


def test_the_type_is_built_in_and_its_template_printed_by_the_cli() -> None:
    assert get_worker_type("kubernetes") is KubernetesWorker
    command = ["work-pool", "get-default-base-job-template", "--type", "kubernetes"]
    done = subprocess.run(
        [sys.executable, "-m", "headwater", *command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '"job_manifest"' in done.stdout and '"finished_job_ttl"' in done.stdout


def test_without_the_extra_or_with_a_bad_cluster_config_the_worker_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = KubernetesWorker(None, grace_seconds=1)
    with pytest.raises(UserInputError, match="kubernetes cluster config"):
        worker.kube({"config": {"clusters": []}, "context_name": "missing"})
    monkeypatch.setitem(sys.modules, "lightkube", None)
    with pytest.raises(UserInputError, match=r'pip install "headwater\[kubernetes\]"'):
        KubernetesWorker(None, grace_seconds=1)
