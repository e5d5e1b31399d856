"""A flaky task that succeeds on its third attempt; the run count is visible."""

from prefect import flow, task
from prefect.runtime import task_run

attempts: list[int] = []


@task(retries=3, retry_delay_seconds=0)
def call_api() -> str:
    attempts.append(task_run.run_count)
    if len(attempts) < 3:
        raise ConnectionError("service unavailable")
    return "ok"


@flow(retries=1, retry_delay_seconds=0)
def sync_service() -> str:
    return call_api()


if __name__ == "__main__":
    assert sync_service() == "ok"
    assert attempts == [1, 2, 3], attempts
    print("PASS")
