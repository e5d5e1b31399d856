"""The ``kubernetes`` worker type: one ``batch/v1`` Job per flow run (backoff limit 0),
built from the pool's base job template (``kubernetes_manifest``), running
``python -m headwater.engine RUN_ID`` against the worker's server.

It needs the ``kubernetes`` extra (``pip install "headwater[kubernetes]"``, the
``lightkube`` client), imported only here.  The worker:

- waits for the Job's pod to start; a pod still not running after
  ``pod_watch_timeout_seconds`` (image pull, scheduling) ends the run Crashed with
  the pod's reason, and its Job is deleted;
- follows the pod's log (echoed in the worker's log with ``stream_output``; its last
  lines go into a Crashed message) and watches the pod to its end; a pod that ends
  without the engine reporting a final state → Crashed with its exit code;
- cancels by deleting the Job with foreground propagation (its pod goes first, none is
  orphaned); after the grace period it deletes the pod with no grace;
- after ``job_watch_timeout_seconds`` of running deletes the Job and reports Crashed;
- labels Jobs and pods with the run, pool and type, so a restarted worker finds them;
- leaves finished Jobs to Kubernetes' TTL controller (``finished_job_ttl``).

Tested against a fake Kubernetes API server on loopback (tests/workers/_fake_kube.py),
not a live cluster."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar
from uuid import UUID

from headwater.exceptions import UserInputError
from headwater.workers.base import WorkerType
from headwater.workers.kubernetes_manifest import (
    CONTAINER,
    JOB_CONFIGURATION,
    POOL_LABEL,
    RUN_LABEL,
    TYPE_LABEL,
    VARIABLES,
    flow_run_manifest,
    label_value,
)

logger = logging.getLogger("headwater.worker")

#: How long the end of a pod waits for its log follower to read the last lines.
FOLLOW_JOIN_SECONDS = 30.0
#: Lines of a pod's output kept for the message of a Crashed run.
TAIL_LINES = 20
#: How often the worker looks at a pod that has not started yet.
POD_POLL_SECONDS = 0.5
_STARTED = ("Running", "Succeeded", "Failed")
_ENDED = ("Succeeded", "Failed")


@dataclass
class KubeJob:
    """A flow run's Job, as the worker watches it."""

    name: str
    namespace: str
    run_id: UUID
    cluster_config: dict[str, Any] | None = None
    container: str = CONTAINER
    stream_output: bool = True
    pod_watch_timeout: float = 60
    job_watch_timeout: float | None = None
    pod_name: str | None = None
    tail: list[str] = field(default_factory=list)
    #: Why the worker ended the Job itself (a timeout): the Crashed message.
    failure: str | None = None
    #: The worker deleted the pod without grace: a pod gone before its exit code was
    #: recorded was SIGKILLed (137, as a container runtime reports it), not SIGTERMed.
    killed: bool = False


def _api_error(exc: Exception) -> UserInputError:
    status = getattr(exc, "status", None)
    message = getattr(status, "message", None) or str(exc) or type(exc).__name__
    return UserInputError(f"kubernetes API: {message}")


def _gone(handle: KubeJob) -> int:
    """The exit code of a pod deleted before it recorded one."""
    return 128 + signal.SIGKILL if handle.killed else -signal.SIGTERM


def _not_found(exc: Exception) -> bool:
    status = getattr(exc, "status", None)
    return getattr(status, "code", None) == 404


def _exit_code(pod: Any, container: str) -> int | None:
    status = pod.status
    statuses = list((status.containerStatuses if status else None) or [])
    ours = [s for s in statuses if s.name == container] or statuses[:1]
    for item in ours:
        terminated = item.state.terminated if item.state else None
        if terminated is not None:
            return int(terminated.exitCode)
    phase = status.phase if status else None
    return {"Succeeded": 0, "Failed": 1}.get(phase or "")


def _pending_reason(pod: Any) -> str | None:
    """Why a pod has not started: a waiting container's reason, else a false condition's."""
    status = pod.status
    if status is None:
        return None
    for item in status.containerStatuses or []:
        waiting = item.state.waiting if item.state else None
        if waiting is not None and waiting.reason:
            return f"{waiting.reason}: {waiting.message}" if waiting.message else waiting.reason
    for condition in status.conditions or []:
        if condition.status == "False" and condition.reason:
            detail = f": {condition.message}" if condition.message else ""
            return f"{condition.reason}{detail}"
    return f"the pod is {status.phase}" if status.phase else None


class KubernetesWorker(WorkerType):
    """Flow runs as Kubernetes Jobs."""

    type: ClassVar[str] = "kubernetes"
    description: ClassVar[str] = "Each run in a Kubernetes Job (batch/v1)."
    noun: ClassVar[str] = "job"
    variables: ClassVar[dict[str, Any]] = VARIABLES
    job_configuration: ClassVar[dict[str, Any]] = JOB_CONFIGURATION

    def __init__(self, client: Any, **options: Any) -> None:
        super().__init__(client, **options)
        try:
            import lightkube  # noqa: F401
        except ImportError as exc:
            raise UserInputError(
                'the kubernetes worker needs its client: pip install "headwater[kubernetes]"'
            ) from exc
        self._kube: dict[str, Any] = {}
        self._kube_lock = threading.Lock()

    # -- the Kubernetes client -----------------------------------------------------------
    def kube(self, cluster_config: dict[str, Any] | None) -> Any:
        """A client of the cluster ``cluster_config`` names (one per distinct config)."""
        key = json.dumps(cluster_config, sort_keys=True, default=str)
        with self._kube_lock:
            found = self._kube.get(key)
            if found is None:
                found = self._kube[key] = self._connect(cluster_config)
            return found

    @staticmethod
    def _connect(cluster_config: dict[str, Any] | None) -> Any:
        import httpx2
        from lightkube import Client, ConfigError, KubeConfig

        try:
            config = None
            if cluster_config:
                kubeconfig = cluster_config.get("config", cluster_config)
                config = KubeConfig.from_dict(kubeconfig).get(
                    context_name=cluster_config.get("context_name")
                )
            return Client(config=config, field_manager="headwater", timeout=httpx2.Timeout(30))
        except (ConfigError, KeyError, TypeError, ValueError) as exc:
            raise UserInputError(f"kubernetes cluster config: {exc}") from exc

    def close(self) -> None:
        with self._kube_lock:
            clients, self._kube = list(self._kube.values()), {}
        for kube in clients:
            kube.close()

    # -- the type's hooks ----------------------------------------------------------------
    def manifest(self, run: Any, job: dict[str, Any]) -> dict[str, Any]:
        """The Job manifest of one run."""
        from headwater.settings import get_settings

        settings = get_settings()
        if not settings.api_url:
            raise UserInputError(
                "the kubernetes worker needs a server: set HEADWATER_API_URL "
                "(the pods report to it)"
            )
        return flow_run_manifest(
            job,
            run_id=run.id,
            run_name=str(getattr(run, "name", "") or ""),
            pool_name=self.pool_name,
            api_url=settings.api_url,
            api_key=settings.api_key,
        )

    def launch(self, run: Any, job: dict[str, Any]) -> KubeJob:
        import httpx2
        from lightkube import ApiError
        from lightkube.codecs import LoadResourceError, from_dict

        manifest = self.manifest(run, job)
        cluster_config = job.get("cluster_config") or None
        kube = self.kube(cluster_config)
        try:
            created = kube.create(from_dict(manifest), namespace=manifest["metadata"]["namespace"])
        except (ApiError, httpx2.HTTPError) as exc:
            raise _api_error(exc) from exc
        except (LoadResourceError, TypeError, ValueError) as exc:
            raise UserInputError(f"the job manifest is not a valid Job: {exc}") from exc
        job_timeout = job.get("job_watch_timeout_seconds")
        return KubeJob(
            name=created.metadata.name,
            namespace=created.metadata.namespace or manifest["metadata"]["namespace"],
            run_id=run.id,
            cluster_config=cluster_config,
            container=str(manifest["spec"]["template"]["spec"]["containers"][0]["name"]),
            stream_output=job.get("stream_output") is not False,
            pod_watch_timeout=float(job.get("pod_watch_timeout_seconds") or 60),
            job_watch_timeout=float(job_timeout) if job_timeout else None,
        )

    def wait(self, handle: KubeJob) -> int:
        kube = self.kube(handle.cluster_config)
        pod = self._await_pod(kube, handle)
        if pod is None:
            if handle.failure is None:  # the Job went away (deleted: cancelled)
                return -signal.SIGTERM
            self._delete(handle, grace_seconds=0)
            self._crash(handle.run_id, handle.failure)
            return 1
        handle.pod_name = pod.metadata.name
        follower = threading.Thread(
            target=self._follow, args=(kube, handle), name=f"logs-{handle.run_id}", daemon=True
        )
        follower.start()
        timer = None
        if handle.job_watch_timeout:
            timer = threading.Timer(handle.job_watch_timeout, self._time_out, args=(handle,))
            timer.daemon = True
            timer.start()
        try:
            code = self._watch_pod(kube, handle)
        finally:
            if timer is not None:
                timer.cancel()
        # The log stream ends with the pod: its last lines are what a Crashed run's
        # message shows, so give the follower time on a busy machine.
        follower.join(FOLLOW_JOIN_SECONDS)
        return code

    def _await_pod(self, kube: Any, handle: KubeJob) -> Any:
        """The Job's pod once it runs (or has ended); None if the Job is gone or the pod
        did not start within the pod watch timeout (``handle.failure`` says why)."""
        from lightkube import ApiError
        from lightkube.resources.batch_v1 import Job
        from lightkube.resources.core_v1 import Pod

        deadline = time.monotonic() + handle.pod_watch_timeout
        reason = "no pod was created"
        while True:
            try:
                pods = list(
                    kube.list(Pod, namespace=handle.namespace, labels=self._pods_of(handle))
                )
                for pod in pods:
                    if pod.status is not None and pod.status.phase in _STARTED:
                        return pod
                    reason = _pending_reason(pod) or reason
                kube.get(Job, handle.name, namespace=handle.namespace)
            except ApiError as exc:
                if _not_found(exc):
                    return None
                logger.warning("job %s: %s", handle.name, _api_error(exc))
            except Exception as exc:  # unreachable, or an answer we cannot read: look again
                logger.warning("job %s: %s", handle.name, exc)
            if time.monotonic() >= deadline:
                handle.failure = (
                    f"the pod of job {handle.name} did not start within "
                    f"{handle.pod_watch_timeout:g} s: {reason}"
                )
                return None
            time.sleep(POD_POLL_SECONDS)

    @staticmethod
    def _pods_of(handle: KubeJob) -> dict[str, str]:
        return {"job-name": handle.name}

    def _watch_pod(self, kube: Any, handle: KubeJob) -> int:
        """Watch the pod to its end (or deletion); its container's exit code."""
        from lightkube.resources.core_v1 import Pod

        while True:
            try:
                listed = kube.list(Pod, namespace=handle.namespace, labels=self._pods_of(handle))
                ours = [pod for pod in listed if pod.metadata.name == handle.pod_name]
                if not ours:
                    return _gone(handle)
                if ours[0].status is not None and ours[0].status.phase in _ENDED:
                    return _exit_code(ours[0], handle.container) or 0
                events = kube.watch(
                    Pod,
                    namespace=handle.namespace,
                    labels=self._pods_of(handle),
                    resource_version=listed.resourceVersion,
                    server_timeout=60,
                )
                for event, pod in events:
                    if pod.metadata.name != handle.pod_name:
                        continue
                    code = _exit_code(pod, handle.container)
                    if event == "DELETED":
                        return _gone(handle) if code is None else code
                    if pod.status is not None and pod.status.phase in _ENDED:
                        return 0 if code is None else code
            except Exception as exc:  # the API went away for a moment: look again
                logger.warning("watching job %s: %s", handle.name, exc)
                time.sleep(2)

    def _follow(self, kube: Any, handle: KubeJob) -> None:
        """Keep the last lines of the pod's output (and echo them, with stream_output)."""
        assert handle.pod_name is not None
        try:
            lines = kube.log(
                handle.pod_name,
                namespace=handle.namespace,
                container=handle.container,
                follow=True,
                newlines=False,
            )
            for line in lines:
                handle.tail = [*handle.tail[-(TAIL_LINES - 1) :], line]
                if handle.stream_output:
                    logger.info("[%s] %s", str(handle.run_id)[:8], line)
        except Exception as exc:
            logger.debug("the log of pod %s ended: %s", handle.pod_name, exc)

    def _time_out(self, handle: KubeJob) -> None:
        """Report the run Crashed (before its engine hears of it), then delete its Job."""
        handle.failure = (
            f"job {handle.name} did not finish within {handle.job_watch_timeout:g} s "
            "(job_watch_timeout_seconds); it was deleted"
        )
        tail = "\n".join(handle.tail).strip()
        try:
            self._crash(handle.run_id, handle.failure + f"; its last output:\n{tail}" * bool(tail))
        finally:
            self._delete(handle)

    def _delete(self, handle: KubeJob, grace_seconds: int | None = None) -> None:
        """Delete the Job, its pod first (foreground propagation); gone already is fine."""
        import httpx2
        from lightkube import ApiError
        from lightkube.resources.batch_v1 import Job
        from lightkube.types import CascadeType

        try:
            self.kube(handle.cluster_config).delete(
                Job,
                handle.name,
                namespace=handle.namespace,
                grace_period=grace_seconds,
                cascade=CascadeType.FOREGROUND,
            )
        except ApiError as exc:
            if not _not_found(exc):
                raise _api_error(exc) from exc
        except httpx2.HTTPError as exc:
            raise _api_error(exc) from exc

    def stop(self, handle: KubeJob) -> None:
        self._delete(handle)

    def kill(self, handle: KubeJob) -> None:
        from lightkube import ApiError
        from lightkube.resources.core_v1 import Pod

        handle.killed = True
        if handle.pod_name:
            try:
                self.kube(handle.cluster_config).delete(
                    Pod, handle.pod_name, namespace=handle.namespace, grace_period=0
                )
            except ApiError as exc:
                if not _not_found(exc):
                    raise _api_error(exc) from exc
        self._delete(handle, grace_seconds=0)

    def last_output(self, handle: KubeJob) -> str:
        return "\n".join(handle.tail)

    def describe(self, handle: KubeJob) -> str:
        return f"job {handle.namespace}/{handle.name}"

    def find_running(self) -> dict[UUID, KubeJob]:
        """The pool's Jobs whose runs have not reported a final state."""
        import httpx2
        from lightkube import ApiError
        from lightkube.resources.batch_v1 import Job

        from headwater.workers.templates import job_for

        defaults = job_for(self.base_job_template, {})
        cluster_config = defaults.get("cluster_config") or None
        namespace = str(defaults.get("namespace") or "default")
        labels = {POOL_LABEL: label_value(self.pool_name or ""), TYPE_LABEL: self.type}
        try:
            jobs = list(self.kube(cluster_config).list(Job, namespace=namespace, labels=labels))
        except (ApiError, httpx2.HTTPError) as exc:
            logger.warning("could not list the pool's jobs: %s", _api_error(exc))
            return {}
        found: dict[UUID, KubeJob] = {}
        jobs.sort(key=lambda item: str(item.metadata.creationTimestamp or ""))
        for job in jobs:  # the newest Job of a run wins
            try:
                run_id = UUID((job.metadata.labels or {}).get(RUN_LABEL, ""))
            except ValueError:
                continue
            if job.metadata.deletionTimestamp or self._already_reported(run_id):
                continue
            containers = job.spec.template.spec.containers if job.spec else []
            job_timeout = defaults.get("job_watch_timeout_seconds")
            found[run_id] = KubeJob(
                name=job.metadata.name,
                namespace=job.metadata.namespace or namespace,
                run_id=run_id,
                cluster_config=cluster_config,
                container=containers[0].name if containers else CONTAINER,
                stream_output=defaults.get("stream_output") is not False,
                pod_watch_timeout=float(defaults.get("pod_watch_timeout_seconds") or 60),
                job_watch_timeout=float(job_timeout) if job_timeout else None,
            )
        return found

    def _already_reported(self, run_id: UUID) -> bool:
        from headwater.exceptions import ObjectNotFound

        try:
            return bool(self.client.read_flow_run(run_id).state.is_final())
        except ObjectNotFound:
            return True
