"""A run named on the command line: its whole id, a unique prefix of it, or its name.

``headwater flow-run logs 3f2a`` and ``headwater flow-run logs brisk-heron`` both work;
a prefix or name that fits several runs is a one-line error listing them.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from headwater.cli.output import fail

#: The help text of an argument that names a run.
RUN_REF_HELP = "its id, a unique prefix of the id, or its name."
_HEX_PREFIX = re.compile(r"[0-9a-fA-F-]{1,36}")
#: How many candidates an ambiguous reference lists.
_SHOWN = 5


def resolve_flow_run(client: Any, ref: str) -> UUID:
    """The id of the one flow run ``ref`` names (exits with an error otherwise)."""
    from headwater.schemas.filters import FlowRunFilter

    def read(**fields: Any) -> list[Any]:
        return list(client.read_flow_runs(flow_run_filter=FlowRunFilter(**fields), limit=20))

    return _resolve(ref, "flow run", read, "`headwater flow-run ls` lists flow runs")


def resolve_task_run(client: Any, ref: str) -> UUID:
    """The id of the one task run ``ref`` names (exits with an error otherwise)."""
    from headwater.schemas.filters import TaskRunFilter

    def read(**fields: Any) -> list[Any]:
        return list(client.read_task_runs(task_run_filter=TaskRunFilter(**fields), limit=20))

    return _resolve(
        ref, "task run", read, "`headwater task-run ls --flow-run RUN` lists a run's task runs"
    )


def _resolve(ref: str, what: str, read: Any, hint: str) -> UUID:
    from pydantic import ValidationError

    ref = ref.strip()
    try:
        return UUID(ref)
    except ValueError:
        pass
    found: dict[UUID, Any] = {}
    if _HEX_PREFIX.fullmatch(ref):
        found.update((run.id, run) for run in read(id_prefix=ref))
    try:
        found.update((run.id, run) for run in read(names=[ref]))
    except ValidationError:
        pass  # not a possible name either
    if len(found) == 1:
        return next(iter(found))
    if not found:
        fail(f"no {what} has the id, id prefix or name {ref!r}", hint)
    listed = ", ".join(f"{run.id} ({run.name})" for run in list(found.values())[:_SHOWN])
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    fail(f"{ref!r} fits {_count(found)} {what}s: {listed}{more}; give more of the id")


def _count(found: dict[UUID, Any]) -> str:
    return f"{len(found)}+" if len(found) >= 20 else str(len(found))
