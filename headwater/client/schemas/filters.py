"""Prefect's nested filter objects, under Prefect's names.

Users build them as in Prefect 3, e.g.
``FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[...])))``;
the client (``headwater.client.orchestration``) translates them into the store's flat
filters (``headwater.schemas.filters``).  A criterion the store cannot apply is refused
in one line (``UnsupportedFilterError``) rather than ignored.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from headwater.states import StateType


class Operator(str, Enum):
    and_ = "and_"
    or_ = "or_"


class _Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OperatorMixin(_Filter):
    operator: Operator = Operator.and_


# -- flows ------------------------------------------------------------------------------
class FlowFilterId(_Filter):
    any_: list[UUID] | None = None


class FlowFilterName(_Filter):
    any_: list[str] | None = None
    like_: str | None = None


class FlowFilterTags(OperatorMixin):
    all_: list[str] | None = None
    is_null_: bool | None = None


class FlowFilter(OperatorMixin):
    id: FlowFilterId | None = None
    name: FlowFilterName | None = None
    tags: FlowFilterTags | None = None


# -- flow runs --------------------------------------------------------------------------
class FlowRunFilterId(_Filter):
    any_: list[UUID] | None = None
    not_any_: list[UUID] | None = None


class FlowRunFilterName(_Filter):
    any_: list[str] | None = None
    like_: str | None = None


class FlowRunFilterTags(OperatorMixin):
    all_: list[str] | None = None
    any_: list[str] | None = None
    is_null_: bool | None = None


class FlowRunFilterDeploymentId(OperatorMixin):
    any_: list[UUID] | None = None
    is_null_: bool | None = None


class FlowRunFilterWorkQueueName(OperatorMixin):
    any_: list[str] | None = None
    is_null_: bool | None = None


class FlowRunFilterStateType(_Filter):
    any_: list[StateType] | None = None
    not_any_: list[StateType] | None = None


class FlowRunFilterStateName(_Filter):
    any_: list[str] | None = None
    not_any_: list[str] | None = None


class FlowRunFilterState(OperatorMixin):
    type: FlowRunFilterStateType | None = None
    name: FlowRunFilterStateName | None = None


class FlowRunFilterFlowVersion(_Filter):
    any_: list[str] | None = None


class _TimeRange(_Filter):
    before_: dt.datetime | None = None
    after_: dt.datetime | None = None
    is_null_: bool | None = None


class FlowRunFilterStartTime(_TimeRange):
    pass


class FlowRunFilterEndTime(_TimeRange):
    pass


class FlowRunFilterExpectedStartTime(_Filter):
    before_: dt.datetime | None = None
    after_: dt.datetime | None = None


class FlowRunFilterNextScheduledStartTime(_Filter):
    before_: dt.datetime | None = None
    after_: dt.datetime | None = None


class FlowRunFilterParentFlowRunId(OperatorMixin):
    any_: list[UUID] | None = None


class FlowRunFilterParentTaskRunId(OperatorMixin):
    any_: list[UUID] | None = None
    is_null_: bool | None = None


class FlowRunFilterIdempotencyKey(_Filter):
    any_: list[str] | None = None
    not_any_: list[str] | None = None


class FlowRunFilter(OperatorMixin):
    id: FlowRunFilterId | None = None
    name: FlowRunFilterName | None = None
    tags: FlowRunFilterTags | None = None
    deployment_id: FlowRunFilterDeploymentId | None = None
    work_queue_name: FlowRunFilterWorkQueueName | None = None
    state: FlowRunFilterState | None = None
    flow_version: FlowRunFilterFlowVersion | None = None
    start_time: FlowRunFilterStartTime | None = None
    end_time: FlowRunFilterEndTime | None = None
    expected_start_time: FlowRunFilterExpectedStartTime | None = None
    next_scheduled_start_time: FlowRunFilterNextScheduledStartTime | None = None
    parent_flow_run_id: FlowRunFilterParentFlowRunId | None = None
    parent_task_run_id: FlowRunFilterParentTaskRunId | None = None
    idempotency_key: FlowRunFilterIdempotencyKey | None = None


# -- task runs --------------------------------------------------------------------------
class TaskRunFilterFlowRunId(OperatorMixin):
    any_: list[UUID] | None = None
    is_null_: bool | None = None


class TaskRunFilterId(_Filter):
    any_: list[UUID] | None = None


class TaskRunFilterName(_Filter):
    any_: list[str] | None = None
    like_: str | None = None


class TaskRunFilterTags(OperatorMixin):
    all_: list[str] | None = None
    is_null_: bool | None = None


class TaskRunFilterStateType(_Filter):
    any_: list[StateType] | None = None


class TaskRunFilterStateName(_Filter):
    any_: list[str] | None = None


class TaskRunFilterState(OperatorMixin):
    type: TaskRunFilterStateType | None = None
    name: TaskRunFilterStateName | None = None


class TaskRunFilterSubFlowRuns(_Filter):
    exists_: bool | None = None


class TaskRunFilterStartTime(_TimeRange):
    pass


class TaskRunFilterEndTime(_TimeRange):
    pass


class TaskRunFilter(OperatorMixin):
    id: TaskRunFilterId | None = None
    name: TaskRunFilterName | None = None
    tags: TaskRunFilterTags | None = None
    state: TaskRunFilterState | None = None
    start_time: TaskRunFilterStartTime | None = None
    end_time: TaskRunFilterEndTime | None = None
    subflow_runs: TaskRunFilterSubFlowRuns | None = None
    flow_run_id: TaskRunFilterFlowRunId | None = None


# -- deployments ------------------------------------------------------------------------
class DeploymentFilterId(_Filter):
    any_: list[UUID] | None = None


class DeploymentFilterName(_Filter):
    any_: list[str] | None = None
    like_: str | None = None


class DeploymentFilterWorkQueueName(_Filter):
    any_: list[str] | None = None


class DeploymentFilterTags(OperatorMixin):
    all_: list[str] | None = None
    is_null_: bool | None = None


class DeploymentFilterConcurrencyLimit(_Filter):
    ge_: int | None = None
    le_: int | None = None
    is_null_: bool | None = None


class DeploymentFilter(OperatorMixin):
    id: DeploymentFilterId | None = None
    name: DeploymentFilterName | None = None
    flow_or_deployment_name: DeploymentFilterName | None = None
    paused: bool | None = None
    tags: DeploymentFilterTags | None = None
    work_queue_name: DeploymentFilterWorkQueueName | None = None
    concurrency_limit: DeploymentFilterConcurrencyLimit | None = None


# -- logs -------------------------------------------------------------------------------
class LogFilterName(_Filter):
    any_: list[str] | None = None


class LogFilterLevel(_Filter):
    ge_: int | None = None
    le_: int | None = None


class LogFilterTimestamp(_Filter):
    before_: dt.datetime | None = None
    after_: dt.datetime | None = None


class LogFilterFlowRunId(_Filter):
    any_: list[UUID] | None = None


class LogFilterTaskRunId(_Filter):
    any_: list[UUID] | None = None
    is_null_: bool | None = None


class LogFilterTextSearch(_Filter):
    query: str


class LogFilter(OperatorMixin):
    level: LogFilterLevel | None = None
    timestamp: LogFilterTimestamp | None = None
    flow_run_id: LogFilterFlowRunId | None = None
    task_run_id: LogFilterTaskRunId | None = None
    text: LogFilterTextSearch | None = None


# -- work pools, work queues, variables (applied by the client) ---------------------------
class WorkPoolFilterId(_Filter):
    any_: list[UUID] | None = None


class WorkPoolFilterName(_Filter):
    any_: list[str] | None = None


class WorkPoolFilterType(_Filter):
    any_: list[str] | None = None


class WorkPoolFilter(OperatorMixin):
    id: WorkPoolFilterId | None = None
    name: WorkPoolFilterName | None = None
    type: WorkPoolFilterType | None = None


class WorkQueueFilterId(_Filter):
    any_: list[UUID] | None = None


class WorkQueueFilterName(_Filter):
    any_: list[str] | None = None
    startswith_: list[str] | None = None


class WorkQueueFilter(OperatorMixin):
    id: WorkQueueFilterId | None = None
    name: WorkQueueFilterName | None = None


class VariableFilterId(_Filter):
    any_: list[UUID] | None = None


class VariableFilterName(_Filter):
    any_: list[str] | None = None
    like_: str | None = None


class VariableFilterTags(OperatorMixin):
    all_: list[str] | None = None
    is_null_: bool | None = None


class VariableFilter(OperatorMixin):
    id: VariableFilterId | None = None
    name: VariableFilterName | None = None
    tags: VariableFilterTags | None = None
