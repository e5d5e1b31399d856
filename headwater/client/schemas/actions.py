"""What clients send, under Prefect's ``client.schemas.actions`` names."""

from __future__ import annotations

from pydantic import Field

from headwater.schemas.actions import FlowCreate, FlowRunCreate, StateCreate
from headwater.schemas.base import Schema
from headwater.schemas.blocks import BlockDocumentCreate, BlockSchemaCreate, BlockTypeCreate
from headwater.schemas.deployments import (
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentUpdate,
)
from headwater.schemas.variables import VariableCreate, VariableName, VariableValue
from headwater.schemas.work_pools import (
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueUpdate,
)


class VariableUpdate(Schema):
    """A new value (and tags) for an existing variable, by name."""

    name: VariableName
    value: VariableValue = None
    tags: list[str] | None = Field(default=None, max_length=100)


__all__ = [
    "BlockDocumentCreate",
    "BlockSchemaCreate",
    "BlockTypeCreate",
    "DeploymentCreate",
    "DeploymentFlowRunCreate",
    "DeploymentUpdate",
    "FlowCreate",
    "FlowRunCreate",
    "StateCreate",
    "VariableCreate",
    "VariableUpdate",
    "WorkPoolCreate",
    "WorkPoolUpdate",
    "WorkQueueCreate",
    "WorkQueueUpdate",
]
