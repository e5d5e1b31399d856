"""File-system blocks: ``LocalFileSystem`` and ``RemoteFileSystem`` (fsspec).

Both offer ``read_path``/``write_path`` (bytes in, bytes out, paths relative to the
block's ``basepath``) so they can serve as result storage, and ``get_directory``/
``put_directory`` to copy folders, with Prefect's names (``prefect.filesystems``).
A path that escapes ``basepath`` is refused.  fsspec is imported on first use.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from headwater.asyncdispatch import async_dispatch, run_in_thread
from headwater.blocks.core import Block
from headwater.blocks.fields import SecretDict
from headwater.exceptions import UserInputError


class WritableFileSystem(Block):
    """Base of blocks that read and write files by path."""

    _block_abstract = True

    def _read(self, path: str) -> bytes:
        raise NotImplementedError

    def _write(self, path: str, content: bytes) -> str:
        raise NotImplementedError

    @async_dispatch
    def read_path(self, path: str) -> bytes:
        """The bytes of the file at ``path`` (relative to ``basepath``)."""
        return self._read(path)

    @async_dispatch
    def write_path(self, path: str, content: bytes) -> str:
        """Write ``content`` to ``path`` (folders are created); returns the full path."""
        return self._write(path, content)

    async def aread_path(self, path: str) -> bytes:
        return await run_in_thread(self._read, path)

    async def awrite_path(self, path: str, content: bytes) -> str:
        return await run_in_thread(self._write, path, content)


class LocalFileSystem(WritableFileSystem):
    """Files in a folder of this machine."""

    _block_type_slug = "local-file-system"

    basepath: str | None = Field(
        default=None, description="The folder paths are relative to (default: the current one)."
    )

    @field_validator("basepath", mode="before")
    @classmethod
    def _path_to_str(cls, value: Any) -> Any:
        return str(value) if isinstance(value, Path) else value

    def _base(self) -> Path:
        return Path(self.basepath or ".").expanduser().resolve()

    def _resolve_path(self, path: str | None) -> Path:
        base = self._base()
        if not path:
            return base
        resolved = (base / Path(path).expanduser()).resolve()
        if resolved != base and base not in resolved.parents:
            raise UserInputError(f"path {path!r} is outside of the base path {base}")
        return resolved

    def _read(self, path: str) -> bytes:
        resolved = self._resolve_path(path)
        if not resolved.is_file():
            raise FileNotFoundError(f"no file at {resolved}")
        return resolved.read_bytes()

    def _write(self, path: str, content: bytes) -> str:
        resolved = self._resolve_path(path)
        resolved.parent.mkdir(parents=True, exist_ok=True)
        tmp = resolved.with_name(f".{resolved.name}.{os.getpid()}.tmp")
        tmp.write_bytes(content)
        os.replace(tmp, resolved)  # readers never see half a file
        return str(resolved)

    def get_directory(self, from_path: str | None = None, local_path: str | None = None) -> None:
        """Copy the folder ``from_path`` (default: ``basepath``) to ``local_path`` (default:
        the current folder)."""
        source = self._resolve_path(from_path)
        destination = Path(local_path or ".").expanduser().resolve()
        if source == destination:
            return
        shutil.copytree(source, destination, dirs_exist_ok=True)

    def put_directory(
        self,
        local_path: str | None = None,
        to_path: str | None = None,
        ignore_file: str | None = None,
    ) -> int:
        """Copy the folder ``local_path`` into ``to_path``; returns the number of files.
        ``ignore_file`` lists glob patterns (one a line, like .gitignore) to leave out."""
        source = Path(local_path or ".").expanduser().resolve()
        destination = self._resolve_path(to_path)
        count = 0
        for relative in _files(source, _ignore_patterns(ignore_file)):
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, target)
            count += 1
        return count


class RemoteFileSystem(WritableFileSystem):
    """Files in any fsspec file system (S3, GCS, SFTP, memory…).

    ``basepath`` is a URL such as ``s3://bucket/folder``; the protocol's fsspec package
    (s3fs, gcsfs…) must be installed.
    """

    _block_type_slug = "remote-file-system"

    basepath: str = Field(description="A URL with a scheme, e.g. s3://bucket/results.")
    settings: SecretDict | None = Field(
        default=None,
        description="Options for the fsspec file system (credentials: kept secret).",
    )

    @field_validator("basepath")
    @classmethod
    def _needs_scheme(cls, value: str) -> str:
        scheme, sep, _ = value.partition("://")
        if not sep or not scheme:
            raise ValueError(
                f"basepath needs a scheme, e.g. s3://bucket/folder (got {value!r}); "
                "use LocalFileSystem for local folders"
            )
        return value

    def _filesystem(self) -> Any:
        import fsspec

        protocol = self.basepath.partition("://")[0]
        options = self.settings.get_secret_value() if self.settings else {}
        try:
            return fsspec.filesystem(protocol, **options)
        except (ImportError, ValueError) as exc:
            raise UserInputError(f"cannot open {protocol}:// file systems: {exc}") from None

    def _resolve_path(self, path: str | None) -> str:
        base = self.basepath.rstrip("/")
        if not path:
            return base
        if "://" in path:
            if path != base and not path.startswith(base + "/"):
                raise UserInputError(f"path {path!r} is outside of the base path {base!r}")
            relative = path[len(base) :].lstrip("/")
        else:
            relative = path.lstrip("/")
        parts: list[str] = []
        for part in relative.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise UserInputError(f"path {path!r} is outside of the base path {base!r}")
                parts.pop()
            else:
                parts.append(part)
        return "/".join([base, *parts])

    def _read(self, path: str) -> bytes:
        full = self._resolve_path(path)
        fs = self._filesystem()
        try:
            with fs.open(full, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise FileNotFoundError(f"no file at {full}") from None

    def _write(self, path: str, content: bytes) -> str:
        full = self._resolve_path(path)
        fs = self._filesystem()
        parent = full.rsplit("/", 1)[0]
        if parent and "://" in parent and parent.split("://", 1)[1]:
            fs.makedirs(parent, exist_ok=True)
        with fs.open(full, "wb") as handle:
            handle.write(content)
        return full

    def get_directory(self, from_path: str | None = None, local_path: str | None = None) -> None:
        """Download the folder ``from_path`` (default: ``basepath``) into ``local_path``."""
        source = self._resolve_path(from_path)
        destination = Path(local_path or ".").expanduser().resolve()
        destination.mkdir(parents=True, exist_ok=True)
        fs = self._filesystem()
        prefix = fs._strip_protocol(source).rstrip("/")  # how fsspec names its paths
        for remote in fs.find(source):
            stripped = fs._strip_protocol(remote)
            if not stripped.startswith(prefix + "/"):
                continue
            target = destination / stripped[len(prefix) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            fs.get_file(remote, str(target))

    def put_directory(
        self,
        local_path: str | None = None,
        to_path: str | None = None,
        ignore_file: str | None = None,
    ) -> int:
        """Upload the folder ``local_path`` into ``to_path``; returns the number of files."""
        source = Path(local_path or ".").expanduser().resolve()
        destination = self._resolve_path(to_path)
        fs = self._filesystem()
        count = 0
        for relative in _files(source, _ignore_patterns(ignore_file)):
            target = f"{destination}/{relative.as_posix()}"
            fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
            fs.put_file(str(source / relative), target)
            count += 1
        return count


def _ignore_patterns(ignore_file: str | None) -> list[str]:
    if not ignore_file:
        return []
    lines = Path(ignore_file).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _files(root: Path, ignore: list[str]) -> list[Path]:
    if not root.is_dir():
        raise UserInputError(f"no folder at {root}")
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(root)
        text = relative.as_posix()
        if any(fnmatch.fnmatch(text, p) or fnmatch.fnmatch(path.name, p) for p in ignore):
            continue
        out.append(relative)
    return out
