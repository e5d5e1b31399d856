"""``async_dispatch``: an awaitable in coroutines, a plain value everywhere else."""

from __future__ import annotations

import asyncio

from headwater.asyncdispatch import async_dispatch


@async_dispatch
def double(x: int) -> int:
    return x * 2


def test_plain_call_outside_any_loop() -> None:
    assert double(2) == 4


def test_awaitable_inside_a_coroutine() -> None:
    async def main() -> int:
        pending = double(3)
        assert asyncio.iscoroutine(pending)
        return await pending

    assert asyncio.run(main()) == 6


def test_plain_value_when_a_loop_is_marked_running_but_no_coroutine_calls() -> None:
    """Greenlet bridges (Playwright's sync API) mark a loop running in the main
    thread while ordinary synchronous code runs there."""
    loop = asyncio.new_event_loop()
    asyncio.events._set_running_loop(loop)
    try:
        assert double(5) == 10
        pending = double(5, _sync=False)
        assert asyncio.iscoroutine(pending)
        pending.close()
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()
