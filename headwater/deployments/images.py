"""Images of deployments: ``flow.deploy(name, work_pool_name=..., image=DockerImage(...)
or "name:tag", build=True, push=True)`` (Prefect's signature and defaults).

``build`` runs ``docker build`` (the ``docker`` command the docker worker drives, so
``DOCKER_HOST`` applies) on the current directory; ``dockerfile="auto"`` writes a
Dockerfile that copies the directory to ``/opt/flows/<its name>`` in the image, installs
its ``requirements.txt`` when it has one, and works there.  ``push`` runs ``docker
push``.  The deployment then runs in that image (its ``image`` job variable) and
changes into the copied directory (a ``set_working_directory`` pull step)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from headwater.exceptions import InvalidOptionError, UserInputError

#: Where ``dockerfile="auto"`` copies the project in the image.
CODE_ROOT = PurePosixPath("/opt/flows")
#: ``build_kwargs`` (docker-py's names, as Prefect passes them) → ``docker build`` flags.
_FLAGS = {"platform": "--platform", "target": "--target", "network_mode": "--network"}
_SWITCHES = {"pull": "--pull", "nocache": "--no-cache", "rm": None, "forcerm": None}


def _default_base() -> str:
    from headwater._version import __version__

    return f"headwater:{__version__}"


class DockerImage:
    """An image to build for a deployment (Prefect's ``DockerImage``)."""

    def __init__(
        self,
        name: str,
        tag: str | None = None,
        dockerfile: str = "auto",
        base_image: str | None = None,
        **build_kwargs: Any,
    ) -> None:
        if not name or not isinstance(name, str):
            raise InvalidOptionError("DockerImage needs an image name")
        last = name.rsplit("/", 1)[-1]
        if tag is None and ":" in last:
            name, tag = name.rsplit(":", 1)
        unknown = sorted(set(build_kwargs) - {*_FLAGS, *_SWITCHES, "buildargs", "labels"})
        if unknown:
            raise InvalidOptionError(
                f"DockerImage: unsupported build option(s) {unknown}; supported: "
                f"{sorted({*_FLAGS, *_SWITCHES, 'buildargs', 'labels'})}"
            )
        self.name = name
        self.tag = tag or datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        self.dockerfile = dockerfile
        self.base_image = base_image or _default_base()
        self.build_kwargs = build_kwargs

    @property
    def reference(self) -> str:
        return f"{self.name}:{self.tag}"

    def __repr__(self) -> str:
        return f"DockerImage({self.reference!r}, dockerfile={self.dockerfile!r})"

    @staticmethod
    def code_dir(context: Path) -> PurePosixPath:
        """Where the auto Dockerfile puts ``context`` in the image."""
        return CODE_ROOT / (context.resolve().name or "project")

    def auto_dockerfile(self, context: Path) -> str:
        target = self.code_dir(context)
        lines = [
            "# Written by Headwater (DockerImage dockerfile='auto')",
            f"FROM {self.base_image}",
            f"COPY . {target}",
            f"WORKDIR {target}",
        ]
        if (context / "requirements.txt").is_file():
            lines.append("RUN python -m pip install --no-cache-dir -r requirements.txt")
        return "\n".join(lines) + "\n"

    def build_arguments(self, context: Path, dockerfile: Path) -> list[str]:
        """``docker build`` arguments (without the ``docker`` command)."""
        args = ["build", "--tag", self.reference, "--file", str(dockerfile)]
        options = self.build_kwargs
        for key, flag in _FLAGS.items():
            if options.get(key):
                args += [flag, str(options[key])]
        for key, switch in _SWITCHES.items():
            if options.get(key) and switch:
                args.append(switch)
        for key, value in (options.get("buildargs") or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        for key, value in (options.get("labels") or {}).items():
            args += ["--label", f"{key}={value}"]
        return [*args, str(context)]

    def build(self, context: Path) -> str:
        """Build the image from ``context``; its reference."""
        with tempfile.TemporaryDirectory(prefix="headwater-build-") as scratch:
            if self.dockerfile == "auto":
                dockerfile = Path(scratch) / "Dockerfile"
                dockerfile.write_text(self.auto_dockerfile(context))
            else:
                dockerfile = (context / self.dockerfile).resolve()
                if not dockerfile.is_file():
                    raise InvalidOptionError(f"DockerImage: no Dockerfile at {dockerfile}")
            _docker(*self.build_arguments(context, dockerfile), timeout=3600)
        return self.reference

    def push(self) -> None:
        _docker("push", self.reference, timeout=3600)


def _docker(*args: str, timeout: float) -> str:
    docker = shutil.which("docker")
    if docker is None:
        raise UserInputError(
            "building an image needs the `docker` command (apt-get install docker.io)"
        )
    try:
        done = subprocess.run([docker, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise UserInputError(f"`docker {args[0]}` took over {timeout:g} s") from exc
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise UserInputError(f"docker {args[0]} failed: {lines[-1] if lines else done.returncode}")
    return done.stdout


def image_options(
    image: Any,
    *,
    build: bool,
    push: bool,
    context: Path,
    entrypoint: str | None,
    options: dict[str, Any],
) -> None:
    """Build (and push) ``image`` and point the deployment's ``options`` at it: its
    ``image`` job variable, and (for an auto Dockerfile) the copied project as the
    working directory with the flow's entrypoint relative to it."""
    if not isinstance(image, (str, DockerImage)):
        raise InvalidOptionError("image= must be an image name or a DockerImage")
    spec = image if isinstance(image, DockerImage) else DockerImage(image)
    if not isinstance(image, DockerImage) and ":" not in image.rsplit("/", 1)[-1] and not build:
        spec.tag = "latest"
    if build:
        spec.build(context)
    if push:
        spec.push()
    variables = dict(options.get("job_variables") or {})
    variables.setdefault("image", spec.reference)
    options["job_variables"] = variables
    if build and spec.dockerfile == "auto" and entrypoint is not None:  # not from_source
        options.setdefault(
            "pull_steps", [{"set_working_directory": {"directory": str(spec.code_dir(context))}}]
        )
        path, _, function = (entrypoint or "").rpartition(":")
        if path.endswith(".py") and Path(path).is_absolute():
            try:
                relative = Path(path).resolve().relative_to(context.resolve())
            except ValueError:
                raise InvalidOptionError(
                    f"the flow's file {path} is not in the directory built into the image "
                    f"({context}); deploy from its project directory"
                ) from None
            options.setdefault("entrypoint", f"{relative.as_posix()}:{function}")
