"""Webhook and SlackWebhook deliver to a real local HTTP receiver."""

from __future__ import annotations

import pytest

from headwater.blocks.notifications import NotificationError, SlackWebhook, Webhook


def test_webhook_notify_posts_apprise_json(receiver) -> None:
    hook = Webhook(url=f"{receiver.url}/hooks/abc?team=data", headers={"X-Token": "s3cr3t"})
    hook.notify("the nightly load finished", subject="ETL")
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path.startswith("/hooks/abc")
    assert "team=data" in request.path
    assert request.headers["x-token"] == "s3cr3t"
    payload = request.json()
    assert payload["title"] == "ETL"
    assert payload["message"] == "the nightly load finished"
    assert payload["type"] == "info"


def test_webhook_method_and_notify_type(receiver) -> None:
    Webhook(url=f"{receiver.url}/h", method="PUT", notify_type="failure").notify("down")
    [request] = receiver.requests
    assert request.method == "PUT"
    assert request.json()["type"] == "failure"


def test_webhook_call_sends_a_payload_of_its_own(receiver) -> None:
    response = Webhook(url=f"{receiver.url}/raw", headers={"A": "b"}).call({"k": 1})
    assert response.status_code == 200
    [request] = receiver.requests
    assert request.json() == {"k": 1}
    assert request.headers["a"] == "b"


def test_webhook_failure_raises(receiver) -> None:
    receiver.status = 500
    with pytest.raises(NotificationError, match="not delivered"):
        Webhook(url=f"{receiver.url}/h").notify("x")


def test_webhook_saved_and_loaded_keeps_secret_headers(receiver, database_url: str) -> None:
    Webhook(url=f"{receiver.url}/h", headers={"Authorization": "Bearer t0k"}).save("ops")
    loaded = Webhook.load("ops")
    assert "t0k" not in repr(loaded)
    loaded.notify("hello")
    assert receiver.requests[0].headers["authorization"] == "Bearer t0k"


def test_slack_webhook_in_slack_url_shape_goes_through_apprise_slack(receiver) -> None:
    url = f"{receiver.url}/services/T0001/B0002/abcDEF123"
    SlackWebhook(url=url).notify("disk is 91% full", subject="Alert")
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/services/T0001/B0002/abcDEF123"
    payload = request.json()
    # Slack's incoming-webhook message, as apprise's Slack plugin builds it.
    text = str(payload)
    assert "disk is 91% full" in text and "Alert" in text
    assert "attachments" in payload or "blocks" in payload or "text" in payload


def test_slack_webhook_other_url_gets_slack_json(receiver) -> None:
    SlackWebhook(url=f"{receiver.url}/hooks/xyz").notify("deployed", subject="CD")
    [request] = receiver.requests
    assert request.path == "/hooks/xyz"
    assert request.json() == {"text": "*CD*\ndeployed"}


def test_slack_webhook_unreachable_raises() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NotificationError):
        SlackWebhook(url=f"http://127.0.0.1:{port}/services/T1/B1/C1").notify("x")


def test_slack_url_is_secret_in_repr_and_store(database_url: str) -> None:
    from headwater.client import get_client

    SlackWebhook(url="https://hooks.slack.com/services/T1/B1/SECRETTOKEN").save("alerts")
    assert "SECRETTOKEN" not in repr(SlackWebhook.load("alerts"))
    document = get_client().read_block_document("slack-webhook", "alerts")
    assert document.data["url"] == "**********"


def test_notify_rejects_non_http_urls() -> None:
    with pytest.raises(NotificationError, match="http"):
        Webhook(url="ftp://example.com/x").notify("x")
