"""The ``docker`` worker type: one container per flow run, running
``python -m headwater.engine RUN_ID`` against the worker's server (its API address
and key are passed in).  It drives the ``docker`` command (``DOCKER_HOST`` and the
other Docker CLI settings apply), so it needs no Python package of its own.

Containers carry the labels ``headwater.flow-run-id``, ``headwater.work-pool`` and
``headwater.worker-type``: a worker that restarts finds its pool's containers by
them and watches them again.  Cancelling sends SIGTERM, then kills the container
after ``HEADWATER_CANCEL_GRACE_SECONDS``."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar
from uuid import UUID

from headwater.exceptions import UserInputError
from headwater.workers.base import WorkerType

logger = logging.getLogger("headwater.worker")

RUN_LABEL = "headwater.flow-run-id"
POOL_LABEL = "headwater.work-pool"
TYPE_LABEL = "headwater.worker-type"
AUTO_REMOVE_LABEL = "headwater.auto-remove"
#: Lines of a container's output kept for the message of a Crashed run.
TAIL_LINES = 20
_PULL_POLICIES = ["IfNotPresent", "Always", "Never"]


def _default_image() -> str:
    from headwater._version import __version__

    return f"headwater:{__version__}"


@dataclass
class Container:
    id: str
    run_id: UUID
    auto_remove: bool = False
    stream_output: bool = True
    tail: list[str] = field(default_factory=list)


class DockerWorker(WorkerType):
    """Flow runs in Docker containers."""

    type: ClassVar[str] = "docker"
    description: ClassVar[str] = "Each run in a Docker container."
    noun: ClassVar[str] = "container"
    variables: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "image": {
                "type": "string",
                "title": "Image",
                "description": "With Headwater and the flow's dependencies installed.",
                "default": _default_image(),
            },
            "image_pull_policy": {"type": "string", "enum": _PULL_POLICIES, "default": "Never"},
            "env": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": {},
            },
            "command": {
                "type": ["string", "null"],
                "description": "Default: python -m headwater.engine RUN_ID.",
                "default": None,
            },
            "volumes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "HOST:CONTAINER[:ro] mounts.",
                "default": [],
            },
            "network_mode": {"type": ["string", "null"], "default": "host"},
            "networks": {"type": "array", "items": {"type": "string"}, "default": []},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}, "default": {}},
            "mem_limit": {"type": ["string", "null"], "description": "e.g. 512m", "default": None},
            "cpus": {"type": ["number", "null"], "default": None},
            "auto_remove": {"type": "boolean", "default": False},
            "stream_output": {"type": "boolean", "default": True},
            "name": {"type": ["string", "null"], "description": "Container name.", "default": None},
        },
    }
    job_configuration: ClassVar[dict[str, Any]] = {
        name: "{{ " + name + " }}" for name in variables["properties"]
    }

    def __init__(self, client: Any, **options: Any) -> None:
        super().__init__(client, **options)
        self.docker = shutil.which("docker")
        if self.docker is None:
            raise UserInputError(
                "the docker worker needs the `docker` command (apt-get install docker.io)"
            )

    # -- docker --------------------------------------------------------------------------
    def _docker(self, *args: str, timeout: float | None = 120) -> str:
        assert self.docker is not None
        try:
            done = subprocess.run(
                [self.docker, *args], capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise UserInputError(f"`docker {args[0]}` took over {timeout} s") from exc
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise UserInputError(f"docker {args[0]} failed: {detail[-1] if detail else ''}")
        return done.stdout

    def _pull(self, image: str, policy: str) -> None:
        if policy not in _PULL_POLICIES:
            raise UserInputError(f"image_pull_policy must be one of {_PULL_POLICIES}")
        present = (
            subprocess.run(
                [str(self.docker), "image", "inspect", image], capture_output=True
            ).returncode
            == 0
        )
        if policy == "Always" or (policy == "IfNotPresent" and not present):
            self._docker("pull", image, timeout=600)
        elif not present:
            raise UserInputError(
                f"image {image!r} is not on this Docker host and image_pull_policy is Never"
            )

    # -- the type's hooks ----------------------------------------------------------------
    def run_arguments(self, run: Any, job: dict[str, Any]) -> list[str]:
        """The ``docker run`` arguments of one run."""
        from headwater.settings import get_settings

        settings = get_settings()
        if not settings.api_url:
            raise UserInputError(
                "the docker worker needs a server: set HEADWATER_API_URL "
                "(the containers report to it)"
            )
        args = ["run", "--detach"]
        labels = {
            **{str(k): str(v) for k, v in (job.get("labels") or {}).items()},
            RUN_LABEL: str(run.id),
            POOL_LABEL: self.pool_name or "",
            TYPE_LABEL: self.type,
            AUTO_REMOVE_LABEL: "true" if job.get("auto_remove") else "false",
        }
        for key, value in labels.items():
            args += ["--label", f"{key}={value}"]
        env = {"HEADWATER_API_URL": settings.api_url}
        if settings.api_key:
            env["HEADWATER_API_KEY"] = settings.api_key
        env.update({str(k): str(v) for k, v in (job.get("env") or {}).items()})
        for key, value in env.items():
            args += ["--env", f"{key}={value}"]
        for volume in job.get("volumes") or []:
            args += ["--volume", str(volume)]
        if job.get("network_mode"):
            args += ["--network", str(job["network_mode"])]
        for network in job.get("networks") or []:
            args += ["--network", str(network)]
        if job.get("mem_limit"):
            args += ["--memory", str(job["mem_limit"])]
        if job.get("cpus"):
            args += ["--cpus", str(job["cpus"])]
        if job.get("name"):
            args += ["--name", str(job["name"])]
        args.append(str(job.get("image") or _default_image()))
        command = job.get("command")
        if command:
            import shlex

            args += shlex.split(str(command))
        else:
            args += ["python", "-m", "headwater.engine", str(run.id)]
        return args

    def launch(self, run: Any, job: dict[str, Any]) -> Container:
        image = str(job.get("image") or _default_image())
        self._pull(image, str(job.get("image_pull_policy") or "Never"))
        container_id = self._docker(*self.run_arguments(run, job)).strip()
        return Container(
            container_id[:64],
            run.id,
            auto_remove=bool(job.get("auto_remove")),
            stream_output=job.get("stream_output") is not False,
        )

    def wait(self, handle: Container) -> int:
        follower = threading.Thread(
            target=self._follow, args=(handle,), name=f"logs-{handle.run_id}", daemon=True
        )
        follower.start()
        try:
            code = int(self._docker("wait", handle.id, timeout=None).strip() or -1)
        finally:
            follower.join(5)
        if handle.auto_remove:
            self._remove(handle)
        return code

    def _follow(self, handle: Container) -> None:
        """Keep the last lines of the container's output (and echo them, with
        ``stream_output``)."""
        assert self.docker is not None
        with subprocess.Popen(
            [self.docker, "logs", "--follow", handle.id],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as logs:
            assert logs.stdout is not None
            for line in logs.stdout:
                handle.tail = [*handle.tail[-(TAIL_LINES - 1) :], line.rstrip("\n")]
                if handle.stream_output:
                    logger.info("[%s] %s", str(handle.run_id)[:8], line.rstrip("\n"))

    def _remove(self, handle: Container) -> None:
        try:
            self._docker("rm", "--force", handle.id)
        except UserInputError as exc:
            logger.warning("could not remove container %s: %s", handle.id[:12], exc)

    def stop(self, handle: Container) -> None:
        self._docker("kill", "--signal", "SIGTERM", handle.id)

    def kill(self, handle: Container) -> None:
        self._docker("kill", handle.id)

    def last_output(self, handle: Container) -> str:
        return "\n".join(handle.tail)

    def describe(self, handle: Container) -> str:
        return f"container {handle.id[:12]}"

    def find_running(self) -> dict[UUID, Container]:
        """The pool's containers still running (or ended while no worker watched)."""
        listed = self._docker(
            "ps",
            "--all",
            "--filter",
            f"label={POOL_LABEL}={self.pool_name or ''}",
            "--filter",
            f"label={TYPE_LABEL}={self.type}",
            "--format",
            '{{.ID}} {{.Label "'
            + RUN_LABEL
            + '"}} {{.State}} {{.Label "'
            + AUTO_REMOVE_LABEL
            + '"}}',
        )
        found: dict[UUID, Container] = {}
        for line in listed.splitlines():
            parts = line.split()
            if len(parts) < 3:
                continue
            container_id, run_id, state = parts[0], parts[1], parts[2]
            try:
                run_uuid = UUID(run_id)
            except ValueError:
                continue
            if state == "exited" and self._already_reported(run_uuid):
                continue
            remove = len(parts) > 3 and parts[3] == "true"
            found[run_uuid] = Container(container_id, run_uuid, auto_remove=remove)
        return found

    def _already_reported(self, run_id: UUID) -> bool:
        from headwater.exceptions import ObjectNotFound

        try:
            return bool(self.client.read_flow_run(run_id).state.is_final())
        except ObjectNotFound:
            return True
