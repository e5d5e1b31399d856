"""Answers of the API, under Prefect's ``client.schemas.responses`` names."""

from headwater.schemas.deployments import Deployment as DeploymentResponse
from headwater.schemas.flow_runs import FlowRun as FlowRunResponse
from headwater.schemas.orchestration import OrchestrationResult, SetStateStatus

__all__ = ["DeploymentResponse", "FlowRunResponse", "OrchestrationResult", "SetStateStatus"]
