"""Persisted results read back from a state returned by another call."""

from prefect import flow, task


@task(persist_result=True)
def build_model() -> dict:
    return {"weights": [0.1, 0.2]}


@flow(persist_result=True)
def train() -> dict:
    return build_model()


if __name__ == "__main__":
    state = train(return_state=True)
    assert state.is_completed()
    assert state.result() == {"weights": [0.1, 0.2]}
    print("PASS")
