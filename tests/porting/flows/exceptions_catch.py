"""Catching Prefect's exception types around client calls and runs."""

import asyncio
from uuid import uuid4

from prefect import flow, get_client
from prefect.exceptions import (
    CancelledRun,
    CrashedRun,
    FailedRun,
    MissingResult,
    ObjectAlreadyExists,
    ObjectNotFound,
    ParameterTypeError,
    PrefectException,
    UpstreamTaskError,
)


@flow
def nothing() -> None:
    return None


async def main() -> None:
    async with get_client() as client:
        try:
            await client.read_flow_run(uuid4())
        except ObjectNotFound:
            pass
        else:
            raise AssertionError("expected ObjectNotFound")
        try:
            await client.read_deployment_by_name("no-such-flow/no-such-deployment")
        except ObjectNotFound:
            pass
        else:
            raise AssertionError("expected ObjectNotFound")


if __name__ == "__main__":
    nothing()
    asyncio.run(main())
    for kind in (CancelledRun, CrashedRun, FailedRun, MissingResult, UpstreamTaskError):
        assert issubclass(kind, PrefectException), kind
    assert issubclass(ObjectAlreadyExists, Exception)
    assert issubclass(ParameterTypeError, Exception)
    print("PASS")
