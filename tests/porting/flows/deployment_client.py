"""Registering a deployment and creating a run of it through the client."""

import asyncio

from prefect import flow, get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName


@flow
def reporting(region: str = "eu") -> str:
    return region


async def main(deployment_id) -> None:
    async with get_client() as client:
        deployment = await client.read_deployment_by_name("reporting/nightly")
        assert deployment.id == deployment_id
        assert deployment.parameters == {"region": "us"}
        found = await client.read_deployments(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["nightly"]))
        )
        assert [d.id for d in found] == [deployment_id]
        run = await client.create_flow_run_from_deployment(
            deployment.id, parameters={"region": "apac"}, tags=["manual"]
        )
        assert run.deployment_id == deployment.id
        assert run.parameters == {"region": "apac"}
        assert run.state.is_scheduled()
        await client.delete_flow_run(run.id)


if __name__ == "__main__":
    deployment_id = reporting.to_deployment(name="nightly", parameters={"region": "us"}).apply()
    asyncio.run(main(deployment_id))
    print("PASS")
