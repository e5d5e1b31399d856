"""Prefect's module name for the lock manager interface."""

from __future__ import annotations

from headwater.locking.base import LockManager

__all__ = ["LockManager"]
