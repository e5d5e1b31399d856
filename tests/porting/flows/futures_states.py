"""Futures: state, result(raise_on_failure=False), returning a future from a flow."""

from prefect import flow, task


@task
def maybe(x: int) -> int:
    if x == 0:
        raise ZeroDivisionError("zero")
    return 10 // x


@flow
def inspect_futures() -> list:
    futures = [maybe.submit(x) for x in (0, 1, 2)]
    out = []
    for future in futures:
        future.wait()
        value = future.result(raise_on_failure=False)
        out.append((future.state.type.value, type(value).__name__))
    return out


@flow
def returns_future():
    return maybe.submit(5)


if __name__ == "__main__":
    assert inspect_futures() == [
        ("FAILED", "ZeroDivisionError"),
        ("COMPLETED", "int"),
        ("COMPLETED", "int"),
    ]
    assert returns_future().result() == 2  # a returned future gives back its state
    print("PASS")
