"""wait_for_flow_run on a run that already finished returns it."""

import asyncio

from prefect import flow
from prefect.flow_runs import wait_for_flow_run


@flow
def quick() -> int:
    return 7


async def main(run_id) -> None:
    run = await wait_for_flow_run(run_id, timeout=30, poll_interval=1)
    assert run.id == run_id
    assert run.state.is_completed()


if __name__ == "__main__":
    state = quick(return_state=True)
    asyncio.run(main(state.state_details.flow_run_id))
    print("PASS")
