"""Events: stored in the write transaction that caused them, published after commit.

``record_events(conn, records)`` inserts event records (``Event.to_record()`` dicts:
id, occurred, event, resource, related, payload, follows) and registers their
publication on the in-process bus with ``after_commit``.  An event id seen again (a
batch retried) is skipped by the insert.  Reads filter by time, name, resource and
related resource.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, and_, delete, func, not_, or_, select

from headwater.server.db.after_commit import after_commit
from headwater.server.db.bulk import bulk_statement, recordset_insert
from headwater.server.db.dialect import insert_for, json_array_contains
from headwater.server.db.tables import events
from headwater.server.events import bus

if TYPE_CHECKING:
    from headwater.schemas.events import EventFilter

RESOURCE_ID = "headwater.resource.id"


def _insert(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        # One statement for the batch (a statement per row costs ~5x as much).
        return recordset_insert(conn, "insert_event", events, "ON CONFLICT DO NOTHING")
    return bulk_statement(
        conn, "insert_event", lambda: (events, insert_for(conn, events).on_conflict_do_nothing())
    )


def record_events(
    conn: Connection, records: Sequence[dict[str, Any]], *, store: bool = True
) -> None:
    """Store ``records`` with this transaction; publish them once it commits
    (``store=False``: publish only)."""
    if not records:
        return
    now = time.time()
    rows = []
    for record in records:
        related = record.get("related") or []
        rows.append(
            {
                "id": record["id"],
                "occurred": record["occurred"],
                "event": record["event"],
                "resource_id": record["resource"][RESOURCE_ID],
                "resource": record["resource"],
                "related": related,
                "related_ids": [r[RESOURCE_ID] for r in related],
                "payload": record.get("payload") or {},
                "follows": record.get("follows"),
                "received": now,
            }
        )
    if store:
        _insert(conn).execute(conn, rows)
    if bus.has_subscribers():
        after_commit(conn, bus.publish, rows)


def _like_prefix(column: Any, prefix: str) -> Any:
    escaped = prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return column.like(escaped + "%", escape="!")


def _starts_with(column: Any, prefix: str, dialect: str) -> Any:
    """``column`` (the event name or the resource id) starts with ``prefix``.  SQLite's
    LIKE ignores case, so it cannot use an index: it also reads the prefix as a range,
    which the column's index serves (and which makes the match case-sensitive, as on
    PostgreSQL, whose pattern_ops index serves the LIKE)."""
    like = _like_prefix(column, prefix)
    if dialect != "sqlite" or not prefix or ord(prefix[-1]) >= 0x10FFFF:
        return like
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper, like)


def _filtered(query: Any, flt: EventFilter, dialect: str) -> Any:
    c = events.c
    if flt.occurred.since is not None:
        query = query.where(c.occurred >= flt.occurred.since.timestamp())
    if flt.occurred.until is not None:
        query = query.where(c.occurred <= flt.occurred.until.timestamp())
    if flt.event is not None:
        if flt.event.prefix:
            query = query.where(or_(*(_starts_with(c.event, p, dialect) for p in flt.event.prefix)))
        if flt.event.exclude_prefix:
            query = query.where(
                not_(or_(*(_starts_with(c.event, p, dialect) for p in flt.event.exclude_prefix)))
            )
        if flt.event.name:
            query = query.where(c.event.in_(flt.event.name))
        if flt.event.exclude_name:
            query = query.where(c.event.not_in(flt.event.exclude_name))
    if flt.resource is not None:
        if flt.resource.id:
            query = query.where(c.resource_id.in_(flt.resource.id))
        if flt.resource.id_prefix:
            query = query.where(
                or_(*(_starts_with(c.resource_id, p, dialect) for p in flt.resource.id_prefix))
            )
    if flt.related is not None and flt.related.id:
        query = query.where(
            or_(*(json_array_contains(c.related_ids, i, dialect) for i in flt.related.id))
        )
    if flt.any_resource is not None and flt.any_resource.id:
        ids = flt.any_resource.id
        query = query.where(
            or_(
                c.resource_id.in_(ids),
                *(json_array_contains(c.related_ids, i, dialect) for i in ids),
            )
        )
    if flt.id is not None and flt.id.id:
        query = query.where(c.id.in_(list(flt.id.id)))
    return query


def _keep_role(row: dict[str, Any], flt: EventFilter) -> bool:
    if flt.related is None or not flt.related.role:
        return True
    ids = set(flt.related.id or ())
    return any(
        r.get("headwater.resource.role") in flt.related.role
        and (not ids or r.get(RESOURCE_ID) in ids)
        for r in row["related"]
    )


def read_events(
    conn: Connection, *, event_filter: EventFilter, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """The events matching ``event_filter`` (newest first unless ``order`` is ASC), as
    JSON-ready dicts, and how many match in all."""
    dialect = conn.dialect.name
    query = _filtered(select(events), event_filter, dialect)
    order = events.c.occurred.asc() if event_filter.order == "ASC" else events.c.occurred.desc()
    query = query.order_by(order, events.c.id)
    if event_filter.related is not None and event_filter.related.role:
        # Roles live in the related JSON: filter those rows here (a narrow query).
        rows = [dict(r._mapping) for r in conn.execute(query)]
        rows = [r for r in rows if _keep_role(r, event_filter)]
        return [event_dict(r) for r in rows[offset : offset + limit]], len(rows)
    rows = [dict(r._mapping) for r in conn.execute(query.limit(limit).offset(offset))]
    return [event_dict(r) for r in rows], count_events(conn, event_filter=event_filter)


def count_events(conn: Connection, *, event_filter: EventFilter) -> int:
    query = _filtered(select(func.count()).select_from(events), event_filter, conn.dialect.name)
    return int(conn.execute(query).scalar_one())


def event_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the API shows an event."""
    import datetime as dt

    return {
        "id": str(row["id"]),
        "occurred": dt.datetime.fromtimestamp(row["occurred"], dt.timezone.utc).isoformat(),
        "event": row["event"],
        "resource": row["resource"],
        "related": row["related"],
        "payload": row["payload"],
        "follows": str(row["follows"]) if row.get("follows") else None,
        "received": dt.datetime.fromtimestamp(row["received"], dt.timezone.utc).isoformat(),
    }


def read_event_marks_since(conn: Connection, *, received: float) -> list[tuple[UUID, float]]:
    """``(id, received)`` of every event received at or after ``received``, oldest
    first: what the automation service's tail compares with the events it has seen
    (cheap: no JSON read), before reading the unseen ones in full."""
    query = (
        select(events.c.id, events.c.received)
        .where(events.c.received >= received)
        .order_by(events.c.received.asc())
    )
    return [(r[0], r[1]) for r in conn.execute(query)]


def read_events_by_id(conn: Connection, ids: Sequence[UUID]) -> list[dict[str, Any]]:
    """The rows of ``ids`` (at most ~1,000 per call), oldest received first."""
    if not ids:
        return []
    query = select(events).where(events.c.id.in_(list(ids))).order_by(events.c.received.asc())
    return [dict(r._mapping) for r in conn.execute(query)]


def delete_events_before(conn: Connection, *, occurred: float) -> int:
    """Retention: drop events that occurred before ``occurred``."""
    return int(conn.execute(delete(events).where(events.c.occurred < occurred)).rowcount or 0)


def read_events_page(
    conn: Connection,
    *,
    event_filter: EventFilter,
    limit: int = 50,
    position: tuple[float, UUID] | None = None,
) -> tuple[list[dict[str, Any]], tuple[float, UUID] | None]:
    """A keyset page of events in ``event_filter.order`` (newest first by default),
    continuing after ``position``, and the position after its last event when there
    are more.  No count: the UI's feed pages without one."""
    from sqlalchemy import and_

    c = events.c
    query = _filtered(select(events), event_filter, conn.dialect.name)
    ascending = event_filter.order == "ASC"
    if position is not None:
        occurred, event_id = position
        if ascending:
            query = query.where(
                or_(c.occurred > occurred, and_(c.occurred == occurred, c.id > event_id))
            )
        else:
            query = query.where(
                or_(c.occurred < occurred, and_(c.occurred == occurred, c.id < event_id))
            )
    order = (c.occurred.asc(), c.id.asc()) if ascending else (c.occurred.desc(), c.id.desc())
    rows = [dict(r._mapping) for r in conn.execute(query.order_by(*order).limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    after = (rows[-1]["occurred"], rows[-1]["id"]) if more and rows else None
    return rows, after
