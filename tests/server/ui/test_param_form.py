"""The custom-run form from a real flow's parameter schema, and its values back."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from headwater import flow
from headwater.deployments.schema import parameter_schema
from headwater.exceptions import ParameterValidationError
from headwater.server.store.deployment_runs import check_parameters
from headwater.server.ui.param_form import build_fields, field_errors, parse_form


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Point(BaseModel):
    x: int
    y: int = 0


@flow
def everything(
    count: int,
    label: str = "x",
    ratio: float = 0.5,
    on: bool = True,
    color: Color = Color.RED,
    size: Literal["s", "m", "l"] = "m",
    limit: int | None = None,
    flag: bool | None = None,
    items: list[int] = [1, 2],  # noqa: B006  (a default the form must show)
    point: Point | None = None,
    when: dt.datetime | None = None,
    either: int | str = 1,
) -> None:
    pass


SCHEMA = parameter_schema(everything)


def _fields(defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    return {f.name: f for f in build_fields(SCHEMA, defaults or {})}


def test_each_type_gets_its_widget_and_default() -> None:
    fields = _fields({"count": 3})
    assert list(fields) == [
        "count", "label", "ratio", "on", "color", "size",
        "limit", "flag", "items", "point", "when", "either",
    ]  # fmt: skip
    widgets = {name: f.widget for name, f in fields.items()}
    assert widgets == {
        "count": "integer",
        "label": "text",
        "ratio": "number",
        "on": "checkbox",
        "color": "select",  # an Enum through $ref/$defs
        "size": "select",  # a Literal
        "limit": "integer",  # Optional[int]: an integer that may be empty
        "flag": "select",  # Optional[bool]: true / false / none
        "items": "json",
        "point": "json",  # a model through $ref
        "when": "text",
        "either": "json",  # a union
    }
    assert fields["count"].required and fields["count"].value == "3"  # the deployment's
    assert not fields["label"].required and fields["label"].value == "x"  # the flow's
    assert fields["on"].value == "true"
    assert [c[1] for c in fields["color"].choices] == ["red", "green"]
    assert fields["color"].value == '"red"'
    assert fields["size"].value == '"m"'
    assert fields["limit"].nullable and fields["limit"].value == ""
    assert fields["items"].value == "[\n  1,\n  2\n]"
    assert fields["items"].type_label == "JSON list of integer"
    assert "Point" in fields["point"].type_label
    assert fields["when"].type_label == "text (date-time)"


def test_the_form_reads_back_typed_values() -> None:
    fields = build_fields(SCHEMA, {})
    form = {
        "param-count": "7",
        "param-label": "hello",
        "param-ratio": "2",
        "param-color": '"green"',
        "param-size": '"l"',
        "param-limit": "",
        "param-flag": "false",
        "param-items": "[3]",
        "param-point": '{"x": 1}',
        "param-when": "",
        "param-either": '"text"',
    }
    parameters, errors = parse_form(fields, form)
    assert errors == {}
    assert parameters == {
        "count": 7,
        "label": "hello",
        "ratio": 2,
        "on": False,  # an unticked checkbox
        "color": "green",
        "size": "l",
        "limit": None,  # empty and nullable: null
        "flag": False,
        "items": [3],
        "point": {"x": 1},
        "when": None,
        "either": "text",
    }
    check_parameters(SCHEMA, parameters)  # the server takes them as they are


def test_wrong_values_reach_the_server_validator_with_their_field() -> None:
    fields = build_fields(SCHEMA, {})
    form = {"param-count": "abc", "param-items": '["a"]', "param-point": "{bad", "param-size": "1"}
    parameters, errors = parse_form(fields, form)
    assert set(errors) == {"point"} and errors["point"].startswith("is not valid JSON")
    assert parameters["count"] == "abc"  # passed on: the validator names the problem
    assert fields[0].value == "abc"  # the form shows what was typed
    with pytest.raises(ParameterValidationError) as caught:
        check_parameters(SCHEMA, parameters)
    by_name, general = field_errors(caught.value.errors)
    assert by_name["count"] == "'abc' is not an integer"
    assert by_name["items"] == "[0]: 'a' is not an integer"
    assert by_name["size"].startswith("1 is not one of 's', 'm', 'l'")
    assert general == []


def test_an_empty_required_value_is_left_out_so_the_server_says_it_is_required() -> None:
    fields = build_fields(SCHEMA, {})
    parameters, errors = parse_form(fields, {"param-count": "  "})
    assert "count" not in parameters and errors == {}
    with pytest.raises(ParameterValidationError) as caught:
        check_parameters(SCHEMA, parameters)
    assert field_errors(caught.value.errors)[0] == {"count": "is required"}


def test_numbers_keep_their_kind_and_odd_text_is_not_a_number() -> None:
    fields = build_fields(SCHEMA, {})
    for text, expected in (("3", 3), ("3.0", 3.0), ("1e3", 1000), ("-0.25", -0.25)):
        parameters, _ = parse_form(fields, {"param-ratio": text})
        assert parameters["ratio"] == expected and type(parameters["ratio"]) is type(expected)
    for text in ("nan", "inf", "1e400", "1,5"):
        parameters, _ = parse_form(fields, {"param-ratio": text})
        assert parameters["ratio"] == text  # refused by the validator, not a crash


def test_without_a_schema_each_default_is_a_json_field() -> None:
    fields = build_fields({}, {"a": 1, "b": {"c": [1]}})
    assert [(f.name, f.widget) for f in fields] == [("a", "json"), ("b", "json")]
    parameters, errors = parse_form(fields, {"param-a": "2", "param-b": ""})
    assert parameters == {"a": 2} and errors == {}


def test_errors_outside_a_parameter_are_general() -> None:
    by_name, general = field_errors(
        [
            {"loc": ["body", "parameters"], "msg": "is not an object"},
            {"loc": ["body", "parameters", "x"], "msg": "is required"},
            {"loc": ["body", "parameters", "x", "y"], "msg": "is not a string"},
        ]
    )
    assert general == ["parameters: is not an object"]
    assert by_name == {"x": "is required; ['y']: is not a string"}
