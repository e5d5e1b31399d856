"""Creating and reading variables through the client."""

import asyncio

from prefect import get_client
from prefect.client.schemas.actions import VariableCreate


async def main() -> None:
    async with get_client() as client:
        created = await client.create_variable(
            VariableCreate(name="batch_size", value=500, tags=["etl"])
        )
        assert created.name == "batch_size"
        found = await client.read_variable_by_name("batch_size")
        assert found is not None and found.value == 500
        assert await client.read_variable_by_name("missing_variable") is None
        await client.delete_variable_by_name("batch_size")
        assert await client.read_variable_by_name("batch_size") is None


if __name__ == "__main__":
    asyncio.run(main())
    print("PASS")
