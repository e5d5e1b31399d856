"""Clients: how the engine, CLI and users talk to the store or a server."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from headwater.client.protocol import Client


def get_client() -> Client:
    """A synchronous client for the configured store (the embedded one by default)."""
    from headwater.client.local import LocalClient
    from headwater.settings import get_settings

    return LocalClient(get_settings().database_url)
