"""Runtime values overridden by environment variables, as in tests of flows."""

import os

os.environ["PREFECT__RUNTIME__FLOW_RUN__NAME"] = "pinned-name"
os.environ["PREFECT__RUNTIME__DEPLOYMENT__NAME"] = "nightly"
os.environ["PREFECT__RUNTIME__TASK_RUN__TASK_NAME"] = "mocked"

from prefect import flow
from prefect.runtime import deployment, flow_run, task_run


@flow
def named() -> tuple:
    return flow_run.name, deployment.name


if __name__ == "__main__":
    assert flow_run.name == "pinned-name"
    assert named() == ("pinned-name", "nightly")
    assert task_run.task_name == "mocked"
    assert deployment.id is None
    print("PASS")
