"""``HttpClient``'s artifacts: the writer's bulk writes (pipelined like task runs and
logs) and the reads, through ``/api/artifacts``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

if TYPE_CHECKING:
    from headwater.schemas.artifacts import Artifact, ArtifactFilter, ArtifactRecord

_READ = 2.0
#: How long the writer's flush keeps trying a server that does not answer (then the
#: writer keeps the records and tries again later), as for task runs and logs.
_WRITE = 0.3


class HttpArtifactsMixin:
    transport: Any
    _send_jobs: Any

    def write_artifacts(self, records: Sequence[ArtifactRecord]) -> None:
        """New artifacts and progress updates; ``TransientWriteError`` when the server
        cannot be reached, ``RecordsRefused`` naming the records it refused."""
        from headwater.client.writer import RecordsRefused, TransientWriteError
        from headwater.exceptions import ServerUnavailable

        items = list(records)
        jobs = [("/artifacts/bulk", items[i : i + 500]) for i in range(0, len(items), 500)]
        try:
            refused = self._send_jobs(jobs, _WRITE)
        except ServerUnavailable as exc:
            raise TransientWriteError(str(exc)) from None
        if refused:
            raise RecordsRefused(refused, "the server refused them as invalid")

    def read_artifacts(
        self,
        *,
        artifact_filter: ArtifactFilter | None = None,
        limit: int = 200,
        offset: int = 0,
        with_data: bool = True,
    ) -> list[Artifact]:
        from pydantic import TypeAdapter

        from headwater.client.transport import dumps
        from headwater.schemas.artifacts import Artifact

        body: dict[str, Any] = {"limit": min(limit, 1000), "offset": offset}
        body["with_data"] = with_data
        if artifact_filter is not None:
            body["artifacts"] = artifact_filter.model_dump(mode="json", exclude_none=True)
        response = self.transport.request("POST", "/artifacts/filter", dumps(body), retry_for=_READ)
        return TypeAdapter(list[Artifact]).validate_json(response.content)

    def count_artifacts(self, *, artifact_filter: ArtifactFilter | None = None) -> int:
        from headwater.client.transport import dumps

        body = artifact_filter.model_dump(mode="json", exclude_none=True) if artifact_filter else {}
        response = self.transport.request("POST", "/artifacts/count", dumps(body), retry_for=_READ)
        return int(response.json())

    def read_artifact(self, artifact_id: UUID) -> Artifact:
        """``ObjectNotFound`` when there is no such artifact."""
        from headwater.schemas.artifacts import Artifact

        response = self.transport.request("GET", f"/artifacts/{artifact_id}", retry_for=_READ)
        return Artifact.model_validate_json(response.content)

    def read_latest_artifact(self, key: str) -> Artifact | None:
        from headwater.exceptions import ObjectNotFound
        from headwater.schemas.artifacts import Artifact

        path = f"/artifacts/latest/{quote(key, safe='')}"
        try:
            response = self.transport.request("GET", path, retry_for=_READ)
        except ObjectNotFound:
            return None
        return Artifact.model_validate_json(response.content)

    def delete_artifact(self, artifact_id: UUID) -> bool:
        response = self.transport.request("DELETE", f"/artifacts/{artifact_id}", retry_for=_READ)
        return bool(response.json()["deleted"])

    def delete_artifacts_by_key(self, key: str) -> int:
        path = f"/artifacts/key/{quote(key, safe='')}"
        response = self.transport.request("DELETE", path, retry_for=_READ)
        return int(response.json()["deleted"])
