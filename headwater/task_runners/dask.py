"""Task runs on a Dask cluster (``pip install 'headwater[dask]'``).

Prefect users import ``prefect_dask.DaskTaskRunner``; here it is
``headwater.task_runners.dask.DaskTaskRunner`` with the same arguments.  Each task run
goes to a Dask worker as a remote task call (``headwater.task_runners.remote_call``):
the worker runs the normal task engine (retries, timeouts, caching, hooks, logs) and
sends the run's records back with its outcome, and the flow run's writer stores them.
A task that runs long writes from the worker through its own client (the embedded store
on the same machine, the server over HTTP when ``HEADWATER_API_URL`` is set: use a
server with a cluster on other machines); before the flow run takes its final state
the runner has every worker write what it still holds.

Dask and distributed are imported when the runner starts, never by ``import headwater``.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from headwater.task_runners.base import TaskRunner
from headwater.task_runners.remote_call import CallPacker

if TYPE_CHECKING:
    from distributed import Client

    from headwater.engine.inputs import Resolution
    from headwater.engine.task_run import TaskRun
    from headwater.states import State
    from headwater.task_runners.dask_results import ResultGatherer

__all__ = ["DaskTaskRunner", "get_async_dask_client", "get_dask_client"]


def _cluster_class(value: Any) -> Any:
    """A cluster class, or its import path (``"dask_kubernetes.KubeCluster"``)."""
    if value is None or not isinstance(value, str):
        return value
    module_name, _, name = value.rpartition(".")
    if not module_name:
        raise ValueError(f"cluster_class must be a class or 'module.Class', got {value!r}")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cluster_class {value!r} cannot be imported: {exc}") from None


class DaskTaskRunner(TaskRunner):
    """Runs task runs on a Dask cluster: a temporary one per flow run by default.

    - ``address``: connect to a running scheduler (``"tcp://host:8786"``) instead;
    - ``cluster_class`` / ``cluster_kwargs``: the temporary cluster's class (or its
      import path; default ``distributed.LocalCluster``) and its arguments;
    - ``adapt_kwargs``: make the temporary cluster adaptive (``cluster.adapt(**...)``);
    - ``client_kwargs``: extra arguments of ``distributed.Client``.

    Arguments and results must be picklable by cloudpickle.
    """

    def __init__(
        self,
        cluster_class: Any = None,
        cluster_kwargs: dict[str, Any] | None = None,
        address: str | None = None,
        adapt_kwargs: dict[str, Any] | None = None,
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if address is not None and (cluster_class is not None or cluster_kwargs):
            raise ValueError("give either address= (a running scheduler) or a cluster to start")
        if address is not None and adapt_kwargs:
            raise ValueError("adapt_kwargs applies only to a cluster the runner starts")
        if address is not None and not isinstance(address, str):
            raise ValueError(f"address must be a scheduler address string, got {address!r}")
        self.address = address
        self.cluster_class = _cluster_class(cluster_class)
        self.cluster_kwargs = dict(cluster_kwargs or {})
        self.adapt_kwargs = dict(adapt_kwargs or {})
        self.client_kwargs = dict(client_kwargs or {})
        self._cluster: Any = None
        self._client: Client | None = None
        self._gatherer: ResultGatherer | None = None
        self._packer = CallPacker()

    def duplicate(self) -> DaskTaskRunner:
        return type(self)(
            cluster_class=self.cluster_class,
            cluster_kwargs=self.cluster_kwargs,
            address=self.address,
            adapt_kwargs=self.adapt_kwargs,
            client_kwargs=self.client_kwargs,
        )

    @property
    def client(self) -> Client:
        """The ``distributed.Client`` of the running flow run (starts the runner)."""
        if self._client is None:
            self.start()
        assert self._client is not None
        return self._client

    def start(self) -> None:
        if self._client is not None:
            return
        from headwater.task_runners.dask_results import ResultGatherer

        self._client = self._connect()
        self._gatherer = ResultGatherer(self._client)

    def _connect(self) -> Client:
        from distributed import Client, LocalCluster

        client_kwargs = {"set_as_default": False, **self.client_kwargs}
        if self.address is not None:
            return Client(self.address, **client_kwargs)
        cluster_class = self.cluster_class or LocalCluster
        self._cluster = cluster_class(**self.cluster_kwargs)
        try:
            if self.adapt_kwargs:
                self._cluster.adapt(**self.adapt_kwargs)
            return Client(self._cluster, **client_kwargs)
        except BaseException:
            self._cluster.close()
            self._cluster = None
            raise

    def drain(self, timeout: float) -> None:
        if self._client is None:
            return
        from headwater.task_runners.remote_call import flush_here

        try:
            self._client.run(flush_here, timeout, wait=True)
        except Exception:  # a worker gone meanwhile: its records died with it
            pass

    def shutdown(self, wait: bool = True) -> None:
        client, cluster, gatherer = self._client, self._cluster, self._gatherer
        self._client = self._cluster = self._gatherer = None
        if gatherer is not None:
            gatherer.close()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def execute(self, run: TaskRun, resolution: Resolution) -> cf.Future[State]:
        import cloudpickle

        from headwater.task_runners.remote_call import adopt, lost, run_remote_pickled

        payload = self._packer.pickled(run, resolution)
        outer: cf.Future[State] = cf.Future()
        client = self.client
        gatherer = self._gatherer
        assert gatherer is not None
        dask_future = client.submit(
            run_remote_pickled, payload, key=f"{run.name}-{run.id.hex}", pure=False
        )

        def settle(answer: Any, error: BaseException | None) -> None:
            try:
                try:
                    if error is not None:  # the worker died, the cluster went away, ...
                        raise error
                    outcome = cloudpickle.loads(answer)
                except BaseException as exc:
                    state = lost(run, f"Dask could not run the task: {exc!r}")
                else:
                    state = adopt(run, outcome)
            except BaseException as exc:  # never leave the flow run waiting
                outer.set_exception(exc)
            else:
                outer.set_result(state)

        gatherer.watch(dask_future, settle)
        return outer

    def __repr__(self) -> str:
        where = f"address={self.address!r}" if self.address else "a temporary cluster"
        return f"DaskTaskRunner({where})"


def _in_dask_worker() -> bool:
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


@contextmanager
def get_dask_client(timeout: float | None = None, **client_kwargs: Any) -> Iterator[Client]:
    """A ``distributed.Client`` to submit Dask work from inside a task run on Dask
    (``worker_client``: the task's slot is released while it waits), or, in the flow
    itself, the flow run's own client."""
    if _in_dask_worker():
        from distributed import worker_client

        with worker_client(timeout=timeout, **client_kwargs) as client:
            yield client
        return
    yield _flow_runners_client()


@asynccontextmanager
async def get_async_dask_client(
    timeout: float | None = None, **client_kwargs: Any
) -> AsyncIterator[Client]:
    """An asynchronous ``distributed.Client`` on the same scheduler (inside an async
    task run on Dask, or in a flow whose task runner is a ``DaskTaskRunner``)."""
    from distributed import Client

    if _in_dask_worker():
        from distributed import get_worker

        source: Any = get_worker()
    else:
        source = _flow_runners_client()
    address = source.scheduler.address
    kwargs: dict[str, Any] = {"set_as_default": False, **client_kwargs}
    if timeout is not None:
        kwargs["timeout"] = timeout
    async with Client(address, asynchronous=True, **kwargs) as client:
        yield client


def _flow_runners_client() -> Client:
    from headwater.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or not isinstance(ctx.task_runner, DaskTaskRunner):
        raise RuntimeError(
            "get_dask_client() works inside a task run on Dask or in a flow run whose "
            "task_runner is a DaskTaskRunner"
        )
    return ctx.task_runner.client
