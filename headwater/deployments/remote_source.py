"""Flow code in object storage (S3, GCS, Azure, any fsspec file system).

``flow.from_source("s3://bucket/folder", entrypoint="flows.py:etl")``,
``from_source(RemoteStorage(url, **settings), ...)`` or ``from_source(a saved
RemoteFileSystem block, ...)`` deploy a flow whose workers download the folder before
each run.  The pull steps are Prefect's names:

- ``pull_from_remote_storage: {url: URL, **fsspec settings}``
- ``pull_with_block: {block_document_name: NAME, block_type_slug: SLUG}`` (the block
  keeps its credentials secret; the deployment stores only its name)
- ``pull_from_s3: {bucket: B, folder: F, credentials: {...}, client_parameters: {...}}``
  (``prefect_aws.deployments.steps.pull_from_s3``)

Each version of the folder is downloaded once per machine: the copy lives under
``$HEADWATER_HOME/code/<name>-<url digest>/<listing digest>``, named after the
listing (paths, sizes, ETags or modification times), so a run whose code did not
change reuses it without a download, and a run already going keeps its own copy when
new code arrives.  The three newest copies of a source are kept.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from headwater.exceptions import UserInputError
from headwater.utilities.file_lock import locked

#: URL schemes that mean a git repository, not object storage.
GIT_SCHEMES = frozenset({"http", "https", "ssh", "git", "git+ssh", "git+https", "file"})
#: Copies of one source kept on a machine (the newest ones).
KEPT_COPIES = 3


class RemoteSourceError(UserInputError):
    """A code source that cannot be read (no such bucket/folder, no credentials, no
    fsspec package for the scheme)."""


@dataclass(frozen=True, init=False)
class RemoteStorage:
    """``RemoteStorage("s3://bucket/folder", key=..., secret=..., client_kwargs=...)``:
    a folder in any fsspec file system; ``settings`` go to the file system.  Prefer
    credentials from the environment (``AWS_*``) or a saved ``RemoteFileSystem``
    block: settings given here are stored in the deployment's pull step."""

    url: str
    settings: dict[str, Any] = field(default_factory=dict)

    def __init__(self, url: str, **settings: Any) -> None:
        if not is_remote_url(url):
            raise UserInputError(
                f"RemoteStorage needs a URL such as s3://bucket/folder, got {url!r}"
            )
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "settings", settings)

    def pull_steps(self) -> list[dict[str, Any]]:
        return [{"pull_from_remote_storage": {"url": self.url, **self.settings}}]

    def pull(self) -> Path:
        return pull_from_remote_storage(self.url, **self.settings)


def is_remote_url(source: str) -> bool:
    """``scheme://…`` whose scheme is object storage (not http(s), ssh, git or file)."""
    scheme, sep, rest = source.partition("://")
    return bool(sep and rest and scheme) and scheme.lower() not in GIT_SCHEMES


def block_pull_steps(block: Any) -> list[dict[str, Any]]:
    """The pull step of a saved file-system block (by name: its secrets stay in it)."""
    name = getattr(block, "_block_document_name", None)
    if not name or getattr(block, "_is_anonymous", False):
        raise UserInputError(
            f"from_source: save the {type(block).__name__} block first "
            "(block.save('name')): workers load it by name"
        )
    slug = type(block).get_block_type_slug()
    return [{"pull_with_block": {"block_document_name": name, "block_type_slug": slug}}]


# -- pull steps -----------------------------------------------------------------------


def pull_from_remote_storage(url: str, **settings: Any) -> Path:
    """Download the folder ``url`` (if this version is not here yet); change into it."""
    filesystem, root = _open(url, settings)
    return _enter(_download(filesystem, root, _cache_root(url)))


def pull_with_block(block_document_name: str, block_type_slug: str) -> Path:
    """Download the folder of a saved file-system block; change into it."""
    from headwater.blocks.core import Block

    block: Any = Block.load(f"{block_type_slug}/{block_document_name}")
    opener = getattr(block, "_filesystem", None)
    if opener is None:  # a LocalFileSystem block: its folder is read where it is
        base = Path(getattr(block, "basepath", "") or ".").expanduser()
        return _enter(base)
    filesystem = opener()
    url = block.basepath
    root = filesystem._strip_protocol(url).rstrip("/")
    return _enter(_download(filesystem, root, _cache_root(url)))


def pull_from_s3(
    bucket: str,
    folder: str,
    credentials: dict[str, Any] | None = None,
    client_parameters: dict[str, Any] | None = None,
) -> Path:
    """Prefect-aws's step: ``s3://bucket/folder`` with its credential names."""
    settings: dict[str, Any] = {}
    names = {
        "aws_access_key_id": "key",
        "aws_secret_access_key": "secret",
        "aws_session_token": "token",
        "minio_root_user": "key",
        "minio_root_password": "secret",
    }
    for given, value in (credentials or {}).items():
        if given in names and value:
            settings[names[given]] = value
    if client_parameters:
        settings["client_kwargs"] = dict(client_parameters)
    return pull_from_remote_storage(f"s3://{bucket}/{folder.strip('/')}", **settings)


# -- the download ---------------------------------------------------------------------


def _open(url: str, settings: dict[str, Any]) -> tuple[Any, str]:
    try:
        from fsspec.core import url_to_fs

        filesystem, root = url_to_fs(url, **settings)
    except ImportError as exc:
        scheme = url.partition("://")[0]
        raise RemoteSourceError(
            f"cannot read {scheme}:// code sources: {exc} (install the fsspec package for "
            f"{scheme}, e.g. s3fs for s3://)"
        ) from None
    except (ValueError, TypeError) as exc:
        raise RemoteSourceError(f"cannot open {url}: {exc}") from None
    return filesystem, str(root).rstrip("/")


def _cache_root(url: str) -> Path:
    from headwater.settings import get_settings

    digest = hashlib.sha1(url.rstrip("/").encode()).hexdigest()[:12]
    stem = re.sub(r"[^\w.-]", "_", url.rstrip("/").rsplit("/", 1)[-1])[:60] or "source"
    return get_settings().home / "code" / f"{stem}-{digest}"


def _listing(filesystem: Any, root: str) -> list[tuple[str, str, int, str]]:
    """(remote path, relative path, size, version) of every file under ``root``."""
    try:
        found = filesystem.find(root, detail=True)
    except FileNotFoundError:
        found = {}
    except PermissionError as exc:
        raise RemoteSourceError(f"cannot list {root}: access denied ({exc})") from None
    except OSError as exc:
        raise RemoteSourceError(f"cannot list {root}: {exc}") from None
    prefix = root.rstrip("/") + "/"
    files = []
    for path, info in sorted(found.items()):
        stripped = filesystem._strip_protocol(path)
        if info.get("type") == "directory" or not stripped.startswith(prefix):
            continue
        version = next(
            (
                str(info[key])
                for key in ("ETag", "etag", "md5Hash", "mtime", "LastModified", "last_modified")
                if info.get(key)
            ),
            "",
        )
        files.append((path, stripped[len(prefix) :], int(info.get("size") or 0), version))
    if not files:
        raise RemoteSourceError(f"no files under {root}: check the bucket and folder")
    return files


def _download(filesystem: Any, root: str, cache: Path) -> Path:
    """The local copy of this version of the folder (downloaded now if missing)."""
    files = _listing(filesystem, root)
    digest = hashlib.sha1(repr([f[1:] for f in files]).encode()).hexdigest()[:16]
    target = cache / digest
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with locked(target):
        if target.is_dir():  # another run on this machine fetched it meanwhile
            return target
        partial = cache / f".partial-{uuid.uuid4().hex[:8]}"
        try:
            for remote, relative, _, _ in files:
                local = (partial / relative).resolve()
                if not local.is_relative_to(partial.resolve()):
                    raise RemoteSourceError(f"refusing {relative!r}: outside the folder")
                local.parent.mkdir(parents=True, exist_ok=True)
                filesystem.get_file(remote, str(local))
            partial.rename(target)
        except OSError as exc:
            raise RemoteSourceError(f"cannot download {root}: {exc}") from None
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    _prune(cache, keep=target)
    return target


def _prune(cache: Path, keep: Path) -> None:
    copies = sorted(
        (p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in copies[KEPT_COPIES:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
            Path(f"{old}.lock").unlink(missing_ok=True)


def _enter(directory: Path) -> Path:
    try:
        os.chdir(directory)
    except OSError as exc:
        raise RemoteSourceError(f"cannot enter {directory}: {exc.strerror or exc}") from None
    return directory
