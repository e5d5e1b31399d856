"""The store a run reports to: a client plus its batching writer, one per URL."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from headwater.client.writer import BatchingWriter, forget_writer, get_writer
from headwater.settings import get_settings

if TYPE_CHECKING:
    from headwater.client.protocol import Client


class Backend:
    __slots__ = ("client", "key", "writer")

    def __init__(self, key: str, client: Client, writer: BatchingWriter) -> None:
        self.key = key
        self.client = client
        self.writer = writer


_backends: dict[str, Backend] = {}
_lock = threading.Lock()


def get_backend() -> Backend:
    """The backend for the current settings (cached per server or store URL)."""
    settings = get_settings()
    key = f"api:{settings.api_url}" if settings.api_url else settings.database_url_or_default
    backend = _backends.get(key)
    if backend is None:
        with _lock:
            backend = _backends.get(key)
            if backend is None:
                from headwater.client import shared_client

                client = shared_client()
                writer = get_writer(key, lambda: client)
                backend = _backends[key] = Backend(key, client, writer)
    return backend


def forget_backends() -> None:
    """Drop cached backends after flushing them (tests switch stores)."""
    with _lock:
        for key, backend in _backends.items():
            forget_writer(key)
            backend.client.close()
        _backends.clear()


def forget_store(database_url: str) -> None:
    """Let go of an embedded store for good (a test harness's temporary one): its
    writer is flushed and stopped, its backend and shared clients dropped, its engine
    disposed."""
    from headwater.client import drop_shared_clients
    from headwater.server.db.database import forget_database

    with _lock:
        backend = _backends.pop(database_url, None)
    forget_writer(database_url)
    if backend is not None:
        backend.client.close()
    drop_shared_clients(database_url)
    forget_database(database_url)


def create_empty_store(database_url: str) -> None:
    """Create an embedded store's schema at ``database_url`` and close it again (a
    template the test harness copies)."""
    from headwater.server.db.database import forget_database, get_database

    get_database(database_url)
    forget_database(database_url)
