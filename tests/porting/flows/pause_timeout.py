"""Pausing for approval with a timeout."""

from prefect import flow
from prefect.flow_runs import pause_flow_run, resume_flow_run, suspend_flow_run


@flow
def approval() -> str:
    pause_flow_run(timeout=1)
    return "approved"


if __name__ == "__main__":
    assert callable(resume_flow_run) and callable(suspend_flow_run)
    state = approval(return_state=True)
    assert state.is_failed(), state
    print("PASS")
