"""Where persisted results live: a local directory (fast path, no fsspec) or any
fsspec file system named by URL (``s3://bucket/prefix``, ``memory://x``…).

fsspec costs ~200 ms to import, so a plain path or ``file://`` URL never touches it;
other URLs import it on first use.  A URL whose scheme needs a package that is not
installed is refused with one line naming the package.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from headwater.exceptions import ConfigurationError, InvalidOptionError

#: The package that provides each well-known fsspec scheme (checked without importing).
SCHEME_PACKAGES: dict[str, tuple[str, str]] = {
    "s3": ("s3fs", "s3fs"),
    "s3a": ("s3fs", "s3fs"),
    "gs": ("gcsfs", "gcsfs"),
    "gcs": ("gcsfs", "gcsfs"),
    "az": ("adlfs", "adlfs"),
    "abfs": ("adlfs", "adlfs"),
    "abfss": ("adlfs", "adlfs"),
    "adl": ("adlfs", "adlfs"),
    "hdfs": ("pyarrow", "pyarrow"),
    "sftp": ("paramiko", "paramiko"),
    "ssh": ("paramiko", "paramiko"),
    "http": ("aiohttp", "aiohttp"),
    "https": ("aiohttp", "aiohttp"),
    "smb": ("smbprotocol", "smbprotocol"),
    "webhdfs": ("requests", "requests"),
    "oci": ("ocifs", "ocifs"),
    "dropbox": ("dropboxdrivefs", "dropboxdrivefs"),
}
_ALWAYS_AVAILABLE = {"memory", "file", "local"}
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_FIRST_READ = 1 << 16


class ResultStorage:
    """The interface of a result storage: bytes in and out by key.

    ``url`` is what a reader in another process uses to find the same storage; a
    storage without one can only be read by the process that wrote it.
    """

    url: str | None = None
    #: True when the storage is a directory on this machine (file locks work there).
    is_local: bool = False

    def read(self, key: str) -> bytes:
        """The bytes stored under ``key``; ``FileNotFoundError`` if there are none."""
        raise NotImplementedError

    def write(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def write_parts(self, key: str, parts: list[bytes]) -> None:
        """Write the concatenation of ``parts`` (a storage may avoid the copy)."""
        self.write(key, b"".join(parts))

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        try:
            self.read(key)
        except FileNotFoundError:
            return False
        return True


def check_key(key: str) -> str:
    """A storage key is a relative path without ``..`` (it may contain ``/``)."""
    if not key or key.startswith(("/", "\\")) or ".." in key.split("/") or "\x00" in key:
        raise ValueError(f"invalid result storage key {key!r}")
    return key


class LocalStorage(ResultStorage):
    """Files under a local directory.  Writes are atomic (a temporary file renamed into
    place), so a reader never sees half a result, even from another process."""

    is_local = True

    def __init__(self, basepath: str | os.PathLike[str]) -> None:
        self.basepath = Path(basepath).expanduser().absolute()
        self.url = self.basepath.as_uri()
        self._base = str(self.basepath) + os.sep
        self._made: set[str] = set()  # directories known to exist (set.add is atomic)

    def path(self, key: str) -> str:
        return self._base + check_key(key)

    def read(self, key: str) -> bytes:
        # os.open/os.read: half the cost of open().read() for the small files that
        # most cached results are (a cache hit is mostly this read).
        fd = os.open(self._base + check_key(key), _READ_FLAGS)
        try:
            data = os.read(fd, _FIRST_READ)
            if len(data) < _FIRST_READ:
                return data
            chunks = [data]
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        finally:
            os.close(fd)

    def write(self, key: str, data: bytes) -> None:
        self.write_parts(key, [data])

    def write_parts(self, key: str, parts: list[bytes]) -> None:
        path = self.path(key)
        directory = os.path.dirname(path)
        if directory not in self._made:
            self._mkdir(directory)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as handle:
            handle.writelines(parts)
        os.replace(tmp, path)

    def _mkdir(self, directory: str) -> None:
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot create the result storage directory {directory}: "
                f"{exc.strerror or exc}; set result_storage or HEADWATER_RESULTS_STORAGE"
            ) from None
        self._made.add(directory)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(key))

    def exists(self, key: str) -> bool:
        return os.path.exists(self.path(key))

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.basepath)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalStorage) and other.basepath == self.basepath

    def __hash__(self) -> int:
        return hash(self.basepath)


class FsspecStorage(ResultStorage):
    """Files on any fsspec file system, named by URL (``s3://bucket/prefix``)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._fs: Any = None
        self._root = ""

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url}  # the file system object is rebuilt where it is used

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"])  # type: ignore[misc]

    def _filesystem(self) -> tuple[Any, str]:
        if self._fs is None:
            import fsspec

            fs, root = fsspec.core.url_to_fs(self.url)
            self._fs, self._root = fs, root.rstrip("/")
        return self._fs, self._root

    def read(self, key: str) -> bytes:
        fs, root = self._filesystem()
        path = f"{root}/{check_key(key)}"
        try:
            return fs.cat_file(path)
        except FileNotFoundError:
            raise
        except KeyError:  # memory:// raises KeyError on some versions
            raise FileNotFoundError(path) from None

    def write(self, key: str, data: bytes) -> None:
        fs, root = self._filesystem()
        path = f"{root}/{check_key(key)}"
        parent = path.rsplit("/", 1)[0]
        with contextlib.suppress(Exception):
            fs.makedirs(parent, exist_ok=True)
        fs.pipe_file(path, data)

    def delete(self, key: str) -> None:
        fs, root = self._filesystem()
        with contextlib.suppress(FileNotFoundError):
            fs.rm_file(f"{root}/{check_key(key)}")

    def exists(self, key: str) -> bool:
        fs, root = self._filesystem()
        return bool(fs.exists(f"{root}/{check_key(key)}"))

    def __repr__(self) -> str:
        return f"FsspecStorage({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FsspecStorage) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


class BlockStorage(ResultStorage):
    """Adapts an object with Prefect's ``read_path``/``write_path`` (a storage block)."""

    def __init__(self, block: Any) -> None:
        self.block = block
        url = getattr(block, "url", None)
        self.url = url if isinstance(url, str) else None

    def read(self, key: str) -> bytes:
        try:
            data = self.block.read_path(check_key(key))
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise FileNotFoundError(f"{key}: {exc}") from exc
        return data if isinstance(data, bytes) else bytes(data)

    def write(self, key: str, data: bytes) -> None:
        self.block.write_path(check_key(key), data)

    def delete(self, key: str) -> None:
        remove = getattr(self.block, "delete_path", None)
        if callable(remove):
            remove(check_key(key))


def _scheme(url: str) -> str | None:
    head, sep, _ = url.partition("://")
    if not sep or not head or "/" in head or os.sep in head:
        return None
    return head.lower()


def check_backend(url: str) -> None:
    """Refuse (one line) a URL whose fsspec backend is not installed."""
    scheme = _scheme(url)
    if scheme is None or scheme in _ALWAYS_AVAILABLE:
        return
    known = SCHEME_PACKAGES.get(scheme)
    if known is not None:
        module, package = known
        if importlib.util.find_spec(module) is None:
            raise ConfigurationError(
                f"result storage {url!r} needs the package {package!r}; "
                f"install it with `pip install {package}`"
            )
        return
    if importlib.util.find_spec("fsspec") is None:
        raise ConfigurationError(
            f"result storage {url!r} needs fsspec; install it with `pip install fsspec`"
        )
    import fsspec

    try:
        fsspec.get_filesystem_class(scheme)
    except ImportError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ConfigurationError(
            f"result storage {url!r} needs a package that is not installed: {message}"
        ) from None
    except ValueError:
        raise ConfigurationError(
            f"result storage {url!r}: no fsspec file system handles {scheme}://"
        ) from None


_storages: dict[str, ResultStorage] = {}
_storages_lock = threading.Lock()


def get_storage(value: Any) -> ResultStorage:
    """The storage for a URL, path, storage object or storage block (cached by URL)."""
    if isinstance(value, ResultStorage):
        return value
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        if not value.strip():
            raise InvalidOptionError("result storage must not be empty")
        storage = _storages.get(value)
        if storage is None:
            storage = _storage_for_url(value)
            with _storages_lock:
                storage = _storages.setdefault(value, storage)
        return storage
    if callable(getattr(value, "read_path", None)) and callable(getattr(value, "write_path", None)):
        return BlockStorage(value)
    raise InvalidOptionError(
        "result storage must be a path, a URL such as file:///data/results or "
        f"s3://bucket/prefix, or a storage object; got {type(value).__name__} {value!r}"
    )


def _storage_for_url(url: str) -> ResultStorage:
    scheme = _scheme(url)
    if scheme is None:
        return LocalStorage(url)
    if scheme in ("file", "local"):
        from urllib.parse import unquote, urlparse

        parsed = urlparse(url)
        path = unquote(parsed.path)
        if parsed.netloc and parsed.netloc != "localhost":
            path = f"/{parsed.netloc}{path}"
        return LocalStorage(path or "/")
    check_backend(url)
    return FsspecStorage(url)


def check_storage(value: Any, where: str) -> ResultStorage | None:
    """Decorator-time check of ``result_storage``."""
    if value is None:
        return None
    try:
        return get_storage(value)
    except (InvalidOptionError, ConfigurationError) as exc:
        raise InvalidOptionError(f"{where}: {exc}") from None
