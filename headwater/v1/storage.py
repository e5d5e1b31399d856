"""Where a registered v1 flow's code lives (Prefect 1's ``prefect.storage``), as the
pull steps a Headwater worker runs before each run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from headwater.v1.exceptions import V1NotSupported


class Local:
    """Code on the worker's machine: ``path`` (the flow's file; default: the file given
    to ``headwater v1 register``) in ``directory`` (default: that file's directory)."""

    def __init__(
        self,
        directory: str | None = None,
        path: str | None = None,
        stored_as_script: bool = False,
        **kwargs: Any,
    ) -> None:
        self.directory = directory
        self.path = path
        self.stored_as_script = stored_as_script

    def code_location(self, file: Path) -> tuple[str, list[dict[str, Any]], str]:
        """(entrypoint file, pull steps, shown source) for a flow defined in ``file``."""
        path = Path(self.path).expanduser() if self.path else file
        path = path.resolve()
        directory = Path(self.directory).expanduser().resolve() if self.directory else path.parent
        steps = [{"set_working_directory": {"directory": str(directory)}}]
        return str(path), steps, str(directory)


class GitHub:
    """Code in a git repository: ``repo`` (``"org/name"`` on GitHub, or any git URL or
    local repository path), the flow's file at ``path`` inside it, at ``ref``."""

    def __init__(
        self,
        repo: str,
        path: str,
        ref: str | None = None,
        access_token_secret: str | None = None,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        if access_token_secret:
            raise V1NotSupported(
                "GitHub(access_token_secret=...) is not supported: put the token in the "
                "repository URL's credentials or use a public/local repository"
            )
        self.repo = repo
        self.path = path
        self.ref = ref
        self.base_url = base_url

    @property
    def url(self) -> str:
        repo = self.repo
        if "://" in repo or repo.startswith("git@") or os.path.isabs(repo) or repo.endswith(".git"):
            return repo
        base = (self.base_url or "https://github.com").rstrip("/")
        return f"{base}/{repo}.git"

    def code_location(self, file: Path) -> tuple[str, list[dict[str, Any]], str]:
        from headwater.deployments.source import GitRepository

        repository = GitRepository(self.url, branch=self.ref)
        shown = self.url + (f"@{self.ref}" if self.ref else "")
        return self.path, repository.pull_steps(), shown


def _unsupported(name: str) -> type:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        raise V1NotSupported(
            f"{name} storage is not supported on Headwater: use Local(...) or GitHub(...)"
        )

    return type(name, (), {"__init__": __init__, "__doc__": f"Not supported: {name}."})


S3 = _unsupported("S3")
GCS = _unsupported("GCS")
Docker = _unsupported("Docker")
Azure = _unsupported("Azure")
Module = _unsupported("Module")

__all__ = ["GCS", "S3", "Azure", "Docker", "GitHub", "Local", "Module"]
