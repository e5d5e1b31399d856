"""Artifacts: bulk writes from the batching writer (idempotent by id), filtered reads,
the latest version of each key, deletes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, and_, delete, func, select, update
from sqlalchemy.sql import Select

from headwater.server.db.bulk import bulk_statement
from headwater.server.db.dialect import insert_for
from headwater.server.db.tables import artifacts

if TYPE_CHECKING:
    from headwater.schemas.artifacts import Artifact, ArtifactFilter, ArtifactRecord

_COLUMNS = [c for c in artifacts.c if c.key != "data"]


def write_artifacts(conn: Connection, *, records: Sequence[ArtifactRecord]) -> None:
    """Create the new artifacts (a repeated id is skipped), then apply the updates in
    order (an update older than the stored version is ignored)."""
    if not records:
        return
    creates = [r for r in records if r["op"] == "create"]
    if creates:

        def build() -> tuple[Any, Any]:
            statement = insert_for(conn, artifacts).on_conflict_do_nothing(index_elements=["id"])
            return artifacts, statement

        bulk_statement(conn, "create_artifacts", build).execute(conn, creates)
    for record in records:
        if record["op"] == "update":
            conn.execute(
                update(artifacts)
                .where(artifacts.c.id == record["id"], artifacts.c.updated <= record["updated"])
                .values(data=record["data"], updated=record["updated"])
            )


def _filtered(query: Select[Any], flt: ArtifactFilter | None) -> Select[Any]:
    if flt is None:
        return query
    if flt.key is not None:
        query = query.where(artifacts.c.key == flt.key)
    if flt.type is not None:
        query = query.where(artifacts.c.type == flt.type)
    if flt.flow_run_id is not None:
        query = query.where(artifacts.c.flow_run_id == flt.flow_run_id)
    if flt.task_run_id is not None:
        query = query.where(artifacts.c.task_run_id == flt.task_run_id)
    if flt.latest:
        newest = (
            select(artifacts.c.key, func.max(artifacts.c.created).label("created"))
            .where(artifacts.c.key.is_not(None))
            .group_by(artifacts.c.key)
            .subquery()
        )
        query = query.join(
            newest,
            and_(artifacts.c.key == newest.c.key, artifacts.c.created == newest.c.created),
        )
    return query


def read_artifacts(
    conn: Connection,
    *,
    artifact_filter: ArtifactFilter | None = None,
    limit: int = 200,
    offset: int = 0,
    with_data: bool = True,
) -> list[Artifact]:
    """Artifacts matching the filter, newest first (``with_data=False`` leaves ``data``
    out: listings of big tables)."""
    columns = list(artifacts.c) if with_data else _COLUMNS
    query = _filtered(select(*columns), artifact_filter)
    query = query.order_by(artifacts.c.created.desc(), artifacts.c.id).limit(limit).offset(offset)
    return [_schema(row._mapping) for row in conn.execute(query)]


def count_artifacts(conn: Connection, *, artifact_filter: ArtifactFilter | None = None) -> int:
    query = _filtered(select(func.count()).select_from(artifacts), artifact_filter)
    return int(conn.execute(query).scalar_one())


def read_artifact(
    conn: Connection, *, artifact_id: UUID, with_data: bool = True
) -> Artifact | None:
    columns = list(artifacts.c) if with_data else _COLUMNS
    row = conn.execute(select(*columns).where(artifacts.c.id == artifact_id)).first()
    return _schema(row._mapping) if row is not None else None


def read_artifact_data_text(conn: Connection, *, artifact_id: UUID) -> str | None:
    """An artifact's ``data`` as the stored JSON text (the UI hands a big table to the
    page as it is, without decoding and encoding it again)."""
    row = conn.execute(select(artifacts.c.data).where(artifacts.c.id == artifact_id)).first()
    return row.data if row is not None else None


def read_latest_artifact(conn: Connection, *, key: str, with_data: bool = True) -> Artifact | None:
    columns = list(artifacts.c) if with_data else _COLUMNS
    query = (
        select(*columns)
        .where(artifacts.c.key == key)
        .order_by(artifacts.c.created.desc(), artifacts.c.id)
        .limit(1)
    )
    row = conn.execute(query).first()
    return _schema(row._mapping) if row is not None else None


def delete_artifact(conn: Connection, *, artifact_id: UUID) -> bool:
    """Delete one artifact (one version); False when there was none."""
    return bool(conn.execute(delete(artifacts).where(artifacts.c.id == artifact_id)).rowcount)


def delete_artifacts_by_key(conn: Connection, *, key: str) -> int:
    """Delete every version of a key; how many there were."""
    return int(conn.execute(delete(artifacts).where(artifacts.c.key == key)).rowcount)


def _schema(row: Any) -> Artifact:
    from headwater.schemas.artifacts import Artifact, decode_data

    values = dict(row)
    values["data"] = decode_data(values.get("data"))
    return Artifact.model_validate(values)
