"""The encryption key: from the setting, or created once (0600, race-safe) in home."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from headwater.core import encryption
from headwater.exceptions import ConfigurationError, DecryptionError


def test_key_file_is_created_once_with_mode_0600(headwater_home: Path) -> None:
    key = encryption.load_or_create_key(headwater_home)
    path = headwater_home / "encryption.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert encryption.load_or_create_key(headwater_home) == key
    assert [p.name for p in headwater_home.iterdir()] == ["encryption.key"]  # no temp files


def test_processes_racing_to_create_the_key_agree(tmp_path: Path) -> None:
    import subprocess
    import sys

    home = tmp_path / "race"
    code = (
        "import sys, pathlib; from headwater.core.encryption import load_or_create_key; "
        "sys.stdout.write(load_or_create_key(pathlib.Path(sys.argv[1])).decode())"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(home)], stdout=subprocess.PIPE)
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=60)[0] for process in processes}
    assert all(process.returncode == 0 for process in processes)
    assert len(keys) == 1
    assert (home / "encryption.key").read_bytes().strip() == keys.pop()


def test_setting_key_is_used_instead_of_the_file(
    headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = encryption.generate_key()
    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", key)
    token = encryption.encrypt_value({"a": 1}, encryption.get_fernet())
    from cryptography.fernet import Fernet

    assert encryption.decrypt_value(token, Fernet(key.encode()), what="x") == {"a": 1}
    assert not (headwater_home / "encryption.key").exists()


def test_bad_setting_key_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", "not-a-key")
    with pytest.raises(ConfigurationError, match="HEADWATER_ENCRYPTION_KEY is not a Fernet key"):
        encryption.get_fernet()


def test_corrupt_key_file_is_refused_and_kept(headwater_home: Path) -> None:
    headwater_home.mkdir(parents=True, exist_ok=True)
    path = headwater_home / "encryption.key"
    path.write_text("garbage\n")
    with pytest.raises(ConfigurationError, match="does not hold a valid encryption key"):
        encryption.load_or_create_key(headwater_home)
    assert path.read_text() == "garbage\n"


def test_decrypt_with_another_key_names_the_problem() -> None:
    from cryptography.fernet import Fernet

    token = encryption.encrypt_value("pw", Fernet(Fernet.generate_key()))
    with pytest.raises(DecryptionError, match="the encryption key differs from the one"):
        encryption.decrypt_value(token, Fernet(Fernet.generate_key()), what="secret/x")


def test_encrypt_paths_and_mask_keep_structure() -> None:
    from cryptography.fernet import Fernet

    fernet = Fernet(Fernet.generate_key())
    data = {"a": "open", "conn": {"password": "pw", "host": "h"}, "none": None}
    stored = encryption.encrypt_paths(data, ["conn.password", "none", "missing.x"], fernet)
    assert stored["a"] == "open" and stored["conn"]["host"] == "h" and stored["none"] is None
    assert encryption.is_encrypted(stored["conn"]["password"])
    assert encryption.mask(stored)["conn"]["password"] == "**********"
    assert encryption.reveal(stored, fernet, what="x") == data
    # A masked value sent back keeps the stored secret.
    again = encryption.encrypt_paths(
        {**data, "conn": {"password": "**********", "host": "h"}},
        ["conn.password"],
        fernet,
        previous=stored,
    )
    assert again["conn"]["password"] == stored["conn"]["password"]


def test_umask_cannot_widen_the_key_file(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        encryption.load_or_create_key(tmp_path / "h")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "h" / "encryption.key").stat().st_mode) == 0o600
