"""with_options on flows and tasks."""

from prefect import flow, task

attempts: list[int] = []


@task
def flaky() -> str:
    attempts.append(1)
    if len(attempts) < 2:
        raise OSError("flaky")
    return "fine"


@flow
def base_flow() -> str:
    return flaky.with_options(retries=2, retry_delay_seconds=0, name="flaky-retry")()


if __name__ == "__main__":
    renamed = base_flow.with_options(name="renamed-flow", retries=0, log_prints=True)
    assert renamed.name == "renamed-flow"
    assert renamed() == "fine"
    assert len(attempts) == 2
    print("PASS")
