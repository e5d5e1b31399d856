"""``RunnerDeployment``: a deployment described in Python (``flow.to_deployment``),
checked when it is made (entrypoint, schedules, parameters) and applied to the store
or server by ``serve``, ``flow.deploy`` or ``apply``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from headwater.exceptions import InvalidOptionError
from headwater.schedules import Cron, Interval, RRule, Schedule, schedule_from_dict

if TYPE_CHECKING:
    from headwater.flows import Flow
    from headwater.schemas.deployments import DeploymentCreate

COLLISION_STRATEGIES = ("enqueue", "cancel_new")
MISSED_RUNS = ("run_latest", "run_all", "skip")


@dataclass
class RunnerDeployment:
    name: str
    flow_name: str
    entrypoint: str
    parameter_schema: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    description: str | None = None
    version: str | None = None
    tags: list[str] = field(default_factory=list)
    paused: bool = False
    concurrency_limit: int | None = None
    collision_strategy: str = "enqueue"
    missed_runs: str = "run_latest"
    lateness_limit_seconds: float | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = field(default_factory=dict)
    pull_steps: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None
    empirical_policy: dict[str, Any] = field(default_factory=dict)
    #: SLA bodies (``SlaCreate`` fields); None leaves a deployment's SLAs as they are.
    sla: list[dict[str, Any]] | None = None
    #: Deployment triggers (``deployments/triggers.py``); None: leave stored ones alone.
    triggers: list[Any] | None = None

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"

    def to_create(self) -> DeploymentCreate:
        """The API body; pydantic's checks become one ``InvalidOptionError`` line."""
        from pydantic import ValidationError

        from headwater.schemas.deployments import DeploymentCreate, ScheduleCreate

        data = {
            "flow_name": self.flow_name,
            "name": self.name,
            "entrypoint": self.entrypoint,
            "description": self.description,
            "version": self.version,
            "tags": self.tags,
            "parameters": self.parameters,
            "parameter_schema": self.parameter_schema,
            "source": self.source,
            "pull_steps": self.pull_steps,
            "work_pool_name": self.work_pool_name,
            "work_queue_name": self.work_queue_name,
            "job_variables": self.job_variables,
            "empirical_policy": self.empirical_policy,
            "paused": self.paused,
            "concurrency_limit": self.concurrency_limit,
            "collision_strategy": self.collision_strategy,
            "missed_runs": self.missed_runs,
            "lateness_limit_seconds": self.lateness_limit_seconds,
            "schedules": [_schedule_body(s) for s in self.schedules],
            "sla": self.sla,
        }
        try:
            body = DeploymentCreate.model_validate(data)
            for schedule in body.schedules:
                ScheduleCreate.to_schedule(schedule)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            raise InvalidOptionError(f"deployment {self.full_name!r}: {where}: {message}") from None
        return body

    def apply(self, client: Any = None) -> UUID:
        """Create or update it; its id."""
        from headwater.client import shared_client

        client = client or shared_client()
        deployment_id = UUID(str(client.apply_deployment(self.to_create()).id))
        if self.triggers is not None:
            from headwater.deployments.triggers import sync_triggers

            sync_triggers(client, deployment_id, self.full_name, self.triggers)
        return deployment_id


def _schedule_body(schedule: Schedule) -> dict[str, Any]:
    data = schedule.to_dict()
    kind = data.pop("type")
    body: dict[str, Any] = {
        kind: data[kind],
        "timezone": data["timezone"],
        "active": data["active"],
        "parameters": data["parameters"],
    }
    if kind == "cron":
        body["day_or"] = data["day_or"]
    if kind == "interval":
        body["anchor_date"] = data["anchor_date"]
    return body


def build_schedules(
    *,
    cron: Any = None,
    interval: Any = None,
    rrule: Any = None,
    schedule: Any = None,
    schedules: Any = None,
    timezone: str | None = None,
) -> list[Schedule]:
    """Prefect's ``cron=/interval=/rrule=/schedule=/schedules=`` (each a value or a
    list) as ``Schedule`` objects; a bad one is an error naming the option."""
    out: list[Schedule] = []
    tz = timezone or "UTC"
    for value in _many(cron):
        out.append(value if isinstance(value, Schedule) else _checked("cron", Cron, value, tz))
    for value in _many(interval):
        if isinstance(value, Schedule):
            out.append(value)
        else:
            out.append(_checked("interval", Interval, value, tz))
    for value in _many(rrule):
        out.append(value if isinstance(value, Schedule) else _checked("rrule", RRule, value, tz))
    for value in [*_many(schedule), *_many(schedules)]:
        if isinstance(value, Schedule):
            out.append(value)
        elif isinstance(value, dict):
            try:
                out.append(schedule_from_dict(value))
            except InvalidOptionError as exc:
                raise InvalidOptionError(f"schedules: {exc}") from None
        else:
            raise InvalidOptionError(
                f"schedules must hold Cron/Interval/RRule objects or mappings, got {value!r}"
            )
    return out


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _checked(option: str, kind: Any, value: Any, timezone: str) -> Schedule:
    try:
        return kind(value, timezone=timezone)
    except InvalidOptionError as exc:
        text = str(exc)
        prefix = "" if text.startswith(option) else f"{option}: "
        raise InvalidOptionError(f"{prefix}{text}") from None


def check_parameters_for(flow: Flow[Any, Any], parameters: Any) -> dict[str, Any]:
    """Default parameters of a deployment: known names, JSON values."""
    import json

    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise InvalidOptionError("parameters must be a dict of flow parameter values")
    names = flow.binder.names
    variadic = any(p.kind.name == "VAR_KEYWORD" for p in flow.binder.signature.parameters.values())
    for key in parameters:
        if key not in names and not variadic:
            import difflib

            close = difflib.get_close_matches(str(key), names, n=1)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f" (parameters: {', '.join(names)})"
            )
            raise InvalidOptionError(f"flow {flow.name!r} has no parameter {key!r}{hint}")
    from headwater.utilities.jsonable import to_jsonable

    lossy: list[Any] = []
    converted = to_jsonable(parameters, lossy=lossy)
    if lossy:
        raise InvalidOptionError(
            f"parameters must be JSON values (strings, numbers, lists, dicts…); "
            f"cannot store {lossy[0]!r}"
        )
    json.dumps(converted, allow_nan=False)
    return dict(converted)


def sla_bodies(sla: Any) -> list[dict[str, Any]] | None:
    """``sla=``: an SLA (``headwater.slas.TimeToCompletionSla(...)``, ...), a mapping
    with its fields, or a list of them (``[]`` removes a deployment's SLAs); each
    checked now."""
    from pydantic import ValidationError

    from headwater.schemas.slas import SlaCreate

    if sla is None:
        return None
    items = list(sla) if isinstance(sla, (list, tuple)) else [sla]
    bodies = []
    for index, item in enumerate(items):
        data = item.model_dump(mode="json") if hasattr(item, "model_dump") else item
        if not isinstance(data, dict):
            raise InvalidOptionError(
                f"sla[{index}] must be an SLA such as TimeToCompletionSla(name=..., "
                f"duration=...) or a mapping, got {item!r}"
            )
        try:
            bodies.append(SlaCreate.model_validate(data).model_dump(mode="json"))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            raise InvalidOptionError(
                f"sla[{index}]{'.' + where if where else ''}: {message}"
            ) from None
    names = [b["name"] for b in bodies]
    if len(set(names)) != len(names):
        raise InvalidOptionError("sla: two SLAs have one name; names are unique per deployment")
    return bodies


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidOptionError("a deployment needs a name (a non-empty string)")
    if "/" in name:
        raise InvalidOptionError(f"deployment name {name!r} cannot contain '/'")
    return name


def from_flow(
    flow: Flow[Any, Any],
    name: str,
    *,
    entrypoint: str | None = None,
    cron: Any = None,
    interval: Any = None,
    rrule: Any = None,
    schedule: Any = None,
    schedules: Any = None,
    timezone: str | None = None,
    parameters: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    description: str | None = None,
    version: str | None = None,
    paused: bool = False,
    concurrency_limit: Any = None,
    collision_strategy: str | None = None,
    missed_runs: str = "run_latest",
    lateness_limit_seconds: float | dt.timedelta | None = None,
    work_pool_name: str | None = None,
    work_queue_name: str | None = None,
    job_variables: dict[str, Any] | None = None,
    pull_steps: list[dict[str, Any]] | None = None,
    source: str | None = None,
    sla: Any = None,
    triggers: Any = None,
) -> RunnerDeployment:
    """``flow.to_deployment(...)``: everything checked now, in one line each."""
    from headwater.deployments.schema import parameter_schema
    from headwater.deployments.steps import check_pull_steps
    from headwater.deployments.triggers import check_triggers

    name = check_name(name)
    entrypoint = entrypoint or flow.entrypoint
    if not entrypoint:
        raise InvalidOptionError(
            f"flow {flow.name!r} cannot be deployed: it is not defined in a file or module "
            "(a notebook, an interactive session, or a function inside a function)"
        )
    strategy = collision_strategy or "enqueue"
    limit = concurrency_limit
    if isinstance(limit, dict):
        strategy = limit.get("collision_strategy", strategy)
        limit = limit.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise InvalidOptionError(f"concurrency_limit must be a positive integer, got {limit!r}")
    if strategy not in COLLISION_STRATEGIES:
        raise InvalidOptionError(
            f"collision_strategy must be one of {', '.join(COLLISION_STRATEGIES)}, got {strategy!r}"
        )
    if missed_runs not in MISSED_RUNS:
        raise InvalidOptionError(
            f"missed_runs must be one of {', '.join(MISSED_RUNS)}, got {missed_runs!r}"
        )
    if isinstance(lateness_limit_seconds, dt.timedelta):
        lateness_limit_seconds = lateness_limit_seconds.total_seconds()
    if tags is not None and (
        not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags)
    ):
        raise InvalidOptionError("tags must be a list of strings")
    return RunnerDeployment(
        name=name,
        flow_name=flow.name,
        entrypoint=entrypoint,
        parameter_schema=parameter_schema(flow),
        parameters=check_parameters_for(flow, parameters),
        schedules=build_schedules(
            cron=cron,
            interval=interval,
            rrule=rrule,
            schedule=schedule,
            schedules=schedules,
            timezone=timezone,
        ),
        description=description or flow.description,
        version=version or flow.version,
        tags=list(tags or []),
        paused=bool(paused),
        concurrency_limit=limit,
        collision_strategy=strategy,
        missed_runs=missed_runs,
        lateness_limit_seconds=lateness_limit_seconds,
        work_pool_name=work_pool_name,
        work_queue_name=work_queue_name,
        job_variables=dict(job_variables or {}),
        pull_steps=check_pull_steps(pull_steps or []),
        source=source,
        sla=sla_bodies(sla),
        empirical_policy={
            "retries": flow.retries,
            "retry_delay_seconds": flow.retry_delay_seconds,
        },
        triggers=check_triggers(triggers),
    )
