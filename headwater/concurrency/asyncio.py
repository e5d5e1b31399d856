"""``concurrency`` and ``rate_limit`` for async code: the same as
``headwater.concurrency.sync``, awaitable (the waiting does not block the loop).

    from headwater.concurrency.asyncio import concurrency, rate_limit

    async with concurrency("database", occupy=2):
        ...
    await rate_limit("github-api")
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from headwater.concurrency.slots import Slots, request_for, try_now, wait


async def _acquire(
    names: str | Sequence[str],
    occupy: int,
    *,
    mode: str = "concurrency",
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    lease_duration: float | None = None,
    strict: bool = False,
) -> Slots:
    client, request = request_for(
        names, occupy, mode=mode, lease_duration=lease_duration, strict=strict
    )
    held = try_now(client, request)
    if held is not None:
        return held
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(
        None,
        lambda: wait(client, request, timeout_seconds=timeout_seconds, max_retries=max_retries),
    )
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        # The thread may still get the slots: give them back when it does.
        future.add_done_callback(_release_late)
        raise


def _release_late(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().release()


@contextlib.asynccontextmanager
async def concurrency(
    names: str | Sequence[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    lease_duration: float | None = None,
    strict: bool = False,
) -> AsyncIterator[None]:
    """See ``headwater.concurrency.sync.concurrency``."""
    held = await _acquire(
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
        held.release_soon()  # no wait for the store (see ``client/releases.py``)


async def rate_limit(
    names: str | Sequence[str],
    occupy: int = 1,
    timeout_seconds: float | None = None,
    strict: bool = False,
) -> None:
    """See ``headwater.concurrency.sync.rate_limit``."""
    await _acquire(names, occupy, mode="rate_limit", timeout_seconds=timeout_seconds, strict=strict)
