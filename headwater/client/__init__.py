"""Clients: how the engine, CLI and users talk to the store or a server."""

from __future__ import annotations

import atexit
import threading
from typing import TYPE_CHECKING, Any

from headwater.client.connect import open_client

if TYPE_CHECKING:
    from headwater.client.protocol import Client

__all__ = ["get_client", "open_client", "shared_client"]


def get_client(httpx_settings: dict[str, Any] | None = None, sync_client: bool = False) -> Any:
    """Prefect's ``get_client()``: ``async with get_client() as c`` gives awaitable
    methods, ``with get_client(sync_client=True) as c`` (or no ``with``) plain ones.
    See ``headwater.client.orchestration``."""
    from headwater.client.orchestration import get_client as _get_client

    return _get_client(httpx_settings, sync_client)


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


def drop_shared_clients(database_url: str) -> None:
    """Close and forget the shared clients of one embedded store."""
    with _lock:
        keys = [key for key in _shared if key[0] is None and key[-1] == database_url]
        clients = [_shared.pop(key) for key in keys]
    for client in clients:
        client.close()
