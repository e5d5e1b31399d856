"""``emit_event``: user code's events, batched with the run's records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from headwater.core.events import Event


def emit_event(
    event: str,
    resource: Mapping[str, Any],
    occurred: dt.datetime | None = None,
    related: Iterable[Mapping[str, Any]] | None = None,
    payload: Mapping[str, Any] | None = None,
    id: UUID | None = None,
    follows: UUID | None = None,
) -> Event:
    """Queue an event for the store (or server) this process reports to, and return it.

    The event goes through the batching writer with the run's task runs and logs, so
    emitting costs a list append; ``headwater.client.writer.flush_all()`` (or the end
    of the flow run) writes it.  A bad event (no resource id) raises ``EventError``."""
    built = Event(
        event=event,
        resource=resource,
        related=related or (),
        payload=payload,
        occurred=occurred,
        id=id,
        follows=follows,
    )
    from headwater.client.backend import get_backend

    get_backend().writer.put_event(built.to_record())
    return built
