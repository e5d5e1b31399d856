"""Every decorator option Prefect 3 accepts, spelled out."""

from datetime import timedelta

from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import Task, exponential_backoff


def hook(*args) -> None:
    pass


@task(
    name="everything",
    description="a task with every option",
    tags=["a"],
    version="1",
    cache_key_fn=None,
    cache_expiration=timedelta(hours=1),
    task_run_name="everything-{x}",
    retries=1,
    retry_delay_seconds=exponential_backoff(1),
    retry_jitter_factor=0.1,
    persist_result=False,
    result_serializer="json",
    cache_result_in_memory=True,
    timeout_seconds=30,
    log_prints=False,
    refresh_cache=False,
    on_completion=[hook],
    on_failure=[hook],
    on_running=[hook],
    retry_condition_fn=None,
    viz_return_value=None,
)
def everything(x: int) -> int:
    return x


constructed = Task(fn=lambda: 1, name="constructed", on_commit=[hook], on_rollback=[hook])


@flow(
    name="all-options",
    version="2",
    flow_run_name="all-options-run",
    retries=0,
    retry_delay_seconds=0,
    task_runner=ThreadPoolTaskRunner(max_workers=2),
    description="a flow with every option",
    timeout_seconds=60,
    validate_parameters=True,
    persist_result=False,
    result_serializer="pickle",
    cache_result_in_memory=True,
    log_prints=False,
    on_completion=[hook],
    on_failure=[hook],
    on_cancellation=[hook],
    on_crashed=[hook],
    on_running=[hook],
)
def all_options(x: int = 1) -> int:
    return everything(x)


if __name__ == "__main__":
    assert all_options(3) == 3
    again = all_options.with_options(cache_result_in_memory=False, validate_parameters=False)
    assert again(4) == 4
    task_copy = everything.with_options(
        viz_return_value=1, cache_result_in_memory=False, persist_result=True
    )
    assert task_copy.name == "everything"
    print("PASS")
