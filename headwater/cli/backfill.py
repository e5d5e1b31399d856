"""``headwater deployment backfill``: the runs a deployment's schedules would have made
in a past window, created once each (the scheduler's idempotency keys), with Rich
progress."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from uuid import UUID

from rich.markup import escape

from headwater.cli.output import console, fail

UTC = dt.timezone.utc
MAX_RUNS = 10_000
REPROCESS = ("none", "failed", "all")
_RETRYABLE = ("FAILED", "CRASHED", "CANCELLED")


def parse_time(value: str, option: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(
            f"{option} {value!r} is not an ISO date or time", "e.g. 2024-01-31 or 2024-01-31T06:00"
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def planned_times(
    deployment: Any, start: dt.datetime, end: dt.datetime
) -> list[tuple[Any, dt.datetime]]:
    """(schedule, time) for every active schedule's time in [start, end], in order."""
    from headwater.schedules import schedule_from_dict

    out = []
    for schedule in deployment.schedules:
        if not schedule.active:
            continue
        timing = schedule_from_dict(dict(schedule.schedule))
        after = start - dt.timedelta(microseconds=1)
        for when in timing.next_times(after, until=end, count=MAX_RUNS + 1):
            out.append((schedule, when))
    out.sort(key=lambda item: item[1])
    if len(out) > MAX_RUNS:
        fail(
            f"the window holds more than {MAX_RUNS:,} scheduled times",
            "backfill a shorter window at a time",
        )
    return out


def backfill(
    client: Any,
    name: str,
    start_text: str,
    end_text: str,
    *,
    dry_run: bool,
    max_active: int | None,
    reprocess: str,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from headwater.core.run_keys import scheduled_key
    from headwater.schemas.deployments import DeploymentFlowRunCreate
    from headwater.schemas.filters import FlowRunFilter
    from headwater.states import AwaitingRetry

    if reprocess not in REPROCESS:
        fail(f"--reprocess {reprocess!r} is not one of {', '.join(REPROCESS)}")
    start, end = parse_time(start_text, "--start"), parse_time(end_text, "--end")
    if end < start:
        fail("--end is before --start")
    if end > dt.datetime.now(UTC):
        fail("--end is in the future", "the scheduler makes future runs; backfill the past")
    try:
        deployment = client.read_deployment(UUID(name))
    except ValueError:
        deployment = client.read_deployment_by_name(name)
    plan = planned_times(deployment, start, end)
    if not plan:
        console().print(f"No scheduled times of {escape(deployment.full_name)} in the window.")
        return
    keys = [scheduled_key(deployment.id, s.id, when) for s, when in plan]
    existing: dict[str, Any] = {}
    for i in range(0, len(keys), 500):
        flt = FlowRunFilter(deployment_ids=[deployment.id], idempotency_keys=keys[i : i + 500])
        for run in client.read_flow_runs(flow_run_filter=flt, limit=1000):
            existing[run.idempotency_key] = run
    to_rerun = {
        key
        for key, run in existing.items()
        if (reprocess == "all" and run.state.is_final())
        or (reprocess == "failed" and run.state_type in _RETRYABLE)
    }
    new = [(item, key) for item, key in zip(plan, keys, strict=True) if key not in existing]
    if dry_run:
        for (schedule, when), key in zip(plan, keys, strict=True):
            action = "create" if key not in existing else ("rerun" if key in to_rerun else "exists")
            console().print(f"{when.isoformat()}  {action}  ({escape(schedule.description)})")
        console().print(
            f"Dry run: {len(new)} to create, {len(to_rerun)} to run again, "
            f"{len(existing) - len(to_rerun)} left as they are."
        )
        return
    active: list[UUID] = []
    with Progress(
        TextColumn("[bold]Backfill[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console(),
        transient=False,
    ) as progress:
        task = progress.add_task(escape(deployment.full_name), total=len(new) + len(to_rerun))
        for (schedule, when), key in new:
            _wait_for_slot(client, active, max_active)
            run = client.create_flow_run_from_deployment(
                deployment.id,
                DeploymentFlowRunCreate(
                    parameters=dict(schedule.parameters),
                    name=f"backfill-{when.strftime('%Y%m%dT%H%M%S')}",
                    tags=["backfill"],
                    idempotency_key=key,
                ),
            )
            active.append(run.id)
            progress.advance(task)
        for key in sorted(to_rerun):
            _wait_for_slot(client, active, max_active)
            run = existing[key]
            client.set_flow_run_state(
                run.id, AwaitingRetry(message="backfill --reprocess"), force=True
            )
            active.append(run.id)
            progress.advance(task)
    console().print(
        f"Backfill of {escape(deployment.full_name)}: {len(new)} run(s) created, "
        f"{len(to_rerun)} run again, {len(existing) - len(to_rerun)} already there."
    )


def _wait_for_slot(client: Any, active: list[UUID], max_active: int | None) -> None:
    """Block until fewer than ``max_active`` of our runs are unfinished."""
    from headwater.schemas.filters import FlowRunFilter

    if max_active is None:
        return
    while len(active) >= max_active:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(ids=active), limit=len(active))
        unfinished = {run.id for run in runs if not run.state.is_final()}
        active[:] = [run_id for run_id in active if run_id in unfinished]
        if len(active) >= max_active:
            time.sleep(0.5)
