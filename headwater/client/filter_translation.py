"""Prefect's nested filters and sort orders → the store's flat filters.

``headwater.client.schemas.filters`` holds the objects users build; the store (both
transports) takes ``headwater.schemas.filters``.  Criteria on other objects (a flow
filter on flow runs, a deployment filter on task runs) are resolved to ids with one
extra read.  Anything the store cannot apply raises ``UnsupportedFilterError`` in one
line: silently dropping a criterion would return (and maybe delete) the wrong runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from headwater.client.schemas import filters as pf
from headwater.exceptions import UserInputError
from headwater.schemas import filters as store
from headwater.schemas.deployments import DeploymentFilter as StoreDeploymentFilter
from headwater.schemas.limits import MAX_IDS

if TYPE_CHECKING:
    from headwater.client.protocol import Client


class UnsupportedFilterError(UserInputError, ValueError):
    """A filter criterion or sort order Headwater's store does not offer."""


def unsupported(what: str) -> UnsupportedFilterError:
    return UnsupportedFilterError(
        f"{what} is not supported by Headwater; see docs/porting.md for the filters there are"
    )


def _check(flt: Any, where: str) -> None:
    """Only AND-combined criteria; ``is_null_``/``not_any_`` where the store has them."""
    if isinstance(flt, pf.OperatorMixin) and flt.operator is not pf.Operator.and_:
        raise unsupported(f"{where}(operator=or_)")


def _like(value: str, pattern: str) -> bool:
    return pattern.lower() in value.lower()


def _intersect(kw: dict[str, Any], key: str, values: list[Any]) -> None:
    """Set ``kw[key]``; a second criterion on the same field narrows it (AND)."""
    current = kw.get(key)
    kw[key] = values if current is None else [v for v in current if v in values]


def _time(kw: dict[str, Any], rng: Any, prefix: str, where: str) -> None:
    if rng is None:
        return
    if getattr(rng, "is_null_", None) is not None:
        raise unsupported(f"{where}(is_null_=...)")
    if rng.before_ is not None:
        kw[f"{prefix}_before"] = rng.before_
    if rng.after_ is not None:
        kw[f"{prefix}_after"] = rng.after_


# -- flow runs -----------------------------------------------------------------------------
def to_flow_run_filter(
    client: Client,
    *,
    flow_filter: pf.FlowFilter | None = None,
    flow_run_filter: pf.FlowRunFilter | store.FlowRunFilter | None = None,
    task_run_filter: Any = None,
    deployment_filter: pf.DeploymentFilter | None = None,
    work_pool_filter: pf.WorkPoolFilter | None = None,
    work_queue_filter: Any = None,
) -> store.FlowRunFilter | None:
    if task_run_filter is not None:
        raise unsupported("a task_run_filter on flow runs")
    if work_queue_filter is not None:
        raise unsupported("a work_queue_filter on flow runs")
    if isinstance(flow_run_filter, store.FlowRunFilter):
        kw = flow_run_filter.model_dump(exclude_none=True)
    else:
        kw = _flow_run_kwargs(flow_run_filter) if flow_run_filter is not None else {}
    if flow_filter is not None:
        _flow_criteria(client, flow_filter, kw)
    if deployment_filter is not None:
        found = client.read_deployments(
            deployment_filter=to_deployment_filter(deployment_filter), limit=MAX_IDS
        )
        _intersect(kw, "deployment_ids", [d.id for d in found])
    if work_pool_filter is not None:
        _intersect(kw, "work_pool_ids", [p.id for p in work_pools(client, work_pool_filter)])
    return store.FlowRunFilter(**kw) if kw else None


def _flow_criteria(client: Client, flt: pf.FlowFilter, kw: dict[str, Any]) -> None:
    _check(flt, "FlowFilter")
    if flt.tags is not None:
        raise unsupported("FlowFilter(tags=...)")
    if flt.id is not None and flt.id.any_ is not None:
        _intersect(kw, "flow_ids", list(flt.id.any_))
    if flt.name is not None:
        if flt.name.any_ is not None:
            _intersect(kw, "flow_names", list(flt.name.any_))
        if flt.name.like_ is not None:
            pattern = flt.name.like_
            names = [f.name for f in client.read_flows(limit=10_000) if _like(f.name, pattern)]
            _intersect(kw, "flow_names", names)


def _flow_run_kwargs(flt: pf.FlowRunFilter) -> dict[str, Any]:
    _check(flt, "FlowRunFilter")
    kw: dict[str, Any] = {}
    if flt.id is not None:
        if flt.id.not_any_ is not None:
            raise unsupported("FlowRunFilterId(not_any_=...)")
        if flt.id.any_ is not None:
            kw["ids"] = list(flt.id.any_)
    if flt.name is not None:
        if flt.name.any_ is not None:
            kw["names"] = list(flt.name.any_)
        if flt.name.like_ is not None:
            kw["name_like"] = flt.name.like_
    if flt.tags is not None:
        _check(flt.tags, "FlowRunFilterTags")
        if flt.tags.is_null_ is not None:
            raise unsupported("FlowRunFilterTags(is_null_=...)")
        if flt.tags.all_ is not None:
            kw["tags_all"] = list(flt.tags.all_)
        if flt.tags.any_ is not None:
            kw["tags_any"] = list(flt.tags.any_)
    if flt.deployment_id is not None:
        if flt.deployment_id.is_null_ is not None:
            raise unsupported("FlowRunFilterDeploymentId(is_null_=...)")
        if flt.deployment_id.any_ is not None:
            kw["deployment_ids"] = list(flt.deployment_id.any_)
    if flt.work_queue_name is not None:
        raise unsupported("FlowRunFilter(work_queue_name=...)")
    if flt.state is not None:
        _check(flt.state, "FlowRunFilterState")
        if flt.state.type is not None:
            if flt.state.type.any_ is not None:
                kw["state_types"] = list(flt.state.type.any_)
            if flt.state.type.not_any_ is not None:
                kw["state_types_not"] = list(flt.state.type.not_any_)
        if flt.state.name is not None:
            if flt.state.name.any_ is not None:
                kw["state_names"] = list(flt.state.name.any_)
            if flt.state.name.not_any_ is not None:
                kw["state_names_not"] = list(flt.state.name.not_any_)
    if flt.flow_version is not None and flt.flow_version.any_ is not None:
        kw["flow_versions"] = list(flt.flow_version.any_)
    _time(kw, flt.start_time, "start_time", "FlowRunFilterStartTime")
    _time(kw, flt.end_time, "end_time", "FlowRunFilterEndTime")
    _time(kw, flt.expected_start_time, "expected_start_time", "FlowRunFilterExpectedStartTime")
    if flt.next_scheduled_start_time is not None:
        raise unsupported("FlowRunFilter(next_scheduled_start_time=...)")
    if flt.parent_flow_run_id is not None and flt.parent_flow_run_id.any_ is not None:
        kw["parent_flow_run_ids"] = list(flt.parent_flow_run_id.any_)
    if flt.parent_task_run_id is not None:
        if flt.parent_task_run_id.is_null_ is not None:
            kw["has_parent"] = not flt.parent_task_run_id.is_null_
        any_ = flt.parent_task_run_id.any_
        if any_ is not None:
            if len(any_) != 1:
                raise unsupported("FlowRunFilterParentTaskRunId(any_=) with several ids")
            kw["parent_task_run_id"] = any_[0]
    if flt.idempotency_key is not None:
        if flt.idempotency_key.not_any_ is not None:
            raise unsupported("FlowRunFilterIdempotencyKey(not_any_=...)")
        if flt.idempotency_key.any_ is not None:
            kw["idempotency_keys"] = list(flt.idempotency_key.any_)
    return kw


# -- task runs -----------------------------------------------------------------------------
def to_task_run_filter(
    client: Client,
    *,
    flow_filter: pf.FlowFilter | None = None,
    flow_run_filter: pf.FlowRunFilter | None = None,
    task_run_filter: pf.TaskRunFilter | store.TaskRunFilter | None = None,
    deployment_filter: pf.DeploymentFilter | None = None,
) -> store.TaskRunFilter | None:
    if isinstance(task_run_filter, store.TaskRunFilter):
        kw = task_run_filter.model_dump(exclude_none=True)
    else:
        kw = _task_run_kwargs(task_run_filter) if task_run_filter is not None else {}
    if flow_filter is not None or flow_run_filter is not None or deployment_filter is not None:
        runs_filter = to_flow_run_filter(
            client,
            flow_filter=flow_filter,
            flow_run_filter=flow_run_filter,
            deployment_filter=deployment_filter,
        )
        runs = client.read_flow_runs(flow_run_filter=runs_filter, limit=MAX_IDS)
        _intersect(kw, "flow_run_ids", [run.id for run in runs])
    return store.TaskRunFilter(**kw) if kw else None


def _task_run_kwargs(flt: pf.TaskRunFilter) -> dict[str, Any]:
    _check(flt, "TaskRunFilter")
    kw: dict[str, Any] = {}
    if flt.id is not None and flt.id.any_ is not None:
        kw["ids"] = list(flt.id.any_)
    if flt.name is not None:
        if flt.name.any_ is not None:
            kw["names"] = list(flt.name.any_)
        if flt.name.like_ is not None:
            kw["name_like"] = flt.name.like_
    if flt.tags is not None:
        _check(flt.tags, "TaskRunFilterTags")
        if flt.tags.is_null_ is not None:
            raise unsupported("TaskRunFilterTags(is_null_=...)")
        if flt.tags.all_ is not None:
            kw["tags_all"] = list(flt.tags.all_)
    if flt.state is not None:
        _check(flt.state, "TaskRunFilterState")
        if flt.state.type is not None and flt.state.type.any_ is not None:
            kw["state_types"] = list(flt.state.type.any_)
        if flt.state.name is not None and flt.state.name.any_ is not None:
            kw["state_names"] = list(flt.state.name.any_)
    _time(kw, flt.start_time, "start_time", "TaskRunFilterStartTime")
    if flt.end_time is not None:
        raise unsupported("TaskRunFilter(end_time=...)")
    if flt.subflow_runs is not None:
        raise unsupported("TaskRunFilter(subflow_runs=...)")
    if flt.flow_run_id is not None:
        _check(flt.flow_run_id, "TaskRunFilterFlowRunId")
        if flt.flow_run_id.is_null_ is not None:
            raise unsupported("TaskRunFilterFlowRunId(is_null_=...)")
        if flt.flow_run_id.any_ is not None:
            kw["flow_run_ids"] = list(flt.flow_run_id.any_)
    return kw


# -- deployments, logs, work pools -------------------------------------------------------------
def to_deployment_filter(
    flt: pf.DeploymentFilter | StoreDeploymentFilter | None,
    *,
    flow_filter: pf.FlowFilter | None = None,
    work_pool_filter: pf.WorkPoolFilter | None = None,
) -> StoreDeploymentFilter | None:
    if isinstance(flt, StoreDeploymentFilter):
        kw = flt.model_dump(exclude_none=True)
    else:
        kw = {}
        if flt is not None:
            _check(flt, "DeploymentFilter")
            for unsupported_field in ("work_queue_name", "concurrency_limit"):
                if getattr(flt, unsupported_field) is not None:
                    raise unsupported(f"DeploymentFilter({unsupported_field}=...)")
            if flt.flow_or_deployment_name is not None:
                raise unsupported("DeploymentFilter(flow_or_deployment_name=...)")
            if flt.id is not None and flt.id.any_ is not None:
                kw["ids"] = list(flt.id.any_)
            if flt.name is not None:
                if flt.name.any_ is not None:
                    kw["names"] = list(flt.name.any_)
                if flt.name.like_ is not None:
                    kw["name_like"] = flt.name.like_
            if flt.tags is not None:
                if flt.tags.is_null_ is not None:
                    raise unsupported("DeploymentFilterTags(is_null_=...)")
                if flt.tags.all_ is not None:
                    kw["tags_all"] = list(flt.tags.all_)
            if flt.paused is not None:
                kw["paused"] = flt.paused
    if flow_filter is not None:
        _check(flow_filter, "FlowFilter")
        if flow_filter.name is None or flow_filter.name.any_ is None or flow_filter.id:
            raise unsupported("a FlowFilter on deployments other than name any_")
        _intersect(kw, "flow_names", list(flow_filter.name.any_))
    if work_pool_filter is not None:
        if work_pool_filter.name is None or work_pool_filter.name.any_ is None:
            raise unsupported("a WorkPoolFilter on deployments other than name any_")
        _intersect(kw, "work_pool_names", list(work_pool_filter.name.any_))
    return StoreDeploymentFilter(**kw) if kw else None


def to_log_filter(flt: pf.LogFilter | store.LogFilter | None) -> store.LogFilter | None:
    if flt is None or isinstance(flt, store.LogFilter):
        return flt
    _check(flt, "LogFilter")
    kw: dict[str, Any] = {}
    if flt.level is not None:
        if flt.level.ge_ is not None:
            kw["level_ge"] = flt.level.ge_
        if flt.level.le_ is not None:
            kw["level_le"] = flt.level.le_
    if flt.timestamp is not None:
        if flt.timestamp.before_ is not None:
            kw["timestamp_before"] = flt.timestamp.before_
        if flt.timestamp.after_ is not None:
            kw["timestamp_after"] = flt.timestamp.after_
    if flt.flow_run_id is not None and flt.flow_run_id.any_ is not None:
        kw["flow_run_ids"] = list(flt.flow_run_id.any_)
    if flt.task_run_id is not None:
        if flt.task_run_id.any_ is not None:
            kw["task_run_ids"] = list(flt.task_run_id.any_)
        if flt.task_run_id.is_null_ is not None:
            kw["task_run_is_null"] = flt.task_run_id.is_null_
    if flt.text is not None:
        kw["text"] = flt.text.query
    return store.LogFilter(**kw)


def work_pools(client: Client, flt: pf.WorkPoolFilter | None, limit: int = 10_000) -> list[Any]:
    """Work pools matching ``flt`` (pools are few: filtered here, not in the store)."""
    pools = client.read_work_pools(limit=limit)
    if flt is None:
        return pools
    _check(flt, "WorkPoolFilter")
    if flt.id is not None and flt.id.any_ is not None:
        pools = [p for p in pools if p.id in flt.id.any_]
    if flt.name is not None and flt.name.any_ is not None:
        pools = [p for p in pools if p.name in flt.name.any_]
    if flt.type is not None and flt.type.any_ is not None:
        pools = [p for p in pools if str(getattr(p.type, "value", p.type)) in flt.type.any_]
    return pools


def flows(client: Client, flt: pf.FlowFilter | None, limit: int, offset: int) -> list[Any]:
    """Flows matching ``flt`` (by id and name; filtered here, not in the store)."""
    if flt is None:
        return client.read_flows(limit=limit, offset=offset)
    _check(flt, "FlowFilter")
    if flt.tags is not None:
        raise unsupported("FlowFilter(tags=...)")
    found = client.read_flows(limit=10_000)
    if flt.id is not None and flt.id.any_ is not None:
        ids: list[UUID] = list(flt.id.any_)
        found = [f for f in found if f.id in ids]
    if flt.name is not None:
        if flt.name.any_ is not None:
            found = [f for f in found if f.name in flt.name.any_]
        if flt.name.like_ is not None:
            pattern = flt.name.like_
            found = [f for f in found if _like(f.name, pattern)]
    return found[offset : offset + limit]


# -- sort orders -----------------------------------------------------------------------------
_FLOW_RUN_SORTS = {"ID_DESC": "CREATED_DESC"}
_TASK_RUN_SORTS = {"ID_DESC": "CREATED_DESC", "EXPECTED_START_TIME_ASC": "START_TIME_ASC"}


def flow_run_sort(sort: Any) -> store.FlowRunSort | None:
    return _sort(sort, store.FlowRunSort, _FLOW_RUN_SORTS, "FlowRunSort")


def task_run_sort(sort: Any) -> store.TaskRunSort | None:
    return _sort(sort, store.TaskRunSort, _TASK_RUN_SORTS, "TaskRunSort")


def _sort(sort: Any, kind: Any, aliases: dict[str, str], what: str) -> Any:
    if sort is None:
        return None
    value = str(getattr(sort, "value", sort))
    value = aliases.get(value, value)
    try:
        return kind(value)
    except ValueError:
        raise unsupported(f"{what}.{value}") from None
