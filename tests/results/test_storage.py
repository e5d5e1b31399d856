from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from headwater.exceptions import ConfigurationError, InvalidOptionError
from headwater.results.storage import FsspecStorage, LocalStorage, check_backend, get_storage


def test_plain_paths_and_file_urls_are_local_and_atomic(tmp_path: Path) -> None:
    storage = get_storage(tmp_path / "a")
    assert isinstance(storage, LocalStorage)
    assert get_storage(f"file://{tmp_path}/a") == storage
    storage.write("x/y", b"data")
    assert storage.read("x/y") == b"data"
    assert storage.exists("x/y")
    assert not list((tmp_path / "a" / "x").glob("*.tmp"))
    big = bytes(range(256)) * 1000
    storage.write("big", big)
    assert storage.read("big") == big
    storage.delete("x/y")
    with pytest.raises(FileNotFoundError):
        storage.read("x/y")


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../../b"])
def test_keys_cannot_escape_the_storage(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="invalid result storage key"):
        LocalStorage(tmp_path).write(key, b"x")


def test_memory_storage_goes_through_fsspec() -> None:
    storage = get_storage("memory://hw-test-results")
    assert isinstance(storage, FsspecStorage)
    storage.write("k/1", b"payload")
    assert storage.read("k/1") == b"payload"
    assert storage.exists("k/1")
    with pytest.raises(FileNotFoundError):
        storage.read("missing")


def test_scheme_without_backend_names_the_package() -> None:
    with pytest.raises(ConfigurationError) as info:
        check_backend("gs://bucket/prefix")  # gcsfs is not installed (s3fs is, for tests)
    message = str(info.value)
    assert "gcsfs" in message and "pip install gcsfs" in message
    assert "\n" not in message
    with pytest.raises(ConfigurationError, match="no fsspec file system handles nosuch://"):
        check_backend("nosuch://x")


def test_bad_storage_values() -> None:
    with pytest.raises(InvalidOptionError, match="result storage must be a path, a URL"):
        get_storage(42)


def test_local_results_do_not_import_fsspec(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from headwater import flow, task\n"
        "@task(persist_result=True)\n"
        "def t(x): return x\n"
        "@flow\n"
        "def f(): return t(1)\n"
        "assert f() == 1\n"
        "assert 'fsspec' not in sys.modules, 'fsspec was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, timeout=60)
