"""Opening Headwater's own client for the configured store (a module of its own so
the Prefect-style facade can use it without importing the package back)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headwater.client.protocol import Client


def open_client() -> Client:
    """Headwater's synchronous client for the configured store: the server's REST API
    when ``HEADWATER_API_URL`` is set, otherwise the embedded store.  Close it when done
    (or use it as a context manager) if it talks to a server."""
    from headwater.settings import get_settings

    settings = get_settings()
    if settings.api_url:
        from headwater.client.http import HttpClient

        return HttpClient(
            settings.api_url,
            api_key=settings.api_key,
            timeout=settings.api_timeout_seconds,
            retry_seconds=settings.api_retry_seconds,
            start_timeout=settings.api_start_timeout_seconds,
        )
    from headwater.client.local import LocalClient

    return LocalClient(settings.database_url)
