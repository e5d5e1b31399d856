"""log_prints=True turns print() into run logs."""

from prefect import flow, task


@task
def step() -> None:
    print("inside the task")


@flow(log_prints=True)
def printing() -> str:
    print("inside the flow")
    step()
    return "printed"


if __name__ == "__main__":
    assert printing() == "printed"
    print("PASS")
