"""Keep what a process held before its flow runs out of the collector's full passes.

A flow of many tasks makes the garbage collector run full passes over every tracked
object in the process: the imported modules, the store, the user's own data; each
pass there costs tens of milliseconds and lands on some task.  While any flow run is
going, the objects that existed when the first one began are frozen (``gc.freeze``):
full passes scan only what the runs made.  When the last run ends they are thawed,
so garbage among them is collected as before.  ``HEADWATER_ENGINE_GC_FREEZE=false``
turns this off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from headwater.settings import get_settings

_lock = threading.Lock()
_running = 0


@contextmanager
def heap_frozen_while_running() -> Iterator[None]:
    """Around one flow run (nested and concurrent runs count: the first freezes, the
    last thaws)."""
    global _running
    if not get_settings().engine_gc_freeze:
        yield
        return
    with _lock:
        _running += 1
        if _running == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.unfreeze()
