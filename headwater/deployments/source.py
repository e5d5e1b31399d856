"""``flow.from_source(source=PATH_OR_GIT_URL, entrypoint="file.py:func")``: a flow whose
code workers pull (a directory they can read, or a git repository they clone)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headwater.exceptions import InvalidOptionError


@dataclass(frozen=True)
class GitRepository:
    """``GitRepository(url, branch="main")``: a git source at a branch (``url`` may be a
    local path to a repository)."""

    url: str
    branch: str | None = None

    def pull_steps(self) -> list[dict[str, Any]]:
        arguments: dict[str, Any] = {"repository": self.url}
        if self.branch:
            arguments["branch"] = self.branch
        return [{"git_clone": arguments}]


def is_git_source(source: str) -> bool:
    """A URL, ``git@host:…``, ``*.git``, or a local (bare) repository."""
    if "://" in source or source.startswith("git@") or source.rstrip("/").endswith(".git"):
        return True
    path = Path(source).expanduser()
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def _entrypoint_parts(entrypoint: Any) -> tuple[str, str]:
    if not isinstance(entrypoint, str) or ":" not in entrypoint:
        raise InvalidOptionError(
            f"entrypoint must be 'path/to/file.py:function', got {entrypoint!r}"
        )
    path, _, name = entrypoint.rpartition(":")
    if not path or not name:
        raise InvalidOptionError(
            f"entrypoint must be 'path/to/file.py:function', got {entrypoint!r}"
        )
    return path, name


def load_from_source(source: Any, entrypoint: str, load_flow: Callable[[str], Any]) -> Any:
    """The flow ``entrypoint`` names inside ``source`` (loaded by ``load_flow``, which
    ``Flow.from_source`` passes), remembering how to pull it.

    A git source is cloned now (into the same cache workers on this machine use), so a
    wrong URL, branch or entrypoint is an error here and not in a run."""
    from headwater.deployments.steps import git_clone

    _entrypoint_parts(entrypoint)
    if isinstance(source, GitRepository):
        repository: GitRepository | None = source
    elif isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        repository = GitRepository(text) if is_git_source(text) else None
    else:
        raise InvalidOptionError(
            f"source must be a directory, a git URL or GitRepository(...), got {source!r}"
        )
    here = os.getcwd()
    try:
        if repository is not None:
            directory = git_clone(repository.url, repository.branch)
            pull_steps = repository.pull_steps()
            shown = repository.url + (f"@{repository.branch}" if repository.branch else "")
        else:
            directory = Path(os.fspath(source)).expanduser().resolve()
            if not directory.is_dir():
                raise InvalidOptionError(f"source {os.fspath(source)!r} is not a directory")
            os.chdir(directory)
            pull_steps = [{"set_working_directory": {"directory": str(directory)}}]
            shown = str(directory)
        flow = load_flow(entrypoint)
    finally:
        os.chdir(here)
    flow = flow.with_options()
    flow._source = {"entrypoint": entrypoint, "pull_steps": pull_steps, "source": shown}
    del directory
    return flow
