"""The ``kubernetes`` worker type's base job template and the ``batch/v1`` Job manifest
of one flow run.  Pure functions on dicts (no Kubernetes client), so the manifests can
be checked without a cluster.

The template follows Prefect's: ``job_configuration.job_manifest`` is a Job with
``{{ placeholders }}``; the other keys of the configuration (``namespace``,
``cluster_config``, the watch timeouts, ``stream_output``) tell the worker how to
submit and watch it.  ``job_manifest`` may be edited freely in a pool's template
(resources, volumes, node selectors, sidecars); ``flow_run_manifest`` then adds what
every run needs: the run's labels, the server's address and key, the command."""

from __future__ import annotations

import copy
import re
import shlex
from typing import Any

from headwater.exceptions import UserInputError

RUN_LABEL = "headwater.io/flow-run-id"
POOL_LABEL = "headwater.io/work-pool"
TYPE_LABEL = "headwater.io/worker-type"
#: The name of the flow run's container in the pod.
CONTAINER = "headwater-job"
_PULL_POLICIES = ["IfNotPresent", "Always", "Never"]
_LABEL_VALUE = re.compile(r"[^A-Za-z0-9_.-]+")
_DNS = re.compile(r"[^a-z0-9-]+")


def _default_image() -> str:
    from headwater._version import __version__

    return f"headwater:{__version__}"


VARIABLES: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {
            "type": ["string", "null"],
            "title": "Name",
            "description": "Prefix of the Job's name (default: from the flow run's name).",
            "default": None,
        },
        "namespace": {"type": "string", "title": "Namespace", "default": "default"},
        "image": {
            "type": "string",
            "title": "Image",
            "description": "With Headwater and the flow's dependencies installed.",
            "default": _default_image(),
        },
        "image_pull_policy": {
            "type": "string",
            "title": "Image pull policy",
            "enum": _PULL_POLICIES,
            "default": "IfNotPresent",
        },
        "service_account_name": {
            "type": ["string", "null"],
            "title": "Service account name",
            "default": None,
        },
        "env": {
            "type": "object",
            "title": "Environment variables",
            "additionalProperties": {"type": "string"},
            "default": {},
        },
        "labels": {
            "type": "object",
            "title": "Labels",
            "additionalProperties": {"type": "string"},
            "default": {},
        },
        "command": {
            "type": ["string", "null"],
            "title": "Command",
            "description": "The container's arguments "
            "(default: python -m headwater.engine RUN_ID).",
            "default": None,
        },
        "resources": {
            "type": "object",
            "title": "Resources",
            "description": "The container's requests and limits, "
            'e.g. {"limits": {"memory": "512Mi"}}.',
            "default": {},
        },
        "finished_job_ttl": {
            "type": ["integer", "null"],
            "title": "Finished job TTL",
            "description": "Seconds after a Job finishes before Kubernetes deletes it "
            "(ttlSecondsAfterFinished); null keeps it.",
            "default": None,
        },
        "job_watch_timeout_seconds": {
            "type": ["integer", "null"],
            "title": "Job watch timeout",
            "description": "Seconds a run may take once its pod runs; then its Job is "
            "deleted and the run reported Crashed. null: no limit.",
            "default": None,
        },
        "pod_watch_timeout_seconds": {
            "type": "integer",
            "title": "Pod watch timeout",
            "description": "Seconds the pod may take to start (image pull, scheduling); "
            "then the run is reported Crashed with the reason.",
            "default": 60,
        },
        "stream_output": {
            "type": "boolean",
            "title": "Stream output",
            "description": "Echo the pod's output in the worker's log.",
            "default": True,
        },
        "cluster_config": {
            "type": ["object", "null"],
            "title": "Cluster config",
            "description": 'A kubeconfig as JSON: {"config": {...}, "context_name": "..."}; '
            "null: in-cluster service account, else $KUBECONFIG or ~/.kube/config.",
            "default": None,
        },
    },
}

JOB_CONFIGURATION: dict[str, Any] = {
    "name": "{{ name }}",
    "namespace": "{{ namespace }}",
    "labels": "{{ labels }}",
    "env": "{{ env }}",
    "command": "{{ command }}",
    "cluster_config": "{{ cluster_config }}",
    "job_watch_timeout_seconds": "{{ job_watch_timeout_seconds }}",
    "pod_watch_timeout_seconds": "{{ pod_watch_timeout_seconds }}",
    "stream_output": "{{ stream_output }}",
    "job_manifest": {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "generateName": "{{ name }}-",
            "namespace": "{{ namespace }}",
            "labels": "{{ labels }}",
        },
        "spec": {
            "backoffLimit": 0,
            "parallelism": 1,
            "completions": 1,
            "ttlSecondsAfterFinished": "{{ finished_job_ttl }}",
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "serviceAccountName": "{{ service_account_name }}",
                    "containers": [
                        {
                            "name": CONTAINER,
                            "image": "{{ image }}",
                            "imagePullPolicy": "{{ image_pull_policy }}",
                            "env": "{{ env }}",
                            "args": "{{ command }}",
                            "resources": "{{ resources }}",
                        }
                    ],
                }
            },
        },
    },
}


def label_value(text: str) -> str:
    """``text`` as a valid label value (63 characters of [A-Za-z0-9_.-], alphanumeric at
    both ends)."""
    return _LABEL_VALUE.sub("-", text)[:63].strip("-_.")


def _job_name_prefix(name: Any, run_name: str) -> str:
    base = str(name).strip() if name else f"hw-{run_name}"
    slug = _DNS.sub("-", base.lower()).strip("-")[:50].strip("-")
    return f"{slug or 'headwater'}-"


def _prune(value: Any) -> Any:
    """``value`` without null entries (a Job's optional fields left unset)."""
    if isinstance(value, dict):
        return {key: _prune(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def _env_list(env: Any) -> list[dict[str, Any]]:
    if env is None:
        return []
    if isinstance(env, dict):
        return [{"name": str(key), "value": str(value)} for key, value in env.items()]
    if isinstance(env, list) and all(isinstance(item, dict) and "name" in item for item in env):
        return [dict(item) for item in env]
    raise UserInputError("env must be an object of names to values or a list of {name, value}")


def run_labels(run_id: Any, pool_name: str | None) -> dict[str, str]:
    """The labels that let a restarted worker find its pool's Jobs again."""
    return {
        RUN_LABEL: str(run_id),
        POOL_LABEL: label_value(pool_name or ""),
        TYPE_LABEL: "kubernetes",
    }


def flow_run_manifest(
    job: dict[str, Any],
    *,
    run_id: Any,
    run_name: str,
    pool_name: str | None,
    api_url: str,
    api_key: str | None,
) -> dict[str, Any]:
    """The Job of one run: the configuration's ``job_manifest`` with the run's labels
    (on the Job and its pod), the server's address and key in the first container's
    environment (the template's ``env`` wins), and ``python -m headwater.engine RUN_ID``
    as its arguments unless the template gives a command.  ``UserInputError`` for a
    manifest that is not a Job with a container."""
    manifest = copy.deepcopy(job.get("job_manifest"))
    if not isinstance(manifest, dict) or manifest.get("kind") != "Job":
        raise UserInputError("the job configuration's job_manifest must be a batch/v1 Job")
    manifest.setdefault("apiVersion", "batch/v1")
    metadata = manifest.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        raise UserInputError("job_manifest.metadata must be an object")
    namespace = metadata.get("namespace") or job.get("namespace") or "default"
    metadata["namespace"] = str(namespace)
    if not metadata.get("name"):
        generate = str(metadata.get("generateName") or "").strip("-")
        metadata["generateName"] = _job_name_prefix(generate or job.get("name"), run_name)
    labels = {
        **{str(k): label_value(str(v)) for k, v in (metadata.get("labels") or {}).items()},
        **run_labels(run_id, pool_name),
    }
    metadata["labels"] = labels
    spec = manifest.setdefault("spec", {})
    template = spec.setdefault("template", {}) if isinstance(spec, dict) else None
    pod_spec = template.setdefault("spec", {}) if isinstance(template, dict) else None
    containers = pod_spec.get("containers") if isinstance(pod_spec, dict) else None
    if not isinstance(containers, list) or not containers or not isinstance(containers[0], dict):
        raise UserInputError("job_manifest.spec.template.spec.containers must list a container")
    assert isinstance(template, dict)
    pod_metadata = template.setdefault("metadata", {})
    pod_metadata["labels"] = {**(pod_metadata.get("labels") or {}), **labels}
    container = containers[0]
    env = [{"name": "HEADWATER_API_URL", "value": api_url}]
    if api_key:
        env.append({"name": "HEADWATER_API_KEY", "value": api_key})
    own = _env_list(container.get("env"))
    own_names = {item["name"] for item in own}
    container["env"] = [item for item in env if item["name"] not in own_names] + own
    args = container.get("args")
    if isinstance(args, str):
        args = shlex.split(args)
    if not args and not container.get("command"):
        args = ["python", "-m", "headwater.engine", str(run_id)]
    container["args"] = [str(arg) for arg in args] if args else None
    if not container.get("resources"):
        container.pop("resources", None)
    policy = container.get("imagePullPolicy")
    if policy is not None and policy not in _PULL_POLICIES:
        raise UserInputError(f"image_pull_policy must be one of {_PULL_POLICIES}, not {policy!r}")
    pruned = _prune(manifest)
    assert isinstance(pruned, dict)
    return pruned
