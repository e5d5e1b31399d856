"""``get_settings()`` is cached, yet sees every environment or profiles-file change."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from headwater import settings as settings_module
from headwater.settings import get_settings, settings_with_sources


def test_unchanged_calls_return_the_cached_object() -> None:
    first = get_settings()
    assert get_settings() is first
    assert settings_with_sources()[0] is first


def test_env_set_change_delete_seen_by_the_next_call(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings().late_after_seconds == 15
    os.environ["HEADWATER_LATE_AFTER_SECONDS"] = "20"
    try:
        assert get_settings().late_after_seconds == 20
        os.environ["HEADWATER_LATE_AFTER_SECONDS"] = "21"  # same length, changed in place
        assert get_settings().late_after_seconds == 21
        del os.environ["HEADWATER_LATE_AFTER_SECONDS"]
        assert get_settings().late_after_seconds == 15
        os.environ["HEADWATER_LATE_AFTER_SECONDS"] = "20"  # a value seen before
        assert get_settings().late_after_seconds == 20
    finally:
        os.environ.pop("HEADWATER_LATE_AFTER_SECONDS", None)
    assert get_settings().late_after_seconds == 15
    monkeypatch.setenv("HEADWATER_SERVER_PORT", "4301")
    assert get_settings().server_port == 4301
    monkeypatch.setenv("HEADWATER_SERVER_PORT", "4302")
    assert get_settings().server_port == 4302
    monkeypatch.delenv("HEADWATER_SERVER_PORT")
    assert get_settings().server_port == 4200
    os.environ.update(HEADWATER_SERVER_PORT="4303")
    try:
        assert get_settings().server_port == 4303
    finally:
        os.environ.pop("HEADWATER_SERVER_PORT")


def test_home_change_reads_the_other_profiles_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = tmp_path / "other-home"
    other.mkdir()
    (other / "profiles.toml").write_text(
        'active = "default"\n[profiles.default]\nHEADWATER_SERVER_PORT = "4310"\n'
    )
    assert get_settings().server_port == 4200
    monkeypatch.setenv("HEADWATER_HOME", str(other))
    assert get_settings().server_port == 4310


def _write_profile(home: Path, port: str) -> None:
    (home / "profiles.toml").write_text(
        f'active = "default"\n[profiles.default]\nHEADWATER_SERVER_PORT = "{port}"\n'
    )


def test_profiles_file_written_by_another_process_is_seen(headwater_home: Path) -> None:
    headwater_home.mkdir(parents=True, exist_ok=True)
    assert get_settings().server_port == 4200
    code = (
        "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text("
        '\'active = "default"\\n[profiles.default]\\nHEADWATER_SERVER_PORT = "4320"\\n\')'
    )
    subprocess.run([sys.executable, "-c", code, str(headwater_home / "profiles.toml")], check=True)
    assert get_settings().server_port == 4320
    _write_profile(headwater_home, "999")  # rewritten in place, another size
    assert get_settings().server_port == 999
    _write_profile(headwater_home, "4330")
    assert get_settings().server_port == 4330
    (headwater_home / "profiles.toml").unlink()
    assert get_settings().server_port == 4200


def test_profiles_save_is_seen_even_within_one_timestamp_tick(headwater_home: Path) -> None:
    from headwater import profiles

    for port in ("4341", "4342", "4343"):  # same size each time, back to back
        data = profiles.load()
        data["profiles"]["default"]["HEADWATER_SERVER_PORT"] = port
        profiles.save(data)
        assert get_settings().server_port == int(port)


def test_replaced_os_environ_still_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings()
    plain = dict(os.environ, HEADWATER_SERVER_PORT="4350")
    monkeypatch.setattr(os, "environ", plain)
    assert get_settings().server_port == 4350
    plain["HEADWATER_SERVER_PORT"] = "4351"
    assert get_settings().server_port == 4351


def test_two_threads_each_see_their_own_latest_writes() -> None:
    errors: list[str] = []
    start = threading.Barrier(2)

    def run(name: str, field: str) -> None:
        start.wait()
        try:
            for i in range(1, 400):
                os.environ[name] = str(i)
                seen = getattr(get_settings(), field)
                if seen != i:
                    errors.append(f"{name}={i} but get_settings() gave {seen}")
                    return
        finally:
            os.environ.pop(name, None)

    threads = [
        threading.Thread(target=run, args=("HEADWATER_SCHEDULER_MIN_RUNS", "scheduler_min_runs")),
        threading.Thread(target=run, args=("HEADWATER_WRITER_BATCH_SIZE", "writer_batch_size")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    assert get_settings().scheduler_min_runs == 3 and get_settings().writer_batch_size == 1000


def test_invalidate_forgets_everything() -> None:
    first = get_settings()
    settings_module.invalidate_settings_cache()
    assert get_settings() == first and get_settings() is not first
