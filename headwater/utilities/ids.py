"""Fast, time-ordered UUIDs (version 7) for runs, task runs and logs.

``uuid.uuid4()`` asks the kernel for randomness on every call, and a system call
releases the GIL: on a busy process that invites a thread switch per task run.
These ids take 74 random bits from a per-process generator seeded from
``os.urandom`` (reseeded in forked children) and put the time first, so new rows
land at the end of the primary-key index instead of at random places in it.
"""

from __future__ import annotations

import os
import random
import time
import uuid

_rng = random.Random()
_getrandbits = _rng.getrandbits
_time_ns = time.time_ns
_new = uuid.UUID.__new__
_set = object.__setattr__
_UUID = uuid.UUID
_SAFE = uuid.SafeUUID.unknown
_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)


def _reseed() -> None:
    _rng.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed)


def new_id() -> uuid.UUID:
    """A random UUIDv7: 48 bits of Unix milliseconds, then 74 random bits."""
    rand = _getrandbits(74)
    value = (
        (_time_ns() // 1_000_000) << 80
        | _VERSION_AND_VARIANT
        | (rand >> 62) << 64
        | (rand & 0x3FFF_FFFF_FFFF_FFFF)
    )
    out = _new(_UUID)
    _set(out, "int", value)
    _set(out, "is_safe", _SAFE)
    return out
