"""Async tasks gathered inside an async flow."""

import asyncio

from prefect import flow, task


@task
async def fetch(i: int) -> int:
    await asyncio.sleep(0.01)
    return i * 10


@flow
async def gather_all(n: int = 4) -> list[int]:
    return await asyncio.gather(*(fetch(i) for i in range(n)))


if __name__ == "__main__":
    assert asyncio.run(gather_all()) == [0, 10, 20, 30]
    print("PASS")
