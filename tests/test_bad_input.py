"""Bad input gets one line naming what is wrong, never a traceback from the engine."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from headwater import flow, task
from headwater.exceptions import InvalidOptionError, NotAFunctionError, UnknownOptionError


def test_unknown_options_suggest_the_right_name() -> None:
    with pytest.raises(UnknownOptionError, match="did you mean 'retries'"):
        task(retires=3)
    with pytest.raises(UnknownOptionError, match="'timeout_seconds'"):
        flow(timeout=3)


def test_decorating_something_that_is_not_a_function() -> None:
    with pytest.raises(NotAFunctionError, match="got int 5"):
        task(5)
    with pytest.raises(NotAFunctionError, match="name='etl'"):
        flow("etl")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"retries": 1.5}, "retries"),
        ({"tags": [""]}, "tags"),
        ({"name": ""}, "name"),
        ({"log_prints": "yes"}, "log_prints"),
        ({"on_failure": ["not callable"]}, "on_failure"),
    ],
)
def test_bad_option_values(options: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidOptionError, match=fragment):
        task(lambda: None, **options)


def _run_script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)


def test_a_bad_parameter_at_the_top_of_a_script_prints_one_line(tmp_path: Path) -> None:
    result = _run_script(
        tmp_path,
        """
        from headwater import flow

        @flow
        def report(day: int):
            return day

        report("monday")
        """,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("headwater: error: flow 'report': parameter 'day'")


def test_an_unknown_option_at_import_prints_one_line(tmp_path: Path) -> None:
    result = _run_script(
        tmp_path,
        """
        from headwater import task

        @task(retry=2)
        def work():
            return 1
        """,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "headwater: error: @task got an unknown option 'retry'; did you mean 'retries'?"
    )


def test_user_exceptions_keep_their_traceback(tmp_path: Path) -> None:
    result = _run_script(
        tmp_path,
        """
        from headwater import flow

        @flow
        def broken():
            raise ValueError("from user code")

        broken()
        """,
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "from user code" in result.stderr
    assert "headwater/engine" not in result.stderr.split("Traceback", 1)[-1].split("ValueError")[-2]
