"""``headwater concurrency-limit …`` and ``headwater global-concurrency-limit …``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from headwater.client import open_client
from headwater.schemas.concurrency import SlotRequest


def _out(result: Any) -> str:
    return result.output + (result.stderr if result.stderr_bytes else "")


def test_tag_limits(database_url: str, cli: Callable[..., Any]) -> None:
    created = cli("concurrency-limit", "create", "etl", "2")
    assert created.exit_code == 0 and "concurrency_limit - 2" in created.output
    assert cli("concurrency-limit", "create", "etl", "3").exit_code == 0  # changes it
    with open_client() as client:
        grant = client.acquire_concurrency_slots(SlotRequest(names=["tag:etl"], holder="test"))
    listed = cli("concurrency-limit", "ls")
    assert listed.exit_code == 0 and "etl" in listed.output and "3" in listed.output
    inspected = cli("concurrency-limit", "inspect", "etl")
    assert inspected.exit_code == 0 and "Active Slots" in inspected.output
    assert "test" in inspected.output  # the holder
    reset = cli("concurrency-limit", "reset", "etl")
    assert "Reset concurrency limit set on the tag: etl" in reset.output
    with open_client() as client:
        assert client.read_concurrency_limit("tag:etl").active_slots == 0
        assert not client.release_lease(grant.lease_id)
    deleted = cli("concurrency-limit", "delete", "etl")
    assert "Deleted concurrency limit set on the tag: etl" in deleted.output
    for command in ("inspect", "reset", "delete"):
        missing = cli("concurrency-limit", command, "etl")
        assert missing.exit_code == 1 and "no concurrency limit on the tag 'etl'" in _out(missing)
    bad = cli("concurrency-limit", "create", "etl", "-1")
    assert bad.exit_code == 2


def test_global_limits(database_url: str, cli: Callable[..., Any]) -> None:
    gcl = "global-concurrency-limit"
    made = cli(gcl, "create", "db", "--limit", "3", "--slot-decay-per-second", "1.5")
    assert made.exit_code == 0 and "Created global concurrency limit with name 'db'" in made.output
    again = cli(gcl, "create", "db", "--limit", "3")
    assert again.exit_code == 1 and "exists already" in _out(again)
    assert cli(gcl, "create", "tag:x", "--limit", "1").exit_code == 1
    listed = cli(gcl, "ls")
    assert "db" in listed.output and "1.5" in listed.output
    assert cli(gcl, "disable", "db").exit_code == 0
    assert cli(gcl, "update", "db", "--limit", "5").exit_code == 0
    data = json.loads(cli(gcl, "inspect", "db", "--output", "json").output)
    assert (data["limit"], data["active"], data["slot_decay_per_second"]) == (5, False, 1.5)
    assert cli(gcl, "enable", "db").exit_code == 0
    assert "True" in cli(gcl, "inspect", "db").output
    assert cli(gcl, "update", "db").exit_code == 1  # nothing to change
    assert cli(gcl, "delete", "db").exit_code == 0
    missing = cli(gcl, "inspect", "db")
    assert missing.exit_code == 1 and "no global concurrency limit named 'db'" in _out(missing)
    assert cli(gcl, "create", "neg", "--limit", "-1").exit_code == 2
