"""Reading a block document by name through the client."""

import asyncio

from prefect import get_client
from prefect.blocks.system import Secret


async def main() -> None:
    async with get_client() as client:
        document = await client.read_block_document_by_name(
            name="slack-token", block_type_slug="secret"
        )
        assert document.name == "slack-token"
        assert document.data["value"] == "xoxb-123"


if __name__ == "__main__":
    Secret(value="xoxb-123").save("slack-token", overwrite=True)
    asyncio.run(main())
    print("PASS")
