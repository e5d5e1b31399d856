"""``headwater.state_details``: what a state records besides its type, to and from
the wire form."""

from __future__ import annotations

import datetime as dt
import pickle
import uuid

import pytest

from headwater import states
from headwater.state_details import StateDetails, from_timestamp

UTC = dt.timezone.utc


def test_round_trip_keeps_every_field() -> None:
    when = dt.datetime(2026, 12, 6, 10, 30, tzinfo=UTC)
    details = StateDetails(
        flow_run_id=uuid.uuid4(),
        task_run_id=uuid.uuid4(),
        scheduled_time=when,
        cache_key="k",
        cache_expiration=when,
        retriable=False,
        pause_timeout=when,
        result_ref={"storage_key": "abc"},
        pause_key="approve",
    )
    wire = details.to_dict()
    assert wire["flow_run_id"] == str(details.flow_run_id)
    assert wire["scheduled_time"] == when.isoformat()
    again = StateDetails.from_dict(wire)
    assert again.to_dict() == wire
    assert again.flow_run_id == details.flow_run_id and again.scheduled_time == when


def test_from_dict_skips_unknown_and_empty_fields() -> None:
    assert StateDetails.from_dict(None).to_dict() == {}
    found = StateDetails.from_dict({"cache_key": "k", "nope": 1, "task_run_id": None})
    assert found.to_dict() == {"cache_key": "k"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, None),
        (0.0, dt.datetime(1970, 1, 1, tzinfo=UTC)),
        ("2026-12-06T10:30:00", dt.datetime(2026, 12, 6, 10, 30, tzinfo=UTC)),
        ("2026-12-06T10:30:00+01:00", dt.datetime(2026, 12, 6, 9, 30, tzinfo=UTC)),
    ],
)
def test_from_timestamp_reads_numbers_and_iso_strings(
    given: float | str | None, expected: dt.datetime | None
) -> None:
    assert from_timestamp(given) == expected


def test_still_importable_and_picklable_from_headwater_states() -> None:
    # Pickles made before the class moved name ``headwater.states.StateDetails``.
    assert states.StateDetails is StateDetails
    details = StateDetails(cache_key="k")
    assert pickle.loads(pickle.dumps(details)).to_dict() == {"cache_key": "k"}
