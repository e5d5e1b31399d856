"""SIGINT/SIGTERM as a graceful stop for a long-running loop (a worker, a task worker)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stop_on_signals(stop: Callable[[], None], logger: logging.Logger, doing: str) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM log ``received signal N: <doing>`` and call
    ``stop``; the previous handlers come back on exit. Python only lets the main thread
    set handlers, so elsewhere this does nothing (the caller stops the loop itself)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        logger.info("received signal %s: %s", signum, doing)
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
