"""Results on S3 (``s3://`` through fsspec and s3fs) against a real S3 API: moto's
server on loopback, started here (no mock inside this process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("s3fs", reason="s3fs is not installed")
pytest.importorskip("moto.server", reason="moto[server] is not installed")

from headwater import flow, task
from headwater.cache_policies import INPUTS
from tests._servers import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new bucket; the AWS variables point every S3 client (here and in child
    processes) at the loopback server."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    import boto3

    name = f"hw-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def _keys(bucket: str) -> list[str]:
    import boto3

    listing = boto3.client("s3").list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_results_persist_to_s3_and_cache_hits_read_them_back(bucket: str) -> None:
    calls: list[int] = []

    @task(cache_policy=INPUTS, persist_result=True, result_storage=f"s3://{bucket}/results")
    def square(x: int) -> dict[str, int]:
        calls.append(x)
        return {"square": x * x}

    @flow
    def pipeline() -> tuple[dict[str, int], str]:
        state = square(7, return_state=True)
        return state.result(), state.name

    assert pipeline() == ({"square": 49}, "Completed")
    keys = _keys(bucket)
    assert len(keys) == 1 and keys[0].startswith("results/")
    assert pipeline() == ({"square": 49}, "Cached")
    assert calls == [7]  # the second flow run read the result from S3


def test_a_flow_result_and_the_settings_default_go_to_s3(
    bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_RESULTS_STORAGE", f"s3://{bucket}/default")

    @task(persist_result=True)
    def word() -> str:
        return "stored on s3"

    @flow(persist_result=True)
    def pipeline() -> str:
        return word()

    assert pipeline() == "stored on s3"
    keys = _keys(bucket)
    assert len(keys) == 2 and all(k.startswith("default/") for k in keys)


def test_a_remote_file_system_block_on_s3_is_a_result_storage(bucket: str) -> None:
    from headwater.blocks.filesystems import RemoteFileSystem

    storage = RemoteFileSystem(basepath=f"s3://{bucket}/block")

    @task(persist_result=True, result_storage=storage)
    def numbers() -> list[int]:
        return [1, 2, 3]

    @flow
    def pipeline() -> list[int]:
        return numbers()

    assert pipeline() == [1, 2, 3]
    keys = _keys(bucket)
    assert len(keys) == 1 and keys[0].startswith("block/")
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
