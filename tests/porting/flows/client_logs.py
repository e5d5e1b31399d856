"""Reading a flow run's logs back through the client."""

import asyncio
import time

from prefect import flow, get_client, get_run_logger
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId, LogFilterLevel
from prefect.client.schemas.sorting import LogSort


@flow
def chatty() -> None:
    logger = get_run_logger()
    logger.info("starting the batch")
    logger.warning("disk nearly full")


async def read_messages(run_id) -> list[str]:
    async with get_client() as client:
        for _ in range(100):
            logs = await client.read_logs(
                log_filter=LogFilter(
                    flow_run_id=LogFilterFlowRunId(any_=[run_id]),
                    level=LogFilterLevel(ge_=30),
                ),
                sort=LogSort.TIMESTAMP_ASC,
            )
            if logs:
                return [log.message for log in logs]
            time.sleep(0.1)
    return []


if __name__ == "__main__":
    state = chatty(return_state=True)
    messages = asyncio.run(read_messages(state.state_details.flow_run_id))
    assert messages == ["disk nearly full"], messages
    print("PASS")
