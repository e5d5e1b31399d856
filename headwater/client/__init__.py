"""Clients: how the engine, CLI and users talk to the store or a server."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headwater.client.protocol import Client


def get_client() -> Client:
    """A synchronous client for the configured store: the server's REST API when
    ``HEADWATER_API_URL`` is set, otherwise the embedded store."""
    from headwater.settings import get_settings

    settings = get_settings()
    if settings.api_url:
        from headwater.client.http import HttpClient

        return HttpClient(
            settings.api_url,
            api_key=settings.api_key,
            timeout=settings.api_timeout_seconds,
            retry_seconds=settings.api_retry_seconds,
        )
    from headwater.client.local import LocalClient

    return LocalClient(settings.database_url)
