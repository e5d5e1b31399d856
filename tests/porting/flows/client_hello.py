"""A health check: the client answers hello()."""

import asyncio

from prefect import get_client


async def healthy() -> bool:
    async with get_client() as client:
        response = await client.hello()
        return response.status_code == 200


if __name__ == "__main__":
    assert asyncio.run(healthy())
    with get_client(sync_client=True) as client:
        assert client.hello().status_code == 200
    print("PASS")
