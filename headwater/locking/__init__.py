"""Lock managers: who may compute a transaction's key right now (Prefect 3's names).

``MemoryLockManager`` (threads of one process), ``FileSystemLockManager`` (processes
sharing a directory) and ``StoreLockManager`` (any process that reaches the same
Headwater store, embedded or through the server: a lease, renewed while held).
Every lock can be given a hold timeout, and a holder that died never blocks a key
for good: its process is seen to be gone (file locks on one machine) or its lease
stops being renewed (store locks).
"""

from __future__ import annotations

from headwater.locking.base import LockManager, default_holder
from headwater.locking.defaults import default_lock_manager
from headwater.locking.filesystem import FileSystemLockManager
from headwater.locking.memory import MemoryLockManager
from headwater.locking.store import StoreLockManager

__all__ = [
    "FileSystemLockManager",
    "LockManager",
    "MemoryLockManager",
    "StoreLockManager",
    "default_holder",
    "default_lock_manager",
]
