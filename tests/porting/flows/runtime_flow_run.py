"""prefect.runtime.flow_run inside and outside a flow run."""

from prefect import flow
from prefect.runtime import flow_run


@flow(flow_run_name="report-{day}")
def daily_report(day: str = "monday") -> dict:
    return {
        "id": flow_run.id,
        "name": flow_run.name,
        "flow_name": flow_run.flow_name,
        "parameters": flow_run.parameters,
        "run_count": flow_run.run_count,
        "tags": flow_run.tags,
        "scheduled": flow_run.scheduled_start_time,
        "parent": flow_run.parent_flow_run_id,
    }


if __name__ == "__main__":
    assert flow_run.id is None and flow_run.name is None
    assert flow_run.parameters == {} and flow_run.tags == []
    seen = daily_report("tuesday")
    assert seen["id"] and isinstance(seen["id"], str)
    assert seen["name"] == "report-tuesday", seen
    assert seen["flow_name"] == "daily-report"
    assert seen["parameters"] == {"day": "tuesday"}
    assert seen["run_count"] == 1
    assert seen["tags"] == []
    assert seen["scheduled"] is not None
    assert seen["parent"] is None
    print("PASS")
