"""HEADWATER_SERVER_API_KEY: every /api request but health needs the bearer key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from headwater.client.http import HttpClient
from headwater.exceptions import ServerAuthenticationError
from tests._servers import ServerProcess

KEY = "hw-test-key-9f8e7d6c5b4a"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home: Path = tmp_path_factory.mktemp("secured-home")
    with ServerProcess(home, api_key=KEY) as server:
        yield server


def test_requests_without_the_key_get_401(secured: ServerProcess) -> None:
    with httpx.Client(base_url=secured.api_url) as api:
        for method, path in [
            ("GET", "/version"),
            ("POST", "/flow_runs/filter"),
            ("GET", "/openapi.json"),
            ("GET", "/docs"),
            ("GET", "/no/such/path"),
        ]:
            response = api.request(method, path)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"] == "Bearer"
            assert "API key" in response.json()["detail"]
        wrong = api.get("/version", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == "invalid API key"
        basic = api.get("/version", headers={"Authorization": KEY})
        assert basic.status_code == 401


def test_health_needs_no_key(secured: ServerProcess) -> None:
    assert httpx.get(f"{secured.api_url}/health").status_code == 200


def test_the_right_key_is_accepted(secured: ServerProcess) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    response = httpx.get(f"{secured.api_url}/version", headers=headers)
    assert response.status_code == 200


def test_clients_send_headwater_api_key(
    secured: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater.client import get_client

    monkeypatch.setenv("HEADWATER_API_URL", secured.api_url)
    monkeypatch.setenv("HEADWATER_API_KEY", KEY)
    with get_client() as client:
        assert client.read_flows() == []
    monkeypatch.setenv("HEADWATER_API_KEY", "wrong")
    with get_client() as client, pytest.raises(ServerAuthenticationError) as info:
        client.read_flows()
    assert "HEADWATER_API_KEY" in str(info.value) and "wrong" not in str(info.value)
    with HttpClient(secured.api_url) as anonymous, pytest.raises(ServerAuthenticationError):
        anonymous.read_flows()


def test_the_key_never_appears_in_the_server_log(secured: ServerProcess) -> None:
    with httpx.Client(base_url=secured.api_url) as api:
        api.get("/version", headers={"Authorization": f"Bearer {KEY}"})
        api.get("/version", headers={"Authorization": f"Bearer {KEY}x"})
        api.post("/flow_runs", headers={"Authorization": f"Bearer {KEY}"}, content=b"{")
    assert KEY not in secured.log()
