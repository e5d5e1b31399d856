from __future__ import annotations

from pathlib import Path

import pytest

from headwater.exceptions import MissingResult
from headwater.results.records import CorruptResult, load_ref, read_result, write_result
from headwater.results.serializers import get_serializer
from headwater.results.storage import LocalStorage


def test_record_holds_its_metadata_and_payload(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    ref = write_result(storage, "k", {"v": 1}, get_serializer("json"), expiration=123.0)
    assert ref["storage"] == tmp_path.as_uri()
    assert ref["serializer"] == "json" and ref["expiration"] == 123.0 and ref["key"] == "k"
    value, header = read_result(storage, "k")
    assert value == {"v": 1}
    assert header["storage_key"] == "k" and header["expiration"] == 123.0
    assert header["created"] == pytest.approx(ref["created"])
    raw = (tmp_path / "k").read_bytes()
    assert raw.startswith(b"HWR1 {") and raw.endswith(b'{"v":1}')
    assert load_ref(ref) == {"v": 1}


def test_corrupt_and_missing_records(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    (tmp_path / "junk").write_bytes(b"not a result")
    with pytest.raises(CorruptResult):
        read_result(storage, "junk")
    ref = write_result(storage, "cut", list(range(100)), get_serializer("pickle"))
    (tmp_path / "cut").write_bytes((tmp_path / "cut").read_bytes()[:-5])
    with pytest.raises(MissingResult, match="unreadable"):
        load_ref(ref)
    (tmp_path / "cut").unlink()
    with pytest.raises(MissingResult, match="is gone"):
        load_ref(ref)
