"""Artifacts: reports a run publishes for people (Prefect's ``prefect.artifacts``).

``create_markdown_artifact``, ``create_table_artifact``, ``create_link_artifact``,
``create_progress_artifact`` / ``update_progress_artifact`` and
``create_image_artifact`` return the new artifact's id.  Inside a task run the
artifact belongs to that task run and its flow run; inside a flow run, to the flow
run; outside any run, to none.  With a ``key`` (lowercase letters, digits, dashes)
every call adds a version: the Artifacts page shows the latest and its history.

Creating one costs a few microseconds: the record is queued for the batching writer
(like a log line) and reaches the store with the run's task runs and logs, always
before the flow run's final state.  Called from an async flow or task, the functions
return an awaitable (``await create_markdown_artifact(...)``), as in Prefect 3.
"""

from __future__ import annotations

import json
import math
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from headwater.asyncdispatch import async_dispatch, run_in_thread
from headwater.context import FlowRunContext, TaskRunContext
from headwater.exceptions import UserInputError
from headwater.utilities.ids import new_id

if TYPE_CHECKING:
    from headwater.schemas.artifacts import Artifact as StoredArtifact
    from headwater.schemas.artifacts import ArtifactRecord

__all__ = [
    "Artifact",
    "acreate_image_artifact",
    "acreate_link_artifact",
    "acreate_markdown_artifact",
    "acreate_progress_artifact",
    "acreate_table_artifact",
    "aupdate_progress_artifact",
    "create_image_artifact",
    "create_link_artifact",
    "create_markdown_artifact",
    "create_progress_artifact",
    "create_table_artifact",
    "update_progress_artifact",
]

_dumps = json.JSONEncoder(separators=(",", ":"), default=str, ensure_ascii=False).encode
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


class ArtifactError(UserInputError, ValueError):
    """An artifact that cannot be made (a bad key, progress out of range, …)."""


def _check_key(key: str | None) -> None:
    if key is None:
        return
    if not isinstance(key, str) or not key or len(key) > 255 or not _KEY_CHARS.issuperset(key):
        from headwater.schemas.artifacts import check_artifact_key

        try:
            check_artifact_key(key)
        except ValueError as exc:
            raise ArtifactError(str(exc)) from None


def _writer() -> Any:
    ctx = FlowRunContext.get()
    if ctx is not None:
        return ctx.backend.writer
    from headwater.client.backend import get_backend

    return get_backend().writer


def _put(kind: str, data: str, key: str | None, description: str | None) -> UUID:
    """Queue a new artifact (``data`` is JSON text); its id."""
    _check_key(key)
    task_run = TaskRunContext.get()
    if task_run is not None:
        flow_run_id, task_run_id = task_run.flow_run_id, task_run.task_run_id
    else:
        flow_run = FlowRunContext.get()
        flow_run_id = flow_run.flow_run_id if flow_run is not None else None
        task_run_id = None
    artifact_id = new_id()
    now = time.time()
    record: ArtifactRecord = {
        "id": artifact_id,
        "op": "create",
        "key": key,
        "type": kind,
        "description": description,
        "data": data,
        "flow_run_id": flow_run_id,
        "task_run_id": task_run_id,
        "created": now,
        "updated": now,
    }
    _writer().put_artifact(record)
    return artifact_id


def _progress(value: Any) -> float:
    try:
        progress = float(value)
    except (TypeError, ValueError):
        raise ArtifactError(f"progress must be a number from 0 to 100 (got {value!r})") from None
    if not 0.0 <= progress <= 100.0:
        raise ArtifactError(f"progress must be a number from 0 to 100 (got {progress})")
    return progress


def _clean_cell(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null (as Prefect shows them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _table_json(table: Any) -> str:
    """A table as JSON: a list of row dicts, a dict of columns, or a list of rows."""
    if hasattr(table, "to_dict") and callable(table.to_dict):  # a pandas DataFrame
        table = table.to_dict(orient="records")
    if isinstance(table, dict):
        if not all(isinstance(v, (list, tuple)) for v in table.values()):
            raise ArtifactError("a table given as a dict maps each column name to a list")
        table = {str(k): [_clean_cell(v) for v in col] for k, col in table.items()}
    elif isinstance(table, (list, tuple)):
        rows: list[Any] = []
        for row in table:
            if isinstance(row, dict):
                rows.append({str(k): _clean_cell(v) for k, v in row.items()})
            elif isinstance(row, (list, tuple)):
                rows.append([_clean_cell(v) for v in row])
            else:
                raise ArtifactError(
                    "a table is a list of dicts (rows), a dict of lists (columns) or a list "
                    f"of lists; a row here is {type(row).__name__}"
                )
        table = rows
    else:
        raise ArtifactError(
            "a table is a list of dicts (rows), a dict of lists (columns) or a list of "
            f"lists, not {type(table).__name__}"
        )
    return _dumps(table)


# -- the Prefect-named functions ---------------------------------------------------------
def _markdown(markdown: str, key: str | None = None, description: str | None = None) -> UUID:
    return _put("markdown", _dumps(str(markdown)), key, description)


def _table(table: Any, key: str | None = None, description: str | None = None) -> UUID:
    return _put("table", _table_json(table), key, description)


def _link(
    link: str,
    link_text: str | None = None,
    key: str | None = None,
    description: str | None = None,
) -> UUID:
    text = f"[{link_text}]({link})" if link_text else f"[{link}]({link})"
    return _put("link", _dumps(text), key, description)


def _image(image_url: str, key: str | None = None, description: str | None = None) -> UUID:
    return _put("image", _dumps(str(image_url)), key, description)


def _create_progress(
    progress: float, key: str | None = None, description: str | None = None
) -> UUID:
    return _put("progress", _dumps(_progress(progress)), key, description)


def _update_progress(
    artifact_id: UUID | str, progress: float, description: str | None = None
) -> UUID:
    """Move a progress artifact to ``progress`` (0-100); its id."""
    artifact = artifact_id if isinstance(artifact_id, UUID) else UUID(str(artifact_id))
    now = time.time()
    record: ArtifactRecord = {
        "id": artifact,
        "op": "update",
        "key": None,
        "type": "progress",
        "description": description,
        "data": _dumps(_progress(progress)),
        "flow_run_id": None,
        "task_run_id": None,
        "created": now,
        "updated": now,
    }
    _writer().put_artifact(record)
    return artifact


create_markdown_artifact = async_dispatch(_markdown)
create_table_artifact = async_dispatch(_table)
create_link_artifact = async_dispatch(_link)
create_image_artifact = async_dispatch(_image)
create_progress_artifact = async_dispatch(_create_progress)
update_progress_artifact = async_dispatch(_update_progress)


async def acreate_markdown_artifact(*args: Any, **kwargs: Any) -> UUID:
    return _markdown(*args, **kwargs)


async def acreate_table_artifact(*args: Any, **kwargs: Any) -> UUID:
    return _table(*args, **kwargs)


async def acreate_link_artifact(*args: Any, **kwargs: Any) -> UUID:
    return _link(*args, **kwargs)


async def acreate_image_artifact(*args: Any, **kwargs: Any) -> UUID:
    return _image(*args, **kwargs)


async def acreate_progress_artifact(*args: Any, **kwargs: Any) -> UUID:
    return _create_progress(*args, **kwargs)


async def aupdate_progress_artifact(*args: Any, **kwargs: Any) -> UUID:
    return _update_progress(*args, **kwargs)


class Artifact:
    """Prefect's ``Artifact(type=, key=, description=, data=)``: ``.create()`` stores
    it (the id), ``Artifact.get(key)`` reads the latest version of a key (or None)."""

    def __init__(
        self,
        *,
        type: str,
        data: Any,
        key: str | None = None,
        description: str | None = None,
    ) -> None:
        from headwater.schemas.artifacts import ARTIFACT_TYPES

        if type not in ARTIFACT_TYPES:
            raise ArtifactError(f"artifact type {type!r} is not one of {', '.join(ARTIFACT_TYPES)}")
        _check_key(key)
        self.type = type
        self.data = data
        self.key = key
        self.description = description
        self.id: UUID | None = None

    def create(self) -> UUID:
        if self.type == "table":
            data = _table_json(self.data)
        elif self.type == "progress":
            data = _dumps(_progress(self.data))
        else:
            data = _dumps(self.data)
        self.id = _put(self.type, data, self.key, self.description)
        return self.id

    async def acreate(self) -> UUID:
        return self.create()

    @classmethod
    def get(cls, key: str, client: Any = None) -> StoredArtifact | None:
        """The latest version of ``key`` as stored (after the records queued so far
        are written), or None."""
        _check_key(key)
        from headwater.client import shared_client

        _writer().flush()
        reader = getattr(client, "_sync", client) or shared_client()
        found: StoredArtifact | None = reader.read_latest_artifact(key)
        return found

    @classmethod
    async def aget(cls, key: str, client: Any = None) -> StoredArtifact | None:
        return await run_in_thread(cls.get, key, client)

    def __repr__(self) -> str:
        return f"Artifact(type={self.type!r}, key={self.key!r}, id={self.id})"
