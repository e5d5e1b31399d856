"""Interrupting synchronous code that runs past a deadline.

``Deadline`` is a point in time with the error to raise when it passes;
``current_deadline`` holds the one that applies to the running code (so blocking
waits can give up at it instead of being interrupted).

``timeout_after`` interrupts a block of code.  In the main thread a SIGALRM timer
raises the error, which also interrupts blocking calls such as ``time.sleep``;
nested deadlines share the one timer.  In other threads the error is injected into
the thread (``PyThreadState_SetAsyncExc``) and takes effect at its next Python
instruction: a thread blocked inside one long C call is only interrupted when that
call returns.
"""

from __future__ import annotations

import ctypes
import itertools
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Deadline:
    """``seconds`` from now, in the thread that made it.  ``error`` is a subclass of
    ``base`` made for this deadline (its ``deadline`` attribute is this object), so
    whoever catches it can tell its own deadline from an enclosing one."""

    __slots__ = ("at", "error", "seconds", "thread")

    def __init__(self, seconds: float, base: type[BaseException]) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.thread = threading.get_ident()
        self.error: type[BaseException] = type(base.__name__, (base,), {"deadline": self})

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> BaseException:
        """The error to raise now that the deadline passed."""
        return self.error(f"the deadline of {self.seconds:g} s passed")

    def nearest(self, other: Deadline | None) -> Deadline:
        """This deadline or ``other`` (an enclosing one, if it applies in this thread),
        whichever comes first."""
        if other is None or other.thread != self.thread or self.at <= other.at:
            return self
        return other


#: The deadline the running code must finish by (None: none), for waits that can give
#: up at it on their own (futures) instead of relying on an interruption.
current_deadline: ContextVar[Deadline | None] = ContextVar("headwater_deadline", default=None)


def applicable_deadline() -> Deadline | None:
    """``current_deadline`` if it was set in this thread (a task thread inherits its
    flow's context, but not its flow's deadline)."""
    deadline = current_deadline.get()
    if deadline is None or deadline.thread != threading.get_ident():
        return None
    return deadline


_ids = itertools.count()
# Main-thread deadlines: id -> (monotonic deadline, error class)
_deadlines: dict[int, tuple[float, type[BaseException]]] = {}
_fired: set[int] = set()


def _arm() -> None:
    if not _deadlines:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    nearest = min(deadline for deadline, _ in _deadlines.values())
    signal.setitimer(signal.ITIMER_REAL, max(nearest - time.monotonic(), 0.0001))


def _on_alarm(signum: int, frame: object) -> None:
    now = time.monotonic()
    due = [(d, i, e) for i, (d, e) in _deadlines.items() if d <= now and i not in _fired]
    if not due:
        _arm()
        return
    _, entry_id, error = min(due)
    _fired.add(entry_id)
    _arm()
    raise error("timed out")


@contextmanager
def timeout_after(seconds: float | None, error: type[BaseException]) -> Iterator[None]:
    """Raise ``error`` in this thread if the block runs longer than ``seconds``."""
    if seconds is None:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _main_thread_deadline(seconds, error):
            yield
    else:
        with _thread_deadline(seconds, error):
            yield


@contextmanager
def _main_thread_deadline(seconds: float, error: type[BaseException]) -> Iterator[None]:
    entry_id = next(_ids)
    previous = signal.getsignal(signal.SIGALRM)
    if previous is not _on_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
    _deadlines[entry_id] = (time.monotonic() + seconds, error)
    _arm()
    try:
        yield
    finally:
        del _deadlines[entry_id]
        _fired.discard(entry_id)
        _arm()
        if not _deadlines and previous is not _on_alarm:
            signal.signal(signal.SIGALRM, previous)


def _set_async_exc(thread_id: int, error: type[BaseException] | None) -> None:
    """Schedule ``error`` in the thread; ``None`` clears a scheduled one."""
    exc = ctypes.py_object(error) if error is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), exc)


@contextmanager
def _thread_deadline(seconds: float, error: type[BaseException]) -> Iterator[None]:
    thread_id = threading.get_ident()
    state = {"active": True, "fired": False}
    lock = threading.Lock()

    def fire() -> None:
        with lock:
            if state["active"]:
                state["fired"] = True
                _set_async_exc(thread_id, error)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["active"] = False
            timer.cancel()
            if state["fired"]:
                # The error may still be pending if the block ended just in time.
                _set_async_exc(thread_id, None)
