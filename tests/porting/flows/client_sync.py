"""The synchronous client: flows, flow runs by id, and a run's state history."""

from prefect import flow, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId


@flow
def tiny(x: int = 1) -> int:
    return x + 1


if __name__ == "__main__":
    state = tiny(return_state=True)
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        assert run.name and run.state.is_completed()
        flows = client.read_flows()
        assert "tiny" in [f.name for f in flows]
        flow_obj = client.read_flow(run.flow_id)
        assert flow_obj.name == "tiny"
        found = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
        )
        assert [r.id for r in found] == [run_id]
        history = client.read_flow_run_states(run_id)
        assert [s.type.value for s in history][-1] == "COMPLETED"
    print("PASS")
