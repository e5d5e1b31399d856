"""Run the ``headwater`` command in-process, as its entry point does."""

from __future__ import annotations

import sys

import pytest

from headwater.cli.app import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``headwater ARGS``."""
    saved = sys.argv
    sys.argv = ["headwater", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    out, err = capsys.readouterr()
    return code, out, err
