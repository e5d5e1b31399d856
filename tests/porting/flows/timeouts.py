"""Task timeouts end the task run Failed with a timeout error."""

import time

from prefect import flow, task


@task(timeout_seconds=0.2)
def hangs() -> None:
    time.sleep(5)


@flow
def guarded() -> str:
    state = hangs(return_state=True)
    assert state.is_failed(), state
    try:
        state.result()
    except TimeoutError:
        return "timed out"
    return "no timeout"


if __name__ == "__main__":
    assert guarded() == "timed out"
    print("PASS")
