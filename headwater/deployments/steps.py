"""Pull steps: how a worker gets a deployment's code before loading its entrypoint.

A step is a one-key mapping ``{name: {argument: value}}``; names are those of Prefect
(``prefect.deployments.steps.git_clone``…) or short (``git_clone``), stored short:

- ``set_working_directory: {directory: PATH}`` — change into PATH;
- ``git_clone: {repository: URL_OR_PATH, branch: NAME}`` — clone (or update) the
  repository into a cache under ``$HEADWATER_HOME/code`` and change into it;
- ``pull_from_remote_storage: {url: s3://…, **settings}``, ``pull_with_block:
  {block_document_name, block_type_slug}`` and ``pull_from_s3: {bucket, folder}`` —
  download a folder from object storage (``headwater.deployments.remote_source``).

Steps run in the flow-run process (``python -m headwater.engine RUN_ID``); a failing
step ends the run Crashed with the step's error in its message and its logs.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from headwater.core.pull_steps import check_pull_steps, looks_like_option
from headwater.exceptions import UserInputError
from headwater.utilities.file_lock import locked

GIT_TIMEOUT_SECONDS = 300


class PullStepError(UserInputError):
    """A pull step that failed (a git error, a missing directory)."""


def run_pull_steps(steps: list[dict[str, Any]], log: Callable[[str], None] | None = None) -> Path:
    """Run the steps in order; the working directory they leave (the process's cwd)."""
    for step in check_pull_steps(steps):
        ((name, arguments),) = step.items()
        if log is not None:
            log(f"Pull step {name}: {_describe(arguments)}")
        _step_function(name)(**arguments)
    return Path.cwd()


def _step_function(name: str) -> Callable[..., Path]:
    if name == "set_working_directory":
        return set_working_directory
    if name == "git_clone":
        return git_clone
    from headwater.deployments import remote_source

    step: Callable[..., Path] = getattr(remote_source, name)
    return step


def _describe(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_redact(str(v))}" for k, v in arguments.items())


def _redact(text: str) -> str:
    """Credentials in a URL (https://user:token@host) are not logged."""
    return re.sub(r"(://)[^/@\s]+@", r"\1***@", text)


def set_working_directory(directory: str) -> Path:
    path = Path(os.path.expandvars(directory)).expanduser()
    try:
        os.chdir(path)
    except OSError as exc:
        raise PullStepError(
            f"set_working_directory: cannot enter {path}: {exc.strerror or exc}"
        ) from None
    return path


def git_clone(
    repository: str,
    branch: str | None = None,
    include_submodules: bool = False,
    directory: str | None = None,
) -> Path:
    """Clone ``repository`` (a URL or a local path) at ``branch`` into the code cache, or
    update the copy already there; change into it.

    The repository and branch go to git after ``--`` (or are refused when they start
    with ``-``): a value like ``--upload-pack=CMD`` must never become an option."""
    for key, value in (("repository", repository), ("branch", branch)):
        if looks_like_option(value):
            raise PullStepError(f"git_clone: {key} {_redact(str(value))!r} must not start with '-'")
    target = Path(directory).expanduser() if directory else clone_directory(repository, branch)
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked(target):
        if (target / ".git").is_dir():
            ref = branch or "HEAD"
            _git(["fetch", "--depth", "1", "--", "origin", ref], cwd=target, what=repository)
            _git(["reset", "--hard", "FETCH_HEAD"], cwd=target, what=repository)
            _git(["clean", "-fdq"], cwd=target, what=repository)
        else:
            command = ["clone", "--depth", "1"]
            if branch:
                command += ["--branch", branch]
            if include_submodules:
                command += ["--recurse-submodules"]
            tmp = target.with_name(target.name + ".partial")
            if tmp.exists():
                import shutil

                shutil.rmtree(tmp)
            _git([*command, "--", repository, str(tmp)], cwd=target.parent, what=repository)
            tmp.rename(target)
    os.chdir(target)
    return target


def clone_directory(repository: str, branch: str | None) -> Path:
    from headwater.settings import get_settings

    digest = hashlib.sha1(f"{repository}\n{branch or ''}".encode()).hexdigest()[:12]
    stem = re.sub(r"\.git$", "", repository.rstrip("/").rsplit("/", 1)[-1]) or "repo"
    stem = re.sub(r"[^\w.-]", "_", stem)[:60]
    return get_settings().home / "code" / f"{stem}-{digest}"


def _git(args: list[str], *, cwd: Path, what: str) -> None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise PullStepError("git_clone: git is not installed on this machine") from None
    except subprocess.TimeoutExpired:
        raise PullStepError(
            f"git_clone: `git {args[0]}` of {_redact(what)} took over {GIT_TIMEOUT_SECONDS} s"
        ) from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line]
        detail = " / ".join(lines[-3:]) or f"exit code {done.returncode}"
        raise PullStepError(
            f"git_clone: git {args[0]} of {_redact(what)} failed: {_redact(detail)}"
        )
