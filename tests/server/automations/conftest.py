"""The local HTTP receiver of the block tests, and a client on the shared server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from headwater.client.http import HttpClient
from tests._servers import ServerProcess
from tests.blocks.conftest import Receiver, receiver

__all__ = ["Receiver", "receiver"]


@pytest.fixture
def server_client(
    api_server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HttpClient]:
    """An ``HttpClient`` on the module's server, also the engine's and blocks' target."""
    monkeypatch.setenv("HEADWATER_API_URL", api_server.api_url)
    with HttpClient(api_server.api_url, retry_seconds=10) as client:
        yield client
