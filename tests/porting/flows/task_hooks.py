"""Task hooks: on_running, on_completion and on_failure, keyword and decorator."""

from prefect import flow, task

calls: list[str] = []


def record_running(task, task_run, state) -> None:
    calls.append(f"running:{task.name}:{state.type.value}")


@task(on_running=[record_running])
def work(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x


@work.on_completion
def done(task, task_run, state) -> None:
    calls.append(f"completed:{state.result()}")


@work.on_failure
def failed(task, task_run, state) -> None:
    calls.append("failed")


@flow
def run_work() -> None:
    work(3)
    work(-1, return_state=True)


if __name__ == "__main__":
    run_work()
    assert calls == [
        "running:work:RUNNING",
        "completed:3",
        "running:work:RUNNING",
        "failed",
    ], calls
    print("PASS")
