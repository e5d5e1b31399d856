"""``LocalClient``'s events: stored on the embedded store, read with filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.schemas.events import EventFilter, EventPage
    from headwater.server.db.database import Database


class LocalEventsMixin:
    db: Database

    def emit_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Store event records now (``Event.to_record()``; checked like the API does)."""
        from headwater.core.events import check_record
        from headwater.server.store import events as store

        records = [check_record(record) for record in events]
        with self.db.begin_write() as conn:
            store.record_events(conn, records)

    def read_events(
        self, event_filter: EventFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> EventPage:
        from headwater.schemas.events import EventFilter, EventPage
        from headwater.server.store import events as store

        with self.db.begin_read() as conn:
            found, total = store.read_events(
                conn, event_filter=event_filter or EventFilter(), limit=limit, offset=offset
            )
        return EventPage(events=found, total=total)
