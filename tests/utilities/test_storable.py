"""The one rule of what stores keep, and parameters made to fit it."""

from __future__ import annotations

from headwater import flow
from headwater.client import get_client
from headwater.utilities.jsonable import bounded_parameters
from headwater.utilities.storable import json_problem, storable_text, text_problem


def test_text_and_json_problems_name_the_place() -> None:
    assert text_problem("plain") is None and text_problem("ünïcode ✓") is None
    assert "NUL" in (text_problem("a\x00") or "")
    assert "surrogate" in (text_problem("\udc80") or "")
    assert json_problem({"a": [1, {"b": float("-inf")}]}, "p") == (
        "p.a[1].b is -inf; NaN and Infinity cannot be stored as JSON"
    )
    assert json_problem({"ok": [1.5, "x", None, True]}, "p") is None
    assert storable_text("a\x00b\ud800") == "a\ufffdb\\ud800"


def test_parameters_are_made_storable_and_marked_unstored() -> None:
    unstored: list[str] = []
    out = bounded_parameters({"x": float("nan"), "path": "caf\udce9.csv", "fine": 1.5}, unstored)
    assert out == {"x": "nan", "path": "caf\\udce9.csv", "fine": 1.5}
    assert unstored == ["x", "path"]


def test_a_local_flow_with_nan_and_a_non_utf8_file_name_runs_and_is_listed() -> None:
    @flow
    def odd_inputs(x: float, path: str) -> float:
        return x

    state = odd_inputs(float("nan"), "caf\udce9.csv", return_state=True)
    assert state.is_completed()
    with get_client() as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.parameters == {"x": "nan", "path": "caf\\udce9.csv"}
    assert run.empirical_policy["unstored_parameters"] == ["x", "path"]
    run.model_dump_json()
