"""How a registered v1 flow's runs are started (Prefect 1's ``prefect.run_configs``):
``labels`` choose the work queue, ``env`` and ``working_dir`` become job variables."""

from __future__ import annotations

from typing import Any

from headwater.v1.exceptions import V1NotSupported


class RunConfig:
    """Labels and environment shared by the run configs."""

    def __init__(self, env: dict[str, str] | None = None, labels: Any = None) -> None:
        self.env = dict(env or {})
        self.labels = set(labels or ())

    def job_variables(self) -> dict[str, Any]:
        return {"env": dict(self.env)} if self.env else {}


class UniversalRun(RunConfig):
    """Any agent with matching labels (a process worker here)."""


class LocalRun(RunConfig):
    """A local process: ``env``, ``working_dir`` and ``labels``."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        working_dir: str | None = None,
        labels: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(env=env, labels=labels)
        self.working_dir = working_dir

    def job_variables(self) -> dict[str, Any]:
        variables = super().job_variables()
        if self.working_dir:
            variables["working_dir"] = self.working_dir
        return variables


def _unsupported(name: str) -> type:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        raise V1NotSupported(
            f"{name} is not supported on Headwater (process work pools only): "
            "use LocalRun(...) or UniversalRun(...)"
        )

    return type(name, (), {"__init__": __init__, "__doc__": f"Not supported: {name}."})


DockerRun = _unsupported("DockerRun")
KubernetesRun = _unsupported("KubernetesRun")
ECSRun = _unsupported("ECSRun")
VertexRun = _unsupported("VertexRun")

__all__ = ["DockerRun", "ECSRun", "KubernetesRun", "LocalRun", "UniversalRun", "VertexRun"]
