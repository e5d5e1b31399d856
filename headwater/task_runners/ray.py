"""Task runs on Ray (``pip install 'headwater[ray]'``).

Prefect users import ``prefect_ray.RayTaskRunner``; here it is
``headwater.task_runners.ray.RayTaskRunner`` with the same arguments.  Each task run
goes to a Ray worker as a remote task call (``headwater.task_runners.remote_call``):
the worker runs the normal task engine and sends the run's records back with its
outcome, for the flow run's writer to store.  A task that runs long writes them from
the worker through its own client, and before it answers (Ray gives no way to reach
every worker process at the end, as Dask does): with a cluster on other machines, use
a server (``HEADWATER_API_URL``).

Ray is imported when the runner starts, never by ``import headwater``.
"""

from __future__ import annotations

import concurrent.futures as cf
from typing import TYPE_CHECKING, Any

from headwater.task_runners.base import TaskRunner
from headwater.task_runners.remote_call import CallPacker

if TYPE_CHECKING:
    from headwater.engine.inputs import Resolution
    from headwater.engine.task_run import TaskRun
    from headwater.states import State

__all__ = ["RayTaskRunner"]


class RayTaskRunner(TaskRunner):
    """Runs task runs on Ray: a local Ray started for the flow run by default.

    - ``address``: connect to a running Ray cluster (``"ray://host:10001"`` or
      ``"auto"``); a Ray already initialised in this process is used as it is;
    - ``init_kwargs``: extra arguments of ``ray.init`` (``num_cpus``,
      ``runtime_env``, ...).

    Arguments and results must be picklable by cloudpickle.
    """

    def __init__(self, address: str | None = None, init_kwargs: dict[str, Any] | None = None):
        if address is not None and not isinstance(address, str):
            raise ValueError(f"address must be a Ray address string, got {address!r}")
        if init_kwargs is not None and not isinstance(init_kwargs, dict):
            raise ValueError(f"init_kwargs must be a dict, got {init_kwargs!r}")
        self.address = address
        self.init_kwargs = dict(init_kwargs or {})
        self._started_ray = False
        self._remote: Any = None
        self._packer = CallPacker()

    def duplicate(self) -> RayTaskRunner:
        return type(self)(address=self.address, init_kwargs=self.init_kwargs)

    def start(self) -> None:
        if self._remote is not None:
            return
        import ray

        from headwater.task_runners.remote_call import run_remote_pickled

        if not ray.is_initialized():
            kwargs = {"include_dashboard": False, "log_to_driver": True, **self.init_kwargs}
            ray.init(address=self.address, **kwargs)
            self._started_ray = True
        self._remote = ray.remote(run_remote_pickled)

    def shutdown(self, wait: bool = True) -> None:
        self._remote = None
        if self._started_ray:
            import ray

            self._started_ray = False
            ray.shutdown()

    def execute(self, run: TaskRun, resolution: Resolution) -> cf.Future[State]:
        import cloudpickle

        from headwater.task_runners.remote_call import adopt, lost

        if self._remote is None:
            self.start()
        payload = self._packer.pickled(run, resolution)
        outer: cf.Future[State] = cf.Future()
        ray_future: cf.Future[bytes] = self._remote.remote(payload).future()

        def finish(done: cf.Future[bytes]) -> None:
            try:
                outcome = cloudpickle.loads(done.result())
            except BaseException as exc:  # the worker died, Ray went away, ...
                state = lost(run, f"Ray could not run the task: {exc!r}")
            else:
                state = adopt(run, outcome)
            outer.set_result(state)

        ray_future.add_done_callback(finish)
        return outer

    def __repr__(self) -> str:
        where = f"address={self.address!r}" if self.address else "a local Ray"
        return f"RayTaskRunner({where})"
