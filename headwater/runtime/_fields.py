"""Module attributes computed on access, overridable from the environment."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from collections.abc import Callable
from typing import Any

from headwater.exceptions import UserInputError


def lookup(module: str, group: str, fields: dict[str, Callable[[], Any]], name: str) -> Any:
    """``fields[name]()``, or the ``HEADWATER__RUNTIME__{GROUP}__{NAME}`` variable cast to
    the real value's type."""
    env_key = f"HEADWATER__RUNTIME__{group}__{name.upper()}"
    getter = fields.get(name)
    if getter is None:
        if env_key in os.environ:
            return os.environ[env_key]
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    real = getter()
    if env_key not in os.environ:
        return real
    return _cast(os.environ[env_key], real, env_key)


def _cast(text: str, real: Any, env_key: str) -> Any:
    if real is None or isinstance(real, str):
        return text
    if isinstance(real, bool):
        return text.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(real, (int, float)):
        return type(real)(text)
    if isinstance(real, dt.datetime):
        parsed = dt.datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    if isinstance(real, (list, dict)):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, type(real)):
            return value
        kind = "a JSON list" if isinstance(real, list) else "a JSON object"
        raise UserInputError(f"{env_key} must be {kind}, got {text!r}")
    raise UserInputError(f"{env_key}: this attribute cannot be set from the environment")


def flow_run_id_from_env() -> str | None:
    """The run a process was started for (``HEADWATER__FLOW_RUN_ID``, as Prefect's)."""
    return os.environ.get("HEADWATER__FLOW_RUN_ID") or None


def read_flow_run(flow_run_id: str) -> Any:
    from headwater.client import shared_client

    return shared_client().read_flow_run(_uuid(flow_run_id))


def read_task_run(task_run_id: Any) -> Any:
    from headwater.client import shared_client

    return shared_client().read_task_run(_uuid(task_run_id))


@functools.lru_cache(maxsize=32)
def read_deployment(deployment_id: str) -> Any:
    """A deployment does not change during a run: read once per process."""
    from headwater.client import shared_client

    return shared_client().read_deployment(_uuid(deployment_id))


def _uuid(value: Any) -> Any:
    from uuid import UUID

    return value if isinstance(value, UUID) else UUID(str(value))


def ui_url(path: str) -> str | None:
    """The web UI's page for ``path`` when a server is configured; None otherwise."""
    from headwater.core.ui_links import ui_url as link
    from headwater.settings import get_settings

    return link(get_settings().api_url, path)


def api_url(path: str) -> str | None:
    from headwater.settings import get_settings

    base = get_settings().api_url
    return f"{base.rstrip('/')}/{path}" if base else None
