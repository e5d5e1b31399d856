"""In-process subscribers to the events a write transaction stored.

``store.events.record_events`` registers ``publish`` with ``after_commit``: a
subscriber sees an event only once it is committed, and never one of a rolled-back
transaction.  Subscribers are the automation service (it wakes at once), the live
stream of the API and the UI, and waking long-polling workers.  A subscriber must be
quick (hand the events to a thread or a queue); one that fails is logged and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger("headwater.events")

Subscriber = Callable[[Sequence[dict[str, Any]]], None]

_subscribers: tuple[Subscriber, ...] = ()
_lock = threading.Lock()


def subscribe(fn: Subscriber) -> Callable[[], None]:
    """Call ``fn(events)`` with each committed batch (event rows as stored); returns
    the function that unsubscribes."""
    global _subscribers
    with _lock:
        _subscribers = (*_subscribers, fn)

    def unsubscribe() -> None:
        global _subscribers
        with _lock:
            _subscribers = tuple(s for s in _subscribers if s is not fn)

    return unsubscribe


def publish(rows: Sequence[dict[str, Any]]) -> None:
    for fn in _subscribers:
        try:
            fn(rows)
        except Exception:
            logger.exception("an event subscriber (%s) failed", getattr(fn, "__name__", fn))


def has_subscribers() -> bool:
    return bool(_subscribers)
