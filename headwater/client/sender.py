"""Pipelined bulk sends: encode the next chunk while the server stores earlier ones.

The batching writer flushes thousands of records at a time.  Sent one chunk after
the other, the client's JSON encoding and the server's work alternate, each waiting
for the other.  Here up to ``depth`` requests are in flight on daemon threads (which
hold no GIL while they wait) while the writer encodes the next chunk; the server,
given two requests, validates one while SQLite stores the other.  Order between
chunks does not matter: task-run upserts never go back in time and logs are keyed
by id.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

#: (path, records, encoded body, retry_for, warn) -> the records refused for good;
#: raises on failure.
SendFunction = Callable[[str, list[Any], bytes, float, bool], list[Any]]
_Job = tuple[Future[list[Any]], str, list[Any], bytes, float, bool] | None  # None: stop


class PipelinedSender:
    def __init__(self, send: SendFunction, depth: int = 2) -> None:
        self._send = send
        self.depth = depth
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def send_all(
        self,
        jobs: Iterable[tuple[str, list[Any]]],
        encode: Callable[[Any], bytes],
        retry_for: float,
        warn: bool = False,
    ) -> list[Any]:
        """Send every (path, records) job; the records refused for good.  The first
        failure is raised once the jobs already handed over have finished."""
        self._start()
        in_flight: deque[Future[list[Any]]] = deque()
        error: BaseException | None = None
        refused: list[Any] = []

        def settle(future: Future[list[Any]]) -> BaseException | None:
            exc = future.exception()
            if exc is None:
                refused.extend(future.result())
            return exc

        for path, records in jobs:
            body = encode(records)
            future: Future[list[Any]] = Future()
            self._jobs.put((future, path, records, body, retry_for, warn))
            in_flight.append(future)
            if len(in_flight) >= self.depth:
                error = settle(in_flight.popleft())
                if error is not None:
                    break
        for future in in_flight:
            failed = settle(future)
            error = error or failed
        if error is not None:
            raise error
        return refused

    def _start(self) -> None:
        if self._threads:
            return
        with self._lock:
            while len(self._threads) < self.depth:
                thread = threading.Thread(
                    target=self._run, name="headwater-http-sender", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def close(self) -> None:
        """Stop the threads once the jobs handed over are done."""
        with self._lock:
            for _ in self._threads:
                self._jobs.put(None)
            self._threads = []

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, path, records, body, retry_for, warn = job
            try:
                refused = self._send(path, records, body, retry_for, warn)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(refused)
