"""Errors of the Prefect 1 API: one line naming what is wrong."""

from __future__ import annotations

from headwater.exceptions import UserInputError


class V1GraphError(UserInputError, ValueError):
    """A v1 flow graph cannot be built or run as written (a cycle, a missing
    argument, a task used outside a flow…)."""


class V1NotSupported(UserInputError, NotImplementedError):
    """A Prefect 1 feature Headwater does not provide (a Prefect Cloud service…)."""
