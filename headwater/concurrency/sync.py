"""``concurrency`` and ``rate_limit`` for synchronous code (see docs/concurrency.md).

from headwater.concurrency.sync import concurrency, rate_limit

with concurrency("database", occupy=2):
    ...
rate_limit("github-api")
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from headwater.concurrency.slots import acquire


@contextlib.contextmanager
def concurrency(
    names: str | Sequence[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    lease_duration: float | None = None,
    strict: bool = False,
) -> Iterator[None]:
    """Hold ``occupy`` slots of every limit in ``names`` for the block.

    Waits (first come, first served) until they are free; ``timeout_seconds`` bounds
    the wait (``AcquireConcurrencySlotTimeoutError``), ``max_retries`` the number of
    one-second waits.  The slots are a lease renewed while held (``lease_duration``,
    default ``HEADWATER_LEASE_SECONDS``): if this process dies they come back one
    lease duration later.  Leaving the block does not wait for the store: the slots
    are given back with this process's next request for slots, or at once by a
    background thread (reads of limits from this process see them given back).
    A missing or inactive limit does not limit, unless
    ``strict`` (a missing limit is then ``ConcurrencyLimitNotFound``)."""
    held = acquire(
        names,
        occupy,
        timeout_seconds=timeout_seconds,
        max_retries=max_retries,
        lease_duration=lease_duration,
        strict=strict,
    )
    try:
        yield
    finally:
        held.release_soon()


def rate_limit(
    names: str | Sequence[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    strict: bool = False,
) -> None:
    """Wait until ``occupy`` slots of every limit in ``names`` are free and take them
    for good: they free up at the limit's ``slot_decay_per_second``, so calls pass at
    that rate (after a first burst of up to ``limit``)."""
    acquire(names, occupy, mode="rate_limit", timeout_seconds=timeout_seconds, strict=strict)
