"""``headwater artifact ls | inspect KEY | delete KEY``."""

from __future__ import annotations

import pytest

from headwater.artifacts import create_markdown_artifact, create_table_artifact
from headwater.client.writer import flush_all
from tests.cli._run import run_cli


def test_ls_inspect_delete(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    create_markdown_artifact("first report", key="weekly")
    create_markdown_artifact("second report", key="weekly", description="week 2")
    one_off = create_table_artifact([{"a": 1}, {"a": 2}], key="numbers")
    flush_all()

    code, out, _ = run_cli(capsys, "artifact", "ls")
    assert code == 0 and "weekly" in out and "numbers" in out and "2 rows" in out
    assert "second report" in out and "first report" not in out  # latest of each key
    code, out, _ = run_cli(capsys, "artifact", "ls", "--all")
    assert "first report" in out and "second report" in out
    code, out, _ = run_cli(capsys, "artifact", "ls", "--type", "table")
    assert "numbers" in out and "weekly" not in out

    code, out, _ = run_cli(capsys, "artifact", "inspect", "weekly")
    assert code == 0 and "latest" in out and "version -1" in out and "week 2" in out
    assert out.index("second report") < out.index("first report")

    code, out, _ = run_cli(capsys, "artifact", "delete", "--id", str(one_off))
    assert code == 0 and str(one_off) in out
    code, out, _ = run_cli(capsys, "artifact", "delete", "weekly")
    assert code == 0 and "Deleted 2 versions of 'weekly'" in out
    code, _, err = run_cli(capsys, "artifact", "inspect", "weekly")
    assert code == 1 and "no artifact has the key 'weekly'" in err and "Hint" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("artifact", "inspect", "Bad Key"), "artifact keys are 1-255 characters"),
        (("artifact", "delete"), "give a KEY or --id ID"),
        (("artifact", "delete", "--id", "nope"), "is not an artifact id"),
        (("artifact", "delete", "missing-key"), "no artifact has the key"),
        (("artifact", "ls", "--type", "chart"), "--type is one of markdown"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run_cli(capsys, *args)
    assert code == 1 and message in err and "Traceback" not in out + err


def test_ls_by_flow_run_name_or_id_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    from headwater import flow
    from headwater.client import get_client

    @flow(name="artifact-maker")
    def maker() -> None:
        create_markdown_artifact("from the run", key="run-report")

    maker()
    create_markdown_artifact("outside any run", key="loose-report")
    flush_all()
    with get_client() as client:
        (run,) = client.read_flow_runs()
    for ref in (run.name, str(run.id)[:-4]):
        code, out, err = run_cli(capsys, "artifact", "ls", "--flow-run", ref)
        assert code == 0, err
        assert "run-report" in out and "loose-report" not in out
    code, _, err = run_cli(capsys, "artifact", "ls", "--flow-run", "no-such-run")
    assert code == 1 and "no flow run has the id, id prefix or name 'no-such-run'" in err
