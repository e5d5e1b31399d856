"""Clients: how the engine, CLI and users talk to the store or a server."""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.client.protocol import Client


def get_client(httpx_settings: dict[str, Any] | None = None, sync_client: bool = False) -> Any:
    """Prefect's ``get_client()``: ``async with get_client() as c`` gives awaitable
    methods, ``with get_client(sync_client=True) as c`` (or no ``with``) plain ones.
    See ``headwater.client.orchestration``."""
    from headwater.client.orchestration import get_client as _get_client

    return _get_client(httpx_settings, sync_client)


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


_shared: dict[tuple[object, ...], Client] = {}
_lock = threading.Lock()


def shared_client() -> Client:
    """The process's client for the configured store, reused across calls (blocks,
    variables, the engine): one connection pool per server instead of one per call.
    Closed at exit by ``close_shared_clients``."""
    from headwater.settings import get_settings

    settings = get_settings()
    key = (
        settings.api_url,
        settings.api_key,
        settings.api_timeout_seconds,
        settings.api_retry_seconds,
        settings.api_start_timeout_seconds,
        settings.database_url_or_default,
    )
    client = _shared.get(key)
    if client is None:
        with _lock:
            client = _shared.get(key)
            if client is None:
                if not _shared:
                    atexit.register(close_shared_clients)
                client = _shared[key] = open_client()
    return client


def close_shared_clients() -> None:
    """Flush pending run records (joining the writers' threads), then close every
    shared client."""
    from headwater.client.writer import close_all

    close_all()
    with _lock:
        clients = list(_shared.values())
        _shared.clear()
    for client in clients:
        client.close()
