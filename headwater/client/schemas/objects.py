"""What clients read, under Prefect's ``client.schemas.objects`` names."""

from headwater.schemas.actions import EmpiricalPolicy as FlowRunPolicy
from headwater.schemas.blocks import BlockDocument, BlockSchema, BlockType
from headwater.schemas.deployments import Deployment, DeploymentSchedule
from headwater.schemas.flow_runs import FlowRun
from headwater.schemas.flows import Flow
from headwater.schemas.logs import Log
from headwater.schemas.task_runs import TaskRun
from headwater.schemas.variables import VariableRead as Variable
from headwater.schemas.work_pools import Worker, WorkPool, WorkQueue
from headwater.states import State, StateDetails, StateType

#: The state types a run ends in.
TERMINAL_STATES = [StateType.COMPLETED, StateType.CANCELLED, StateType.FAILED, StateType.CRASHED]

__all__ = [
    "TERMINAL_STATES",
    "BlockDocument",
    "BlockSchema",
    "BlockType",
    "Deployment",
    "DeploymentSchedule",
    "Flow",
    "FlowRun",
    "FlowRunPolicy",
    "Log",
    "State",
    "StateDetails",
    "StateType",
    "TaskRun",
    "Variable",
    "WorkPool",
    "WorkQueue",
    "Worker",
]
