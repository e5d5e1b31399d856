"""Flow code in object storage: ``from_source("s3://…")``, ``RemoteStorage`` and a saved
``RemoteFileSystem`` block, against moto's S3 server on loopback, run by a real worker."""

from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path

import pytest

pytest.importorskip("s3fs", reason="s3fs is not installed")
pytest.importorskip("moto.server", reason="moto[server] is not installed")

from headwater.client import get_client
from headwater.core.pull_steps import check_pull_steps
from headwater.deployments import RemoteStorage
from headwater.deployments.remote_source import (
    RemoteSourceError,
    pull_from_remote_storage,
    pull_from_s3,
)
from headwater.deployments.source import is_git_source
from headwater.exceptions import InvalidOptionError, UserInputError
from headwater.schemas.filters import LogFilter
from headwater.schemas.work_pools import WorkPoolCreate
from tests._s3 import put_files
from tests._servers import ServerProcess, SharedServers
from tests._workers import FAST_ENV, worker

pytestmark = pytest.mark.slow

FLOWS = textwrap.dedent(
    """
    from headwater import flow, get_run_logger
    from helpers import greeting

    @flow
    def from_s3(name: str = "world") -> str:
        get_run_logger().info("%s from a bucket", greeting(name))
        return greeting(name)
    """
)
HELPERS = 'def greeting(name):\n    return f"hello {name}"\n'


@pytest.fixture
def here(tmp_path: Path) -> Path:
    """Each test starts and ends in its own directory (pull steps change into one)."""
    before = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(before)


def test_a_pull_downloads_each_version_of_the_folder_once(bucket: str, here: Path) -> None:
    put_files(bucket, "project", {"flows.py": FLOWS, "lib/helpers.py": HELPERS})
    first = pull_from_remote_storage(f"s3://{bucket}/project")
    assert Path.cwd() == first
    assert (first / "flows.py").read_text() == FLOWS
    assert (first / "lib" / "helpers.py").read_text() == HELPERS
    stamp = (first / "flows.py").stat().st_mtime_ns

    again = pull_from_remote_storage(f"s3://{bucket}/project/")  # unchanged: no download
    assert again == first and (first / "flows.py").stat().st_mtime_ns == stamp

    put_files(bucket, "project", {"flows.py": FLOWS + "\n# v2\n"})
    second = pull_from_remote_storage(f"s3://{bucket}/project")
    assert second != first and second.parent == first.parent
    assert (second / "flows.py").read_text().endswith("# v2\n")
    assert (first / "flows.py").exists()  # a run still going keeps its copy

    for version in range(3, 6):
        put_files(bucket, "project", {"flows.py": FLOWS + f"\n# v{version}\n"})
        pull_from_remote_storage(f"s3://{bucket}/project")
    copies = [p for p in first.parent.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(copies) == 3 and not first.exists()  # the three newest are kept


def test_prefect_aws_pull_from_s3_takes_its_credential_names(bucket: str, here: Path) -> None:
    put_files(bucket, "code", {"flows.py": FLOWS})
    directory = pull_from_s3(
        bucket,
        "code/",
        credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"},
        client_parameters={"endpoint_url": os.environ["AWS_ENDPOINT_URL"]},
    )
    assert (directory / "flows.py").read_text() == FLOWS


def test_bad_sources_say_what_is_wrong_in_one_line(bucket: str, here: Path) -> None:
    from headwater import flow
    from headwater.blocks.filesystems import RemoteFileSystem

    with pytest.raises(RemoteSourceError, match=r"no files under .*/empty"):
        pull_from_remote_storage(f"s3://{bucket}/empty")
    with pytest.raises(RemoteSourceError, match=r"nosuchfs://bucket/x: Protocol not known"):
        pull_from_remote_storage("nosuchfs://bucket/x")
    with pytest.raises(UserInputError, match=r"save the RemoteFileSystem block first"):
        flow.from_source(RemoteFileSystem(basepath=f"s3://{bucket}/x"), "flows.py:from_s3")
    with pytest.raises(UserInputError, match="RemoteStorage needs a URL"):
        RemoteStorage("/a/local/path")
    with pytest.raises(InvalidOptionError, match=r"pull_with_block\): missing block_type_slug"):
        check_pull_steps([{"pull_with_block": {"block_document_name": "x"}}])
    with pytest.raises(InvalidOptionError, match=r"unknown argument\(s\) region"):
        check_pull_steps([{"pull_from_s3": {"bucket": "b", "folder": "f", "region": "x"}}])
    steps = [{"prefect_aws.deployments.steps.pull_from_s3": {"bucket": "b", "folder": "f"}}]
    assert check_pull_steps(steps) == [{"pull_from_s3": {"bucket": "b", "folder": "f"}}]
    # Any setting of the file system may follow the URL.
    remote = [{"pull_from_remote_storage": {"url": "s3://b/f", "anon": True}}]
    assert check_pull_steps(remote) == remote


def test_object_storage_urls_are_not_git_repositories() -> None:
    assert not is_git_source("s3://bucket/flows")
    assert not is_git_source("s3://bucket/flows.git")
    assert not is_git_source("gcs://bucket/flows")
    assert is_git_source("https://example.com/acme/flows")
    assert is_git_source("git@example.com:acme/flows.git")


# -- end to end: a worker pulls the code -------------------------------------------------


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers) -> ServerProcess:
    return shared_servers.get("sqlite", FAST_ENV)


@pytest.fixture
def pool(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HEADWATER_API_URL", server.api_url)
    for key, value in FAST_ENV.items():
        monkeypatch.setenv(key, value)
    name = f"pool-{uuid.uuid4().hex[:8]}"
    with get_client() as client:
        client.create_work_pool(WorkPoolCreate(name=name))
    return name


def _run(flow_name_and_deployment: str, pool: str, tmp_path: Path) -> tuple[object, str]:
    from headwater import run_deployment

    with worker(tmp_path / "w", os.environ["HEADWATER_API_URL"], pool):
        run = run_deployment(flow_name_and_deployment, parameters={"name": "s3"}, timeout=60)
    with get_client() as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=run.id))
    return run, "\n".join(log.message for log in logs)


def test_a_worker_runs_a_flow_deployed_from_an_s3_url(
    bucket: str, pool: str, tmp_path: Path, here: Path
) -> None:
    from headwater import flow

    put_files(bucket, "project", {"flows.py": FLOWS, "helpers.py": HELPERS})
    deployed = flow.from_source(f"s3://{bucket}/project", entrypoint="flows.py:from_s3")
    assert Path.cwd() == here  # loading the flow did not leave us in the download
    deployed.deploy("from-bucket", work_pool_name=pool)
    with get_client() as client:
        stored = client.read_deployment_by_name("from-s3/from-bucket")
    assert stored.pull_steps == [{"pull_from_remote_storage": {"url": f"s3://{bucket}/project"}}]

    run, logs = _run("from-s3/from-bucket", pool, tmp_path)
    assert run.state.name == "Completed", logs
    assert "Pull step pull_from_remote_storage" in logs
    assert "hello s3 from a bucket" in logs


def test_a_saved_remote_file_system_block_keeps_its_credentials_out_of_the_deployment(
    bucket: str, pool: str, tmp_path: Path, here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater import flow
    from headwater.blocks.filesystems import RemoteFileSystem

    put_files(bucket, "blocked", {"flows.py": FLOWS, "helpers.py": HELPERS})
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    storage = RemoteFileSystem(
        basepath=f"s3://{bucket}/blocked",
        settings={
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"endpoint_url": endpoint},
        },
    )
    block_name = f"code-{uuid.uuid4().hex[:6]}"
    storage.save(block_name)
    # Only the block knows the credentials: the worker's environment has none.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name)

    deployed = flow.from_source(RemoteFileSystem.load(block_name), "flows.py:from_s3")
    deployed.deploy("from-block", work_pool_name=pool)
    with get_client() as client:
        steps = client.read_deployment_by_name("from-s3/from-block").pull_steps
    assert steps == [
        {
            "pull_with_block": {
                "block_document_name": block_name,
                "block_type_slug": "remote-file-system",
            }
        }
    ]
    assert "testing" not in repr(steps)

    run, logs = _run("from-s3/from-block", pool, tmp_path)
    assert run.state.name == "Completed", logs
    assert "hello s3 from a bucket" in logs
