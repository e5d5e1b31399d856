"""``headwater notification create --state Failed --tag T --block slack-webhook/NAME``
on a real server: a failed run with the tag reaches the Slack-style receiver."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from headwater import flow, tags
from headwater.blocks.notifications import SlackWebhook
from headwater.client.writer import flush_all
from tests._servers import ServerProcess
from tests.blocks.conftest import Receiver, receiver
from tests.server.automations.test_notifications import wait_for

__all__ = ["receiver"]


def test_notification_commands(
    cli: Callable[..., Any],
    api_server: ServerProcess,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEADWATER_API_URL", api_server.api_url)
    tag = f"notify-{uuid.uuid4().hex[:8]}"
    SlackWebhook(url=f"{receiver.url}/ops/{tag}").save(f"ops-{tag}")
    made: Any = cli(
        "notification", "create", "--state", "failed,Crashed", "--tag", tag,
        "--block", f"slack-webhook/ops-{tag}",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    notification_id = made.output.strip().rsplit("(", 1)[-1].rstrip(")")
    listed: Any = cli("notification", "ls")
    assert notification_id in listed.output and tag in listed.output

    @flow(name=f"etl-{tag}", flow_run_name="nightly")
    def etl() -> None:
        raise RuntimeError("disk full")

    with tags("other"), pytest.raises(RuntimeError):
        etl()  # not the tag: no notification
    with tags(tag), pytest.raises(RuntimeError):
        etl()
    flush_all()
    [request] = wait_for(receiver)
    assert request.path == f"/ops/{tag}"
    text = request.json()["text"]
    assert f"etl-{tag}/nightly entered state Failed: " in text and "disk full" in text
    assert "Paused" in cli("notification", "pause", notification_id).output
    assert "Deleted" in cli("notification", "delete", notification_id).output
    bad: Any = cli("notification", "create", "--state", "Exploded", "--block", "x/y")
    assert bad.exit_code != 0 and "unknown state" in bad.output
