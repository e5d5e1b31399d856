"""Base job templates: defaults, overrides, placeholders, type checks."""

from __future__ import annotations

import pytest

from headwater.exceptions import UserInputError
from headwater.workers.templates import job_for, render, resolve_variables, unknown_variables

TEMPLATE = {
    "job_configuration": {
        "image": "{{ image }}",
        "env": "{{ env }}",
        "name": "run-{{ name }}-{{ missing }}",
        "command": ["python", "-m", "headwater.engine"],
        "limits": {"memory": "{{memory}}"},
    },
    "variables": {
        "type": "object",
        "properties": {
            "image": {"type": "string", "default": "headwater:1"},
            "env": {"type": "object", "default": {"A": "1"}},
            "name": {"type": "string"},
            "memory": {"type": ["string", "null"], "default": None},
            "missing": {},
        },
    },
}


def test_defaults_then_job_variables() -> None:
    job = job_for(TEMPLATE, {"image": "mine:2", "name": "nightly", "memory": "1g"})
    assert job == {
        "image": "mine:2",
        "env": {"A": "1"},
        "name": "run-nightly-",
        "command": ["python", "-m", "headwater.engine"],
        "limits": {"memory": "1g"},
    }


def test_a_whole_placeholder_keeps_the_value_type_and_none() -> None:
    assert render("{{ env }}", {"env": {"B": 2}}) == {"B": 2}
    assert render(["{{ x }}", "a{{x}}b"], {"x": 3}) == [3, "a3b"]
    assert render("{{ unset }}", {}) is None


def test_defaults_are_not_shared_between_runs() -> None:
    first = resolve_variables(TEMPLATE, {})
    first["env"]["B"] = "2"
    assert resolve_variables(TEMPLATE, {})["env"] == {"A": "1"}


def test_wrong_types_are_named() -> None:
    with pytest.raises(UserInputError, match="job variable 'image' must be string, not int"):
        job_for(TEMPLATE, {"image": 3})
    with pytest.raises(UserInputError, match="'env' must be object"):
        job_for(TEMPLATE, {"env": ["A=1"]})


def test_unknown_variables_are_reported_and_ignored() -> None:
    assert unknown_variables(TEMPLATE, {"image": "x", "imagee": "y"}) == ["imagee"]
    assert job_for(TEMPLATE, {"imagee": "y"})["image"] == "headwater:1"
