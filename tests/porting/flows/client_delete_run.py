"""Deleting a flow run; reading it afterwards raises ObjectNotFound."""

import asyncio

from prefect import flow, get_client
from prefect.exceptions import ObjectNotFound


@flow
def disposable() -> str:
    return "done"


async def main(run_id) -> None:
    async with get_client() as client:
        run = await client.read_flow_run(run_id)
        assert run.state.is_completed()
        await client.delete_flow_run(run_id)
        try:
            await client.read_flow_run(run_id)
        except ObjectNotFound:
            return
        raise AssertionError("the run should be gone")


if __name__ == "__main__":
    state = disposable(return_state=True)
    asyncio.run(main(state.state_details.flow_run_id))
    print("PASS")
