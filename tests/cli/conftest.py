from __future__ import annotations

from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from headwater.cli.app import app


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    """Invoke ``headwater ARGS`` in-process; returns the click Result."""
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def invoke(*args: str) -> object:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke
