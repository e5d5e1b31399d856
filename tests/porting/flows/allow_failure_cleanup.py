"""A cleanup task that runs even when its upstream fails (allow_failure)."""

from prefect import allow_failure, flow, task


@task
def risky() -> int:
    raise RuntimeError("upstream broke")


@task
def cleanup(result) -> str:
    return f"cleaned after {type(result).__name__}"


@task
def downstream(x: int) -> int:
    return x


@flow
def with_cleanup() -> tuple:
    future = risky.submit()
    message = cleanup.submit(allow_failure(future)).result()
    blocked = downstream.submit(future)
    blocked.wait()
    return message, blocked.state.name


if __name__ == "__main__":
    message, blocked_state = with_cleanup()
    assert message == "cleaned after RuntimeError", message
    assert blocked_state == "NotReady", blocked_state
    print("PASS")
