"""A bad parameter: a Failed state with return_state=True, an exception otherwise."""

from prefect import flow


@flow
def load_rows(limit: int) -> int:
    return limit


if __name__ == "__main__":
    state = load_rows("many", return_state=True)
    assert state.is_failed(), state
    assert "limit" in (state.message or ""), state.message
    try:
        load_rows("many")
    except Exception as exc:
        assert "limit" in str(exc)
    else:
        raise AssertionError("expected a parameter error")
    print("PASS")
