"""Prefect 1 executors, as Headwater task runners: ``LocalExecutor`` runs one task at
a time; ``LocalDaskExecutor`` runs the tasks (and mapped children) that are ready
together on a thread pool."""

from __future__ import annotations

from typing import Any

from headwater.v1.exceptions import V1NotSupported


class LocalExecutor:
    """One task at a time, in the flow run's thread (the default)."""

    def __repr__(self) -> str:
        return "LocalExecutor()"


class LocalDaskExecutor:
    """Ready tasks run together: ``scheduler="threads"`` (a Headwater thread pool of
    ``num_workers``).  ``"processes"`` is not available: see docs/v1.md."""

    def __init__(
        self, scheduler: str = "threads", num_workers: int | None = None, **kwargs: Any
    ) -> None:
        if scheduler not in ("threads", "processes", "synchronous"):
            raise V1NotSupported(
                f"LocalDaskExecutor(scheduler={scheduler!r}): use 'threads' or 'synchronous'"
            )
        if scheduler == "processes":
            raise V1NotSupported(
                "LocalDaskExecutor(scheduler='processes') is not supported on Headwater: "
                "use scheduler='threads'"
            )
        self.scheduler = scheduler
        self.num_workers = num_workers

    def __repr__(self) -> str:
        return f"LocalDaskExecutor(scheduler={self.scheduler!r})"


class DaskExecutor:
    """A Dask cluster: not available (Headwater has no Dask task runner yet)."""

    def __init__(self, address: str | None = None, **kwargs: Any) -> None:
        raise V1NotSupported(
            "DaskExecutor is not supported on Headwater yet: use "
            "LocalDaskExecutor(scheduler='threads') or LocalExecutor()"
        )


def is_concurrent(executor: Any) -> bool:
    return isinstance(executor, LocalDaskExecutor) and executor.scheduler == "threads"


def task_runner_for(executor: Any) -> Any:
    from headwater.task_runners.threads import ThreadPoolTaskRunner

    if executor is None or isinstance(executor, LocalExecutor):
        return ThreadPoolTaskRunner()
    if isinstance(executor, LocalDaskExecutor):
        return ThreadPoolTaskRunner(max_workers=executor.num_workers)
    raise V1NotSupported(
        f"executor {executor!r} is not a Prefect 1 executor Headwater knows: use "
        "LocalExecutor() or LocalDaskExecutor()"
    )
