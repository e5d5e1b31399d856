"""Notification blocks: ``Webhook`` and ``SlackWebhook``, sent through apprise.

``notify(body, subject=None)`` as in Prefect's ``prefect.blocks.notifications``.
Apprise is imported only when a notification is sent.  Apprise's Slack plugin posts
to Slack's own hosts only; a Slack-style URL on another host (a Slack-compatible
relay or chat server, a test receiver) is served by the same plugin pointed at
that host, and a URL in no Slack shape gets Slack's JSON message posted to it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import Field, SecretStr

from headwater.asyncdispatch import async_dispatch, run_in_thread
from headwater.blocks.core import Block
from headwater.blocks.fields import SecretDict
from headwater.exceptions import HeadwaterError

if TYPE_CHECKING:
    import httpx

NotifyType = Literal["info", "success", "warning", "failure"]
_SLACK_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")
_SLACK_SERVICES_PATH = re.compile(r"/services/([A-Za-z0-9]+)/([A-Za-z0-9]+)/([A-Za-z0-9]+)/?")


class NotificationError(HeadwaterError):
    """A notification that could not be delivered."""


class NotificationBlock(Block):
    """Base of blocks that send notifications."""

    _block_abstract = True

    notify_type: NotifyType = Field(
        default="info", description="The kind of notification (info, success, warning, failure)."
    )

    def _notify(self, body: str, subject: str | None = None) -> None:
        raise NotImplementedError

    @async_dispatch
    def notify(self, body: str, subject: str | None = None) -> None:
        """Send ``body`` (with ``subject`` as its title); raises ``NotificationError``."""
        self._notify(body, subject)

    async def anotify(self, body: str, subject: str | None = None) -> None:
        await run_in_thread(self._notify, body, subject)


class Webhook(NotificationBlock):
    """Notifications posted as JSON to any HTTP endpoint.

    ``notify`` posts apprise's JSON format (``{"version", "title", "message", "type"}``);
    ``call()`` sends a payload of your own.
    """

    _block_type_slug = "webhook"

    url: SecretStr = Field(description="The endpoint, e.g. https://example.com/hooks/abc.")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(
        default="POST", description="The HTTP method."
    )
    headers: SecretDict | None = Field(
        default=None, description="HTTP headers to send (secret: they often carry tokens)."
    )
    timeout: float = Field(default=10.0, gt=0, description="Seconds to wait for the endpoint.")

    def _notify(self, body: str, subject: str | None = None) -> None:
        url = self.url.get_secret_value()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise NotificationError(f"webhook URL must be http(s)://host/…, got {parts.scheme!r}")
        query: list[tuple[str, str]] = [("method", self.method)]
        headers = self.headers.get_secret_value() if self.headers else {}
        query += [(f"+{key}", str(value)) for key, value in headers.items()]
        query += [(f"-{key}", value) for key, value in parse_qsl(parts.query)]
        schema = "jsons" if parts.scheme == "https" else "json"
        target = urlunsplit(
            (schema, parts.netloc, parts.path or "/", urlencode(query, quote_via=quote), "")
        )
        _send(target, body, subject, self.notify_type)

    def _call(self, payload: dict[str, Any] | str | None = None) -> httpx.Response:
        headers = self.headers.get_secret_value() if self.headers else {}
        kwargs: dict[str, Any] = {"headers": headers, "timeout": self.timeout}
        if isinstance(payload, str):
            kwargs["content"] = payload
        elif payload is not None:
            kwargs["json"] = payload
        return _http().request(self.method, self.url.get_secret_value(), **kwargs)

    @async_dispatch
    def call(self, payload: dict[str, Any] | str | None = None) -> httpx.Response:
        """Send ``payload`` (JSON for a dict, as-is for a string) and return the response."""
        return self._call(payload)

    async def acall(self, payload: dict[str, Any] | str | None = None) -> httpx.Response:
        return await run_in_thread(self._call, payload)


class SlackWebhook(NotificationBlock):
    """Notifications to a Slack channel through an incoming webhook."""

    _block_type_slug = "slack-webhook"
    _documentation_url = "https://api.slack.com/messaging/webhooks"

    url: SecretStr = Field(
        description="The Slack incoming webhook URL (https://hooks.slack.com/services/…)."
    )

    def _notify(self, body: str, subject: str | None = None) -> None:
        url = self.url.get_secret_value()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise NotificationError(f"Slack webhook URL must be https://…, got {parts.scheme!r}")
        if parts.hostname in _SLACK_HOSTS:
            _send(url, body, subject, self.notify_type)
            return
        match = _SLACK_SERVICES_PATH.fullmatch(parts.path)
        if match:
            _send_to_slack_compatible(parts, match.groups(), body, subject, self.notify_type)
            return
        _post_slack_message(url, body, subject)


# -- delivery -------------------------------------------------------------------------------
_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _http() -> httpx.Client:
    """One HTTP client per process: a new one per call costs its TLS setup (hundreds of
    milliseconds on a busy machine), which an automation would pay on every firing."""
    global _client
    if _client is None:
        import httpx

        with _client_lock:
            if _client is None:
                _client = httpx.Client()
    return _client


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Apprise loads its plugins on first use; on Python 3.11-3.12 one of them imports
    ``imghdr``, which warns that it is deprecated: not the user's concern."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*imghdr", category=DeprecationWarning)
        yield


def _asset() -> Any:
    with _quiet():
        import apprise

    # No persistent cache files in the user's home: every send stands alone.
    return apprise.AppriseAsset(storage_mode="memory")


def _send(url: str, body: str, subject: str | None, notify_type: str) -> None:
    import apprise

    with _quiet():
        plugin = apprise.Apprise.instantiate(url, asset=_asset())
    if plugin is None:
        raise NotificationError("apprise does not accept this notification URL")
    _deliver(plugin, body, subject, notify_type)


def _send_to_slack_compatible(
    parts: Any, tokens: tuple[str, ...], body: str, subject: str | None, notify_type: str
) -> None:
    import apprise

    with _quiet():
        plugin = apprise.Apprise.instantiate("slack://{}/{}/{}/".format(*tokens), asset=_asset())
    if plugin is None:
        raise NotificationError("apprise does not accept this Slack webhook URL")
    # The plugin builds the message and posts it to f"{webhook_url}/A/B/C".
    plugin.webhook_url = f"{parts.scheme}://{parts.netloc}/services"  # type: ignore[attr-defined]
    _deliver(plugin, body, subject, notify_type)


def _deliver(plugin: Any, body: str, subject: str | None, notify_type: str) -> None:
    import apprise

    notifier = apprise.Apprise(asset=_asset())
    notifier.add(plugin)
    with _quiet(), apprise.LogCapture(level=logging.WARNING) as captured:
        sent = notifier.notify(body=body, title=subject or "", notify_type=notify_type)
    if not sent:
        lines = [line for line in captured.getvalue().splitlines() if line.strip()]
        reason = lines[-1].split(" - ", 2)[-1] if lines else "no reason given"
        raise NotificationError(f"notification not delivered: {reason}")


def _post_slack_message(url: str, body: str, subject: str | None) -> None:
    """Slack's incoming-webhook JSON, for Slack-compatible endpoints of other shapes."""
    import httpx

    text = f"*{subject}*\n{body}" if subject else body
    try:
        response = _http().post(url, json={"text": text}, timeout=10.0)
    except httpx.HTTPError as exc:
        raise NotificationError(f"notification not delivered: {exc}") from None
    if response.status_code >= 400:
        raise NotificationError(
            f"notification not delivered: the endpoint answered {response.status_code}"
        )
