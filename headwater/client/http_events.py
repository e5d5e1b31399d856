"""``HttpClient``'s events over ``/api/events``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headwater.schemas.events import EventFilter, EventPage


class HttpEventsMixin:
    transport: Any

    def emit_events(self, events: Sequence[dict[str, Any]]) -> None:
        """Store event records now (``Event.to_record()``)."""
        from headwater.client.transport import dumps

        self.transport.request("POST", "/events", dumps(list(events)), retry_for=10.0)

    def read_events(
        self, event_filter: EventFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> EventPage:
        from headwater.schemas.events import EventFilter, EventFilterRequest, EventPage

        body = EventFilterRequest(filter=event_filter or EventFilter(), limit=limit, offset=offset)
        response = self.transport.request(
            "POST", "/events/filter", body.model_dump_json().encode(), retry_for=2.0
        )
        return EventPage.model_validate_json(response.content)
