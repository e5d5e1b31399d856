"""``headwater block ls | types | register | create | inspect | delete``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headwater.blocks import Secret, String
from headwater.blocks.sql import SqlAlchemyConnector
from headwater.cli.app import app

runner = CliRunner()


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_create_with_fields_then_inspect_masks_secrets(database_url: str) -> None:
    code, out = run("block", "create", "secret", "db-pass", "--field", "value=12345")
    assert code == 0, out
    assert "Saved secret/db-pass" in out
    assert Secret.load("db-pass").get() == "12345"  # kept as a string
    code, out = run("block", "inspect", "secret/db-pass")
    assert code == 0 and "**********" in out and "12345" not in out
    code, out = run("block", "inspect", "db-pass", "--show-secrets")
    assert code == 0 and "12345" in out


def test_create_interactively_hides_secret_input(database_url: str) -> None:
    answers = "postgresql+psycopg://u:topsecret@db/x\n\n\n"  # url, then skip the optional ones
    code, out = run("block", "create", "sqlalchemy-connector", "wh", input=answers)
    assert code == 0, out
    assert "topsecret" not in out  # hidden input is not echoed
    loaded = SqlAlchemyConnector.load("wh")
    assert loaded.url().password == "topsecret"
    assert loaded.fetch_size == 1


def test_create_asks_only_missing_required_fields(database_url: str) -> None:
    code, out = run(
        "block", "create", "webhook", "hook", "--field", "method=PUT", input="https://e.x/h\n"
    )
    assert code == 0, out
    assert "notify_type" not in out
    code, out = run("block", "inspect", "webhook/hook")
    assert "PUT" in out and "https://e.x/h" not in out


def test_create_json_and_errors(database_url: str) -> None:
    code, out = run("block", "create", "json", "cfg", "--field", 'value={"a": [1, 2]}')
    assert code == 0, out
    code, out = run("block", "create", "json", "cfg", "--field", "value=1")
    assert code == 1 and "already exists" in out
    code, out = run("block", "create", "json", "cfg", "--field", "value=1", "--overwrite")
    assert code == 0
    code, out = run("block", "create", "json", "x", "--field", "valeu=1")
    assert code == 1 and "has no field 'valeu'" in out and "did you mean 'value'" in out
    code, out = run("block", "create", "json", "x", "--field", "novalue")
    assert code == 1 and "key=value" in out
    code, out = run("block", "create", "nosuchtype", "x", "--field", "a=1")
    assert code == 1 and "nosuchtype" in out
    code, out = run("block", "create", "date-time", "d", "--field", "value=yesterday-ish")
    assert code == 1 and "invalid date-time block" in out and "value" in out
    code, out = run("block", "create", "json", "Bad Name", "--field", "value=1")
    assert code == 1 and "block names are" in out


def test_ls_inspect_delete(database_url: str) -> None:
    String(value="eu").save("region")
    Secret(value="s").save("region-key")
    code, out = run("block", "ls")
    assert code == 0 and "string/region" in out and "secret/region-key" in out
    code, out = run("block", "ls", "--type", "secret")
    assert "string/region" not in out
    code, out = run("block", "inspect", "nope")
    assert code == 1 and "no block named 'nope'" in out
    code, out = run("block", "inspect", "secret/nope")
    assert code == 1 and "no secret block named 'nope'" in out and "region-key" in out
    code, out = run("block", "delete", "region")
    assert code == 0 and "Deleted string/region" in out
    code, out = run("block", "delete", "string/region")
    assert code == 1


def test_inspect_nested_and_ambiguous_names(database_url: str) -> None:
    String(value="a").save("same")
    Secret(value="b").save("same")
    code, out = run("block", "inspect", "same")
    assert code == 1 and "several blocks are named 'same'" in out


def test_types_lists_builtins_and_registered(database_url: str) -> None:
    code, out = run("block", "types")
    assert code == 0
    for slug in ("secret", "json", "string", "date-time", "sqlalchemy-connector", "webhook"):
        assert slug in out


BLOCKS_MODULE = '''
from pydantic import SecretStr
from headwater.blocks import Block

class ApiCredentials(Block):
    """Credentials for the partner API."""
    _block_type_slug = "api-credentials"
    client_id: str
    client_secret: SecretStr
'''


def test_register_from_file_and_module_then_create(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "my_blocks.py"
    path.write_text(BLOCKS_MODULE)
    code, out = run("block", "register", "-f", str(path))
    assert code == 0, out
    assert "ApiCredentials (api-credentials)" in out
    code, out = run("block", "types")
    assert "api-credentials" in out and "partner" in out
    # The stored import path lets `create` find the class again.
    code, out = run(
        "block", "create", "api-credentials", "partner", "--field", "client_id=abc", input="xyz\n"
    )
    assert code == 0, out

    monkeypatch.syspath_prepend(str(tmp_path))
    code, out = run("block", "register", "-m", "my_blocks")
    assert code == 0, out
    code, out = run("block", "register", "-m", "no_such_module_here")
    assert code == 1 and "cannot import no_such_module_here" in out
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    code, out = run("block", "register", "-f", str(empty))
    assert code == 1 and "no Block subclasses" in out
    code, out = run("block", "register")
    assert code == 1 and "--module" in out


def test_real_entry_point_in_a_subprocess(database_url: str) -> None:
    headwater = Path(sys.executable).with_name("headwater")
    env = {**os.environ}
    created = subprocess.run(
        [str(headwater), "block", "create", "secret", "token", "--field", "value=abc"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    missing = subprocess.run(
        [str(headwater), "block", "inspect", "secret/other"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 1
    assert "Error: no secret block named 'other'" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert Secret.load("token").get() == "abc"
