"""Prefect 1 executors, as Headwater task runners: ``LocalExecutor`` runs one task at
a time; ``LocalDaskExecutor`` runs the tasks (and mapped children) that are ready
together on a thread pool, ``DaskExecutor`` on a Dask cluster."""

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
    """A Dask cluster: ``address=`` of a running scheduler, or a temporary cluster
    (``cluster_class``, ``cluster_kwargs``, ``adapt_kwargs``) per flow run; Headwater's
    ``DaskTaskRunner`` (extra ``dask``).  Task arguments and results must pickle."""

    def __init__(
        self,
        address: str | None = None,
        cluster_class: Any = None,
        cluster_kwargs: dict[str, Any] | None = None,
        adapt_kwargs: dict[str, Any] | None = None,
        client_kwargs: dict[str, Any] | None = None,
        debug: bool | None = None,
    ) -> None:
        self.address = address
        self.cluster_class = cluster_class
        self.cluster_kwargs = cluster_kwargs
        self.adapt_kwargs = adapt_kwargs
        self.client_kwargs = client_kwargs

    def task_runner(self) -> Any:
        try:
            from headwater.task_runners.dask import DaskTaskRunner
        except ImportError:
            raise V1NotSupported("DaskExecutor needs Dask: pip install 'headwater[dask]'") from None
        return DaskTaskRunner(
            cluster_class=self.cluster_class,
            cluster_kwargs=self.cluster_kwargs,
            address=self.address,
            adapt_kwargs=self.adapt_kwargs,
            client_kwargs=self.client_kwargs,
        )

    def __repr__(self) -> str:
        return f"DaskExecutor(address={self.address!r})"


def is_concurrent(executor: Any) -> bool:
    if isinstance(executor, DaskExecutor):
        return True
    return isinstance(executor, LocalDaskExecutor) and executor.scheduler == "threads"


def task_runner_for(executor: Any) -> Any:
    from headwater.task_runners.threads import ThreadPoolTaskRunner

    if executor is None or isinstance(executor, LocalExecutor):
        return ThreadPoolTaskRunner()
    if isinstance(executor, LocalDaskExecutor):
        return ThreadPoolTaskRunner(max_workers=executor.num_workers)
    if isinstance(executor, DaskExecutor):
        return executor.task_runner()
    raise V1NotSupported(
        f"executor {executor!r} is not a Prefect 1 executor Headwater knows: use "
        "LocalExecutor() or LocalDaskExecutor()"
    )
