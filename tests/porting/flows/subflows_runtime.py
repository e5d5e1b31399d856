"""Subflows see their parent and root run ids through prefect.runtime."""

from prefect import flow
from prefect.runtime import flow_run


@flow
def child() -> dict:
    return {"parent": flow_run.parent_flow_run_id, "root": flow_run.root_flow_run_id}


@flow
def middle() -> dict:
    return {"me": flow_run.id, **child()}


@flow
def parent() -> dict:
    inner = middle()
    return {"root_id": flow_run.id, "middle": inner}


if __name__ == "__main__":
    seen = parent()
    assert seen["middle"]["parent"] == seen["middle"]["me"], seen
    assert seen["middle"]["root"] == seen["root_id"], seen
    print("PASS")
