"""Prefect's ``client.schemas`` names: the objects clients read and send.

The classes are Headwater's own schemas (``headwater.schemas``) under Prefect's
names; ``filters`` and ``sorting`` hold Prefect's filter and sort types.
"""

from headwater.client.schemas.objects import (
    BlockDocument,
    BlockSchema,
    BlockType,
    FlowRun,
    FlowRunPolicy,
    State,
    StateDetails,
    StateType,
    TaskRun,
)
from headwater.client.schemas.responses import OrchestrationResult, SetStateStatus
from headwater.schemas.actions import StateCreate

__all__ = [
    "BlockDocument",
    "BlockSchema",
    "BlockType",
    "FlowRun",
    "FlowRunPolicy",
    "OrchestrationResult",
    "SetStateStatus",
    "State",
    "StateCreate",
    "StateDetails",
    "StateType",
    "TaskRun",
]
