"""LocalFileSystem and RemoteFileSystem (fsspec's memory file system)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from headwater.blocks.filesystems import LocalFileSystem, RemoteFileSystem
from headwater.exceptions import UserInputError
from headwater.utilities.ids import new_id


def test_local_read_write(tmp_path: Path) -> None:
    fs = LocalFileSystem(basepath=str(tmp_path / "store"))
    written = fs.write_path("results/a.bin", b"\x00data")
    assert written == str(tmp_path / "store" / "results" / "a.bin")
    assert fs.read_path("results/a.bin") == b"\x00data"
    assert fs.read_path(written) == b"\x00data"  # an absolute path inside basepath
    with pytest.raises(FileNotFoundError):
        fs.read_path("missing")
    with pytest.raises(UserInputError, match="outside of the base path"):
        fs.read_path("../escape")


def test_local_directories(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "m.py").write_text("x = 1")
    (source / "notes.log").write_text("skip me")
    ignore = tmp_path / ".ignore"
    ignore.write_text("# comment\n*.log\n")
    fs = LocalFileSystem(basepath=str(tmp_path / "remote"))
    assert fs.put_directory(str(source), "v1", ignore_file=str(ignore)) == 1
    out = tmp_path / "out"
    fs.get_directory("v1", str(out))
    assert (out / "pkg" / "m.py").read_text() == "x = 1"
    assert not (out / "notes.log").exists()


def test_remote_memory_file_system_round_trip(tmp_path: Path, database_url: str) -> None:
    base = f"memory://hw-{new_id().hex[:8]}/results"
    RemoteFileSystem(basepath=base, settings={"skip_instance_cache": False}).save("mem")
    fs = RemoteFileSystem.load("mem")
    assert fs.write_path("a/b.txt", b"hello") == f"{base}/a/b.txt"
    assert fs.read_path("a/b.txt") == b"hello"
    assert fs.read_path(f"{base}/a/b.txt") == b"hello"
    with pytest.raises(UserInputError, match="outside of the base path"):
        fs.read_path("../../elsewhere")
    with pytest.raises(FileNotFoundError):
        fs.read_path("nope")
    source = tmp_path / "src"
    source.mkdir()
    (source / "f.txt").write_text("1")
    assert fs.put_directory(str(source), "dir") == 1
    fs.get_directory("dir", str(tmp_path / "down"))
    assert (tmp_path / "down" / "f.txt").read_text() == "1"


def test_remote_needs_a_scheme() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="needs a scheme"):
        RemoteFileSystem(basepath="/just/a/path")


def test_unknown_protocol_is_one_line() -> None:
    with pytest.raises(UserInputError, match="cannot open nosuchproto"):
        RemoteFileSystem(basepath="nosuchproto://x").read_path("y")


def test_async_forms(tmp_path: Path) -> None:
    fs = LocalFileSystem(basepath=str(tmp_path))

    async def main() -> bytes:
        await fs.write_path("x", b"1")  # awaitable in async code, as in Prefect 3
        await fs.awrite_path("y", b"2")
        return await fs.read_path("x") + await fs.aread_path("y")

    assert asyncio.run(main()) == b"12"
