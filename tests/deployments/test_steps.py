"""Pull steps against a real local git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.deployments.steps import PullStepError, git_clone
from tests._workers import make_git_repo


def test_git_clone_clones_then_updates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    repo = make_git_repo(tmp_path / "git")
    first = git_clone(str(repo), branch="main", directory=str(tmp_path / "copy"))
    again = git_clone(str(repo), branch="main", directory=str(tmp_path / "copy"))
    assert first == again == Path.cwd()
    assert (first / "flows.py").is_file()


def test_values_that_look_like_git_options_never_reach_git_as_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    repo = make_git_repo(tmp_path / "git")
    copy = git_clone(str(repo), directory=str(tmp_path / "copy"))
    marker = tmp_path / "ran"
    hostile = f"--upload-pack=touch {marker};false"
    with pytest.raises(PullStepError, match=r"repository .* must not start with '-'"):
        git_clone(hostile, directory=str(tmp_path / "other"))
    # An update fetches the branch: as an option it would run the command.
    with pytest.raises(PullStepError, match=r"branch .* must not start with '-'"):
        git_clone(str(repo), branch=hostile, directory=str(copy))
    assert not marker.exists()
    assert not (tmp_path / "other").exists()
