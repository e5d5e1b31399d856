"""Results on S3 (``s3://`` through fsspec and s3fs) against a real S3 API: moto's
server on loopback, started here (no mock inside this process)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("s3fs", reason="s3fs is not installed")
pytest.importorskip("moto.server", reason="moto[server] is not installed")

from headwater import flow, task
from headwater.cache_policies import INPUTS
from tests._s3 import keys as bucket_keys

pytestmark = pytest.mark.slow


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
    keys = bucket_keys(bucket)
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
    keys = bucket_keys(bucket)
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
    keys = bucket_keys(bucket)
    assert len(keys) == 1 and keys[0].startswith("block/")
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
