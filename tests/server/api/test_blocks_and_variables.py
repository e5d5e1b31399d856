"""Blocks, variables and result locks through a real server: the same Python API as
the embedded store, secrets encrypted with the server's key and masked on reads."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from headwater.blocks import Secret
from headwater.exceptions import BlockNotFound, ObjectAlreadyExists
from headwater.variables import Variable
from tests._servers import ServerProcess


@pytest.fixture
def through_server(api_server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> ServerProcess:
    """Point this test process's client at the module's server."""
    monkeypatch.setenv("HEADWATER_API_URL", api_server.api_url)
    return api_server


def test_secret_saved_through_the_server_is_masked_unless_asked(
    through_server: ServerProcess, api: httpx.Client, headwater_home: Path
) -> None:
    Secret(value="hunter2-over-http").save("http-password", overwrite=True)
    assert Secret.load("http-password").get() == "hunter2-over-http"
    masked = api.get("/block_documents/secret/http-password").json()
    assert masked["data"]["value"] == "**********" and not masked["secrets_included"]
    revealed = api.get("/block_documents/secret/http-password?include_secrets=true").json()
    assert revealed["data"]["value"] == "hunter2-over-http"
    # The key stays with the server: the client's home has none.
    assert not (headwater_home / "encryption.key").exists()
    assert (through_server.home / "encryption.key").exists()


def test_block_errors_come_back_as_the_same_exceptions(through_server: ServerProcess) -> None:
    Secret(value="a").save("taken-name", overwrite=True)
    with pytest.raises(ObjectAlreadyExists):
        Secret(value="b").save("taken-name")
    with pytest.raises(BlockNotFound, match="no secret block named 'never-saved'"):
        Secret.load("never-saved")
    Secret.delete("taken-name")
    with pytest.raises(BlockNotFound):
        Secret.load("taken-name")


def test_block_listing_and_types(through_server: ServerProcess, api: httpx.Client) -> None:
    Secret(value="x").save("listed", overwrite=True)
    slugs = {t["slug"] for t in api.get("/block_types").json()}
    assert "secret" in slugs
    listed = api.post("/block_documents/filter", json={"name": "listed"}).json()
    names = [d["name"] for d in listed]
    assert "listed" in names
    assert api.get("/block_types/no-such-type").status_code == 404
    assert api.get("/block_documents/secret/Bad Name").status_code in (404, 422)
    huge = api.post("/block_documents/filter", json={"offset": 10**40})
    assert huge.status_code == 422 and "offset" in huge.text


def test_variables_through_the_server(through_server: ServerProcess, api: httpx.Client) -> None:
    name = f"regions_{uuid.uuid4().hex[:8]}"  # the server is shared: a name of its own
    Variable.set(name, ["eu", "us"], overwrite=True)
    assert Variable.get(name) == ["eu", "us"]
    assert Variable.get("missing", default="fallback") == "fallback"
    with pytest.raises(ObjectAlreadyExists):
        Variable.set(name, ["x"])
    listed = api.post("/variables/filter", json={"limit": 1000}).json()
    assert name in [v["name"] for v in listed]
    assert api.get("/variables/missing").status_code == 404
    Variable.unset(name)
    assert Variable.get(name) is None
    bad = api.post("/variables", json={"name": "Bad Name", "value": 1})
    assert bad.status_code == 422 and "variable names" in bad.json()["detail"]


def test_cache_locks(api: httpx.Client) -> None:
    body = {"key": f"k-{uuid.uuid4().hex}", "holder": "a", "ttl_seconds": 30}
    assert api.post("/cache_locks/acquire", json=body).json() == {"acquired": True}
    other = {**body, "holder": "b"}
    assert api.post("/cache_locks/acquire", json=other).json() == {"acquired": False}
    assert api.post("/cache_locks/release", json=other).json() == {"released": False}
    assert api.post("/cache_locks/release", json=body).json() == {"released": True}
    assert api.post("/cache_locks/acquire", json=other).json() == {"acquired": True}
    assert api.post("/cache_locks/acquire", json={"key": ""}).status_code == 422
