"""Checking pull steps before they are stored."""

from __future__ import annotations

import pytest

from headwater.core.pull_steps import check_pull_steps
from headwater.exceptions import InvalidOptionError


def test_prefect_names_are_stored_short() -> None:
    steps = [{"prefect.deployments.steps.git_clone": {"repository": "u", "branch": "b"}}]
    assert check_pull_steps(steps) == [{"git_clone": {"repository": "u", "branch": "b"}}]


@pytest.mark.parametrize("key", ["repository", "branch"])
def test_git_arguments_starting_with_a_dash_are_refused(key: str) -> None:
    arguments = {"repository": "https://example.com/a.git", key: "--upload-pack=touch x"}
    with pytest.raises(InvalidOptionError, match=f"{key} must not start with '-'"):
        check_pull_steps([{"git_clone": arguments}])
