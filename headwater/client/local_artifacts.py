"""``LocalClient``'s artifacts: the writer's bulk writes and the reads, on the
embedded store."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.artifacts import Artifact, ArtifactFilter, ArtifactRecord
    from headwater.server.db.database import Database


_KEY = re.compile(r"[a-z0-9-]{1,255}")


class LocalArtifactsMixin:
    db: Database

    def write_artifacts(self, records: Sequence[ArtifactRecord]) -> None:
        """New artifacts and progress updates, in one transaction (the batching
        writer's flush); a busy store raises ``TransientWriteError``."""
        from sqlalchemy.exc import OperationalError

        from headwater.client.writer import RecordsRefused, TransientWriteError
        from headwater.server.db.store_errors import describe
        from headwater.server.store import artifacts

        good, refused = _checked(records)
        try:
            with self.db.begin_write() as conn:
                artifacts.write_artifacts(conn, records=good)
        except OperationalError as exc:
            raise TransientWriteError(describe(exc)) from exc
        if refused:
            raise RecordsRefused(refused, "the store refused them as invalid")

    def read_artifacts(
        self,
        *,
        artifact_filter: ArtifactFilter | None = None,
        limit: int = 200,
        offset: int = 0,
        with_data: bool = True,
    ) -> list[Artifact]:
        from headwater.server.store import artifacts

        with self.db.begin_read() as conn:
            return artifacts.read_artifacts(
                conn,
                artifact_filter=artifact_filter,
                limit=limit,
                offset=offset,
                with_data=with_data,
            )

    def count_artifacts(self, *, artifact_filter: ArtifactFilter | None = None) -> int:
        from headwater.server.store import artifacts

        with self.db.begin_read() as conn:
            return artifacts.count_artifacts(conn, artifact_filter=artifact_filter)

    def read_artifact(self, artifact_id: UUID) -> Artifact:
        """``ObjectNotFound`` when there is no such artifact."""
        from headwater.exceptions import ObjectNotFound
        from headwater.server.store import artifacts

        with self.db.begin_read() as conn:
            found = artifacts.read_artifact(conn, artifact_id=artifact_id)
        if found is None:
            raise ObjectNotFound(f"artifact {artifact_id} not found")
        return found

    def read_latest_artifact(self, key: str) -> Artifact | None:
        from headwater.server.store import artifacts

        with self.db.begin_read() as conn:
            return artifacts.read_latest_artifact(conn, key=key)

    def delete_artifact(self, artifact_id: UUID) -> bool:
        from headwater.server.store import artifacts

        with self.db.begin_write() as conn:
            return artifacts.delete_artifact(conn, artifact_id=artifact_id)

    def delete_artifacts_by_key(self, key: str) -> int:
        from headwater.server.store import artifacts

        with self.db.begin_write() as conn:
            return artifacts.delete_artifacts_by_key(conn, key=key)


def _checked(records: Sequence[ArtifactRecord]) -> tuple[list[ArtifactRecord], list[Any]]:
    """The records the API would accept, and the others (a bad key or type, data too
    big, NUL in a description): the embedded store refuses what the server refuses."""
    from headwater.schemas.artifacts import ARTIFACT_TYPES, MAX_DATA_CHARS

    good: list[ArtifactRecord] = []
    refused: list[Any] = []
    for record in records:
        key = record.get("key")
        description = record.get("description")
        ok = (
            record.get("op") in ("create", "update")
            and record.get("type") in ARTIFACT_TYPES
            and (key is None or (isinstance(key, str) and _KEY.fullmatch(key) is not None))
            and isinstance(record.get("data"), str)
            and len(record["data"]) <= MAX_DATA_CHARS
            and (description is None or "\x00" not in description)
        )
        (good if ok else refused).append(record)
    return good, refused
