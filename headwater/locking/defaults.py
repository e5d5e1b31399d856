"""Which lock manager a result storage gets when nobody chose one."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from headwater.locking.base import LockManager
from headwater.locking.filesystem import FileSystemLockManager
from headwater.locking.store import StoreLockManager


def default_lock_manager(storage: Any, client: Callable[[], Any] | None = None) -> LockManager:
    """Lock files under ``<storage>/.locks`` for a local storage, else a lease in the
    Headwater store (``client()``'s, default this process's), which every process of
    that store reaches."""
    from headwater.results.storage import LocalStorage

    if isinstance(storage, LocalStorage):
        return FileSystemLockManager(os.path.join(str(storage.basepath), ".locks"))
    return StoreLockManager(
        None if client is None else client(), namespace=f"{storage.url or id(storage)}:"
    )
