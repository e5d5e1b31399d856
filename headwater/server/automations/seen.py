"""The ids of the events the automation service has judged, each remembered exactly as
long as it could reach the service again, so no event is judged twice and memory holds
only the recent ones.

An event comes back through the tail while the tail's look-back window still covers
its ``received`` time, and through the bus right after its commit, which may follow
the tail's read of it by a moment: an id is kept while either may happen (for
``keep_seconds`` after it was judged, and until the window has passed its
``received`` time).  Forgetting is incremental: ids leave in the order they were judged,
then in the order they were received, each once, so a pass costs what it forgets, not
what is held.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from typing import Any


class SeenEvents:
    def __init__(self, keep_seconds: float) -> None:
        self.keep_seconds = keep_seconds
        self._ids: set[Any] = set()
        #: (judged at, received, id), oldest judged first.
        self._by_judged: deque[tuple[float, float, Any]] = deque()
        #: (received, tie-breaker, id): judged long enough ago, waiting for the window.
        self._by_received: list[tuple[float, int, Any]] = []
        self._order = itertools.count()

    def __contains__(self, event_id: Any) -> bool:
        return event_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, event_id: Any, *, received: float, judged: float) -> bool:
        """Remember ``event_id``; False if it was already remembered."""
        if event_id in self._ids:
            return False
        self._ids.add(event_id)
        self._by_judged.append((judged, received, event_id))
        return True

    def forget(self, *, now: float, window_start: float) -> int:
        """Forget the ids judged before ``now - keep_seconds`` and received before
        ``window_start`` (where the tail's window now starts: it never moves back);
        how many were forgotten."""
        cutoff = now - self.keep_seconds
        judged = self._by_judged
        while judged and judged[0][0] < cutoff:
            _at, received, event_id = judged.popleft()
            heapq.heappush(self._by_received, (received, next(self._order), event_id))
        waiting = self._by_received
        forgotten = 0
        while waiting and waiting[0][0] < window_start:
            self._ids.discard(heapq.heappop(waiting)[2])
            forgotten += 1
        return forgotten
