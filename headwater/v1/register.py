"""``flow.register(project_name=...)`` and ``headwater v1 register``: a v1 flow as a
Headwater deployment that a process worker runs.

- the project is the deployment's name and a tag (``flow-name/project``);
- labels (the run config's and those given) choose the work queue (sorted, joined by
  ``-``; none: the pool's default queue) and are tags too;
- storage (``Local``/``GitHub``) becomes pull steps; the entrypoint names the flow's
  variable in its file, which workers load (``headwater.flows.load_flow``);
- the schedule's clocks become deployment schedules; ``LocalRun``'s ``env`` and
  ``working_dir`` are kept as job variables (``working_dir`` also moves a ``Local``
  flow's working directory).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from headwater.v1.exceptions import V1GraphError


def _where_defined(flow: Any) -> tuple[Path, str]:
    """(file, variable) of a flow defined at the top level of a loaded module."""
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not file or not str(file).endswith(".py"):
            continue
        for name, value in list(vars(module).items()):
            if value is flow:
                return Path(file).resolve(), name
    raise V1GraphError(
        f"flow {flow.name!r} cannot be registered: it is not a top-level variable of a "
        "Python file (register it with `headwater v1 register --path FILE`)"
    )


def register_flow(
    flow: Any,
    project_name: str | None = None,
    labels: Iterable[str] | None = None,
    *,
    path: str | Path | None = None,
    variable: str | None = None,
    work_pool_name: str | None = None,
    client: Any = None,
    **options: Any,
) -> Any:
    """Create or update the deployment; its id."""
    from headwater.deployments.deployment import from_flow
    from headwater.v1.storage import Local

    if not project_name:
        raise V1GraphError(
            f"registering flow {flow.name!r} needs a project: project_name= (--project)"
        )
    if not work_pool_name:
        raise V1GraphError(
            "registering needs a work pool for the runs: create one with "
            "`headwater work-pool create NAME --type process` and pass --pool NAME "
            "(work_pool_name=)"
        )
    unknown = sorted(
        set(options)
        - {"idempotency_key", "set_schedule_active", "version_group_id", "build", "no_url"}
    )
    if unknown:
        raise V1GraphError(f"flow.register() got unknown options: {', '.join(unknown)}")
    flow.validate()
    if path is None or variable is None:
        file, name = _where_defined(flow)
        path = path or file
        variable = variable or name
    run_config = flow.run_config
    storage = flow.storage or Local()
    if isinstance(storage, Local) and getattr(run_config, "working_dir", None):
        storage = Local(directory=run_config.working_dir, path=storage.path)
    entry_file, pull_steps, shown = storage.code_location(Path(path).resolve())
    all_labels = sorted(set(labels or ()) | set(getattr(run_config, "labels", ()) or ()))
    schedules = flow.schedule.headwater_schedules() if flow.schedule is not None else []
    job_variables = run_config.job_variables() if run_config is not None else {}
    deployment = from_flow(
        flow.as_headwater_flow(),
        project_name,
        entrypoint=f"{entry_file}:{variable}",
        schedules=schedules,
        paused=options.get("set_schedule_active") is False,
        tags=[project_name, *all_labels],
        work_pool_name=work_pool_name,
        work_queue_name="-".join(all_labels) or None,
        job_variables=job_variables,
        pull_steps=pull_steps,
        source=shown,
    )
    return deployment.apply(client)
