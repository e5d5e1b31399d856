"""Artifacts: what a run publishes for people to read (a report, a table, a link, a
progress bar, an image), as the writer sends them and as clients read them.

An artifact record is a plain dict (``ArtifactRecord``) on the hot path, like a log
line: ``data`` is already JSON text.  A keyed artifact keeps every version: each
``create_*_artifact(key=...)`` call adds a row, and the newest row of a key is its
latest.  A progress artifact changes in place (``op == "update"``: only ``data`` and
``updated`` are applied, and never backwards in time).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal, TypedDict
from uuid import UUID

from pydantic import ConfigDict, Field, StringConstraints
from typing_extensions import TypedDict as ApiTypedDict

from headwater.schemas.base import Schema, Timestamp
from headwater.schemas.limits import MAX_BULK_RECORDS, Epoch, Message

#: The kinds of artifact (Prefect's names).
ARTIFACT_TYPES = ("markdown", "table", "link", "progress", "image", "result")
ArtifactType = Literal["markdown", "table", "link", "progress", "image", "result"]

MAX_KEY_LENGTH = 255
#: Largest ``data`` (JSON text): a 10,000-row table fits several times over.
MAX_DATA_CHARS = 20_000_000
_KEY_RE = re.compile(rf"[a-z0-9-]{{1,{MAX_KEY_LENGTH}}}")


def check_artifact_key(key: Any) -> str:
    """A key is 1-255 characters of lowercase letters, digits and dashes (as Prefect)."""
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        shown = repr(key) if len(repr(key)) <= 60 else repr(key)[:57] + "…"
        raise ValueError(
            f"artifact keys are 1-{MAX_KEY_LENGTH} characters of lowercase letters, digits "
            f"and dashes (got {shown})"
        )
    return key


class ArtifactRecord(TypedDict):
    """One artifact (or, ``op == "update"``, a new ``data`` for an existing one)."""

    id: UUID
    op: str  # "create" | "update"
    key: str | None
    type: str
    description: str | None
    data: str  # JSON text
    flow_run_id: UUID | None
    task_run_id: UUID | None
    created: float
    updated: float


ArtifactKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,255}$")]


class ArtifactRecordIn(ApiTypedDict):
    """``ArtifactRecord`` as the API validates it (``/api/artifacts/bulk``)."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    id: UUID
    op: Literal["create", "update"]
    key: ArtifactKey | None
    type: ArtifactType
    description: Message | None
    data: Annotated[str, StringConstraints(max_length=MAX_DATA_CHARS)]
    flow_run_id: UUID | None
    task_run_id: UUID | None
    created: Epoch
    updated: Epoch


ArtifactRecords = Annotated[list[ArtifactRecordIn], Field(max_length=MAX_BULK_RECORDS)]


class Artifact(Schema):
    """One stored artifact (one version of a keyed one)."""

    id: UUID
    key: str | None = None
    type: str
    description: str | None = None
    data: Any = None
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None
    created: Timestamp
    updated: Timestamp


class ArtifactFilter(Schema):
    """Which artifacts to read; every given field must match."""

    key: ArtifactKey | None = None
    type: ArtifactType | None = None
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None
    #: Only the latest version of each key (artifacts without a key are left out).
    latest: bool = False


def decode_data(text: str | None) -> Any:
    """An artifact's ``data`` from its stored JSON text."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
