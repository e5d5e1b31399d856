"""The deployment of the current flow run: ``id``, ``flow_run_id``, ``name``,
``version``, ``parameters``; empty values when the run is not a deployment's."""

# ruff: noqa: F822  (the names in __all__ are computed by the module __getattr__)
from __future__ import annotations

from typing import Any

from headwater.runtime import _fields

__all__ = ["flow_run_id", "id", "name", "parameters", "version"]


read_deployment = _fields.read_deployment


def get_id() -> str | None:
    from headwater.runtime.flow_run import get_deployment_id

    return get_deployment_id()


def get_flow_run_id() -> str | None:
    from headwater.runtime.flow_run import get_id as flow_run_id

    return flow_run_id() if get_id() is not None else _fields.flow_run_id_from_env()


def get_name() -> str | None:
    deployment_id = get_id()
    return read_deployment(deployment_id).name if deployment_id else None


def get_version() -> str | None:
    deployment_id = get_id()
    return read_deployment(deployment_id).version if deployment_id else None


def get_parameters() -> dict[str, Any]:
    """The parameters the run was given (the deployment's defaults overlaid)."""
    if get_id() is None:
        return {}
    from headwater.runtime.flow_run import get_parameters as run_parameters

    return dict(run_parameters())


FIELDS = {
    "id": get_id,
    "flow_run_id": get_flow_run_id,
    "name": get_name,
    "version": get_version,
    "parameters": get_parameters,
}


def __getattr__(name: str) -> Any:
    return _fields.lookup(__name__, "DEPLOYMENT", FIELDS, name)


def __dir__() -> list[str]:
    return sorted(__all__)
