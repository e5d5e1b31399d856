from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import uuid

import pytest

from headwater.exceptions import InvalidOptionError
from headwater.results.serializers import (
    SERIALIZER_NAMES,
    Serializer,
    get_serializer,
    register_serializer,
)


@dataclasses.dataclass
class Point:
    x: int
    y: int


@pytest.mark.parametrize("name", SERIALIZER_NAMES)
def test_round_trips_plain_values(name: str) -> None:
    serializer = get_serializer(name)
    value = {"a": [1, 2.5, "x", None, True], "b": {"c": "d"}}
    assert serializer.loads(serializer.dumps(value)) == value
    assert serializer.name == name


def test_json_keeps_common_types() -> None:
    json_ = get_serializer("json")
    value = {
        "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        "day": dt.date(2024, 1, 2),
        "id": uuid.UUID(int=7),
        "amount": decimal.Decimal("1.10"),
        "raw": b"\x00\x01",
        "tags": {"a"},
        "span": dt.timedelta(seconds=90),
    }
    assert json_.loads(json_.dumps(value)) == value
    assert json_.loads(json_.dumps(Point(1, 2))) == {"x": 1, "y": 2}


def test_pickle_handles_functions_from_main_and_compression_shrinks() -> None:
    pickle_ = get_serializer("pickle")
    fn = pickle_.loads(pickle_.dumps(lambda x: x + 1))
    assert fn(1) == 2
    data = "a" * 100_000
    assert len(get_serializer("compressed/pickle").dumps(data)) < len(pickle_.dumps(data)) / 10
    assert get_serializer("compressed").name == "compressed/pickle"


def test_unknown_serializer_is_one_line() -> None:
    with pytest.raises(InvalidOptionError, match="unknown result serializer 'yaml'; use one of"):
        get_serializer("yaml")


def test_custom_serializer_registers_by_name() -> None:
    class Upper(Serializer):
        name = "test-upper"

        def dumps(self, value: str) -> bytes:
            return value.upper().encode()

        def loads(self, data: bytes) -> str:
            return data.decode()

    register_serializer(Upper())
    assert get_serializer("test-upper").loads(get_serializer("test-upper").dumps("ab")) == "AB"
