"""Lease ids both sides derive from what a lease is for (see server/store/leases.py)."""

from __future__ import annotations

import uuid

_CACHE_LOCKS = uuid.UUID("6f1d52e4-3b8a-4c55-9a57-5c4e4bb6f1a0")


def cache_lock_id(key: str, holder: str) -> uuid.UUID:
    """The id of ``holder``'s lease on cache key ``key``: the holder renews it through
    the lease API without being told it."""
    return uuid.uuid5(_CACHE_LOCKS, f"{holder}\0{key}")
