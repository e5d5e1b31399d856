"""``flow.from_source(source=..., entrypoint="file.py:func")``: a flow whose code workers
pull — a directory they can read, a git repository they clone, or a folder in object
storage they download (``s3://…``, ``RemoteStorage``, a saved ``RemoteFileSystem``
block: ``headwater.deployments.remote_source``)."""

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
    """A URL (not object storage), ``git@host:…``, ``*.git``, or a local (bare)
    repository."""
    from headwater.deployments.remote_source import is_remote_url

    if is_remote_url(source):
        return False  # s3://bucket/repo.git too: a folder in a bucket
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
    from headwater.deployments.remote_source import (
        RemoteStorage,
        block_pull_steps,
        is_remote_url,
        pull_with_block,
    )
    from headwater.deployments.steps import git_clone

    _entrypoint_parts(entrypoint)
    remote: RemoteStorage | None = None
    block: Any = None
    repository: GitRepository | None = None
    if isinstance(source, GitRepository):
        repository = source
    elif isinstance(source, RemoteStorage):
        remote = source
    elif hasattr(source, "get_directory") and hasattr(source, "basepath"):
        block = source  # a file-system block (RemoteFileSystem, ...)
    elif isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if is_remote_url(text):
            remote = RemoteStorage(text)
        elif is_git_source(text):
            repository = GitRepository(text)
    else:
        raise InvalidOptionError(
            "source must be a directory, a git URL, GitRepository(...), an object-storage "
            f"URL (s3://...), RemoteStorage(...) or a saved file-system block, got {source!r}"
        )
    here = os.getcwd()
    try:
        if repository is not None:
            directory = git_clone(repository.url, repository.branch)
            pull_steps = repository.pull_steps()
            shown = repository.url + (f"@{repository.branch}" if repository.branch else "")
        elif remote is not None:
            directory = remote.pull()  # now: a wrong URL or entrypoint is an error here
            pull_steps = remote.pull_steps()
            shown = remote.url
        elif block is not None:
            pull_steps = block_pull_steps(block)
            directory = pull_with_block(**pull_steps[0]["pull_with_block"])
            shown = block.basepath
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
