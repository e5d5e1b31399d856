"""``headwater.yaml``: a project's deployments, applied by ``headwater deploy``.

```yaml
pull:                                # optional; default: change into this file's directory
  - git_clone: {repository: https://example.com/acme/flows.git, branch: main}
deployments:
  - name: nightly
    entrypoint: flows/etl.py:etl
    parameters: {day: today}
    work_pool: {name: default, work_queue_name: critical}
    schedules:
      - cron: "0 6 * * *"
        timezone: Europe/Paris
    concurrency_limit: {limit: 1, collision_strategy: cancel_new}
    triggers:                        # each runs the deployment (an automation)
      - expect: [shop.order.paid]
        parameters: {order: "{{ event.resource['headwater.resource.id'] }}"}
```

``build:`` and ``push:`` (the file's, or a deployment's own) hold Prefect's docker
steps, run before the deployment is applied (build_steps.py); ``{{ step_id.image }}``
references their outputs, and the image built becomes the ``image`` job variable.

Each entrypoint is loaded from the project directory when deploying, so a missing
file or a function that is not a flow is an error then, not in a run.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from headwater.deployments.deployment import RunnerDeployment, from_flow
from headwater.exceptions import InvalidOptionError

PROJECT_FILE = "headwater.yaml"
_KEYS = {
    "name",
    "entrypoint",
    "description",
    "version",
    "tags",
    "parameters",
    "work_pool",
    "schedules",
    "schedule",
    "cron",
    "interval",
    "rrule",
    "timezone",
    "concurrency_limit",
    "paused",
    "missed_runs",
    "lateness_limit_seconds",
    "sla",
    "pull",
    "build",
    "push",
    "triggers",
}
_POOL_KEYS = {"name", "work_queue_name", "job_variables"}
_TOP_KEYS = {"name", "prefect-version", "headwater-version", "pull", "deployments", "build", "push"}


def find_project_file(start: Path | None = None) -> Path:
    """``headwater.yaml`` in ``start`` (default: the current directory) or a parent."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / PROJECT_FILE
        if candidate.is_file():
            return candidate
    raise InvalidOptionError(
        f"no {PROJECT_FILE} in {here} or its parents; create one (see docs/deployments.md)"
    )


def read_project(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidOptionError(f"cannot read {path}: {first}") from None
    if not isinstance(data, dict):
        raise InvalidOptionError(f"{path}: expected a mapping with a 'deployments' list")
    _unknown(set(data), _TOP_KEYS, str(path))
    deployments = data.get("deployments") or []
    if not isinstance(deployments, list) or not all(isinstance(d, dict) for d in deployments):
        raise InvalidOptionError(f"{path}: 'deployments' must be a list of mappings")
    return data


def _unknown(keys: set[str], allowed: set[str], where: str) -> None:
    for key in sorted(keys - allowed):
        close = difflib.get_close_matches(key, sorted(allowed), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InvalidOptionError(f"{where}: unknown key {key!r}{hint}")


def project_deployments(
    path: Path, names: list[str] | None = None, *, all_deployments: bool = False
) -> list[RunnerDeployment]:
    """The deployments of ``path`` (all, or those named), each checked by loading its
    flow from the project directory."""
    data = read_project(path)
    entries = data.get("deployments") or []
    if not entries:
        raise InvalidOptionError(f"{path} defines no deployments")
    if not names and not all_deployments:
        if len(entries) != 1:
            listed = ", ".join(str(e.get("name")) for e in entries)
            raise InvalidOptionError(
                f"{path} has {len(entries)} deployments ({listed}); name one or use --all"
            )
        chosen = entries
    elif all_deployments:
        chosen = entries
    else:
        chosen = []
        for name in names or ():
            found = [e for e in entries if e.get("name") == name or _full(e) == name]
            if not found:
                listed = ", ".join(str(e.get("name")) for e in entries)
                raise InvalidOptionError(f"no deployment {name!r} in {path} (it has: {listed})")
            chosen.extend(found)
    root = path.parent.resolve()
    built: dict[str, dict[str, Any]] = {}  # the outputs of each distinct list of steps
    return [_deployment(entry, root, data, path, built) for entry in chosen]


def _full(entry: dict[str, Any]) -> str:
    return f"?/{entry.get('name')}"


def _steps(
    entry: dict[str, Any], data: dict[str, Any], root: Path, where: str, built: dict[str, Any]
) -> dict[str, Any]:
    """The outputs of the deployment's build and push steps (its own sections, else the
    file's), run once per distinct list of steps."""
    import json

    from headwater.deployments.build_steps import run_steps

    sections = [(key, entry[key] if key in entry else data.get(key)) for key in ("build", "push")]
    if not any(steps for _, steps in sections):
        return {}
    key = json.dumps(sections, sort_keys=True, default=str)
    if key not in built:
        built[key] = run_steps(sections, root, {}, where)
    return dict(built[key])


def _deployment(
    entry: dict[str, Any], root: Path, data: dict[str, Any], path: Path, built: dict[str, Any]
) -> RunnerDeployment:
    from headwater.deployments.build_steps import resolve
    from headwater.flows import load_flow

    where = f"{path.name}: deployment {entry.get('name')!r}"
    _unknown(set(entry), _KEYS, where)
    outputs = _steps(entry, data, root, where, built)
    # triggers' templates are rendered over events when they fire, not here
    kept = {k: v for k, v in entry.items() if k not in ("build", "push", "triggers")}
    entry = {**resolve(kept, outputs, where), "triggers": entry.get("triggers")}
    # an auto Dockerfile copied the project into the image: runs change into that copy
    directory = outputs["code_dir"] if outputs.get("dockerfile") == "auto" else str(root)
    default_pull = resolve(data.get("pull"), outputs, where) or [
        {"set_working_directory": {"directory": directory}}
    ]
    entrypoint = entry.get("entrypoint")
    if not isinstance(entrypoint, str) or ":" not in entrypoint:
        raise InvalidOptionError(f"{where}: entrypoint must be 'path/to/file.py:function'")
    pool = entry.get("work_pool") or {}
    if isinstance(pool, str):
        pool = {"name": pool}
    if not isinstance(pool, dict):
        raise InvalidOptionError(f"{where}: work_pool must be a mapping with a name")
    _unknown(set(pool), _POOL_KEYS, f"{where}: work_pool")
    job_variables = pool.get("job_variables")
    if outputs.get("image") and not (job_variables or {}).get("image"):
        job_variables = {**(job_variables or {}), "image": outputs["image"]}
    here = os.getcwd()
    try:
        os.chdir(root)
        flow = load_flow(entrypoint)
    except InvalidOptionError:
        raise
    except Exception as exc:
        raise InvalidOptionError(f"{where}: {exc}") from None
    finally:
        os.chdir(here)
    options: dict[str, Any] = {
        key: entry[key]
        for key in (
            "description",
            "version",
            "tags",
            "parameters",
            "cron",
            "interval",
            "rrule",
            "schedule",
            "schedules",
            "timezone",
            "concurrency_limit",
            "paused",
            "missed_runs",
            "lateness_limit_seconds",
            "sla",
            "triggers",
        )
        if entry.get(key) is not None
    }
    try:
        return from_flow(
            flow,
            entry.get("name") or flow.name,
            entrypoint=entrypoint,
            work_pool_name=pool.get("name"),
            work_queue_name=pool.get("work_queue_name"),
            job_variables=job_variables,
            pull_steps=entry.get("pull") or default_pull,
            source=str(root),
            **options,
        )
    except InvalidOptionError as exc:
        raise InvalidOptionError(f"{where}: {exc}") from None


def deploy(*deployments: RunnerDeployment, work_pool_name: str | None = None) -> list[Any]:
    """Apply several deployments (``work_pool_name`` for those without one); their ids."""
    ids = []
    for deployment in deployments:
        if work_pool_name and not deployment.work_pool_name:
            deployment.work_pool_name = work_pool_name
        ids.append(deployment.apply())
    return ids
