"""``headwater variable set | get | ls | inspect | unset``."""

from __future__ import annotations

from typer.testing import CliRunner

from headwater.cli.app import app
from headwater.variables import Variable

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_set_get_ls_inspect_unset(database_url: str) -> None:
    assert run("variable", "set", "cfg", '{"a": [1, 2]}', "--tag", "etl")[0] == 0
    assert run("variable", "set", "name", "plain words")[0] == 0
    assert Variable.get("cfg") == {"a": [1, 2]}
    assert Variable.get("name") == "plain words"
    code, out = run("variable", "get", "cfg")
    assert code == 0 and out.strip() == '{"a": [1, 2]}'
    code, out = run("variable", "get", "name")
    assert out.strip() == "plain words"
    code, out = run("variable", "ls")
    assert code == 0 and "cfg" in out and "name" in out and "etl" in out
    code, out = run("variable", "ls", "--tag", "etl")
    assert "cfg" in out and "plain words" not in out
    code, out = run("variable", "inspect", "cfg")
    assert code == 0 and "etl" in out
    code, out = run("variable", "set", "cfg", "2")
    assert code == 1 and "already exists" in out
    assert run("variable", "set", "cfg", "2", "--overwrite")[0] == 0
    assert Variable.get("cfg") == 2
    code, out = run("variable", "unset", "cfg")
    assert code == 0
    for command in ("get", "unset", "inspect"):
        code, out = run("variable", command, "cfg")
        assert code == 1 and "no variable named 'cfg'" in out


def test_bad_input_is_one_line(database_url: str) -> None:
    code, out = run("variable", "set", "Bad Name", "1")
    assert code == 1 and "variable names are" in out and "Traceback" not in out
    code, out = run("variable", "set", "big", "x" * 6000)
    assert code == 1 and "at most 5,000 characters" in out
