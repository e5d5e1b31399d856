"""Creating and listing work pools through the client."""

import asyncio

from prefect import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists


async def main() -> None:
    async with get_client() as client:
        pool = await client.create_work_pool(WorkPoolCreate(name="local-pool", type="process"))
        assert pool.name == "local-pool"
        try:
            await client.create_work_pool(WorkPoolCreate(name="local-pool", type="process"))
        except ObjectAlreadyExists:
            pass
        else:
            raise AssertionError("expected ObjectAlreadyExists")
        names = [p.name for p in await client.read_work_pools()]
        assert "local-pool" in names
        assert (await client.read_work_pool("local-pool")).type == "process"


if __name__ == "__main__":
    asyncio.run(main())
    print("PASS")
