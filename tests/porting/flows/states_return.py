"""Returning states to set a run's final state; return_state=True."""

from prefect import flow, task
from prefect.states import Completed, Failed


@task
def check_quality(score: float):
    if score < 0.5:
        return Failed(message=f"score {score} below threshold")
    return Completed(message="quality ok", data=score)


@flow
def gate(score: float):
    return check_quality(score, return_state=True)


if __name__ == "__main__":
    good = gate(0.9, return_state=True)
    # A returned task state decides the flow's state; the caller gets that state back.
    assert good.is_completed() and good.result().result() == 0.9
    bad = gate(0.1, return_state=True)
    assert bad.is_failed(), bad
    assert "below threshold" in (bad.result(raise_on_failure=False).message or "")
    try:
        gate(0.2)
    except Exception:
        pass
    else:
        raise AssertionError("a failed flow should raise when called")
    print("PASS")
