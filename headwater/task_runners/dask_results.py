"""Results of a ``DaskTaskRunner``'s calls, fetched from the workers in batches.

A finished Dask future's result stays on its worker until someone asks for it.
Asking for each one from its done callback (``future.result()``) costs a round trip
per task run, made one after another in the client's single callback thread: with
10,000 no-op tasks that doubled the work of the flow's process and of the workers
(profiled: ``client.submit`` + ``gather`` of a list needs about half as much).  So the
done callback only queues the future; one thread per runner takes everything queued
so far and fetches the finished ones with one ``client.gather`` (one request per
worker), then settles each run.  A future that erred, was cancelled or whose batch
could not be fetched is settled on its own, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from distributed import Client, Future

#: Called with the call's answer (pickled outcome bytes) or the error that stood in
#: for it (the worker died, the future was cancelled, ...).
Settle = Callable[[Any, BaseException | None], None]


class ResultGatherer:
    """Queues finished Dask futures and fetches their results in batches."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._ready = threading.Condition(threading.Lock())
        self._queued: list[tuple[Future, Settle]] = []
        self._closed = False
        self._thread = threading.Thread(
            target=self._serve, name="headwater-dask-results", daemon=True
        )
        self._thread.start()

    def watch(self, future: Future, settle: Settle) -> None:
        """Settle ``future``'s run once it finishes (with its answer or its error)."""

        def queue(done: Future) -> None:  # in the Dask client's callback thread
            with self._ready:
                if not self._closed:
                    self._queued.append((done, settle))
                    self._ready.notify()
                    return
            _settle_one(done, settle)  # the runner is shutting down: at once

        future.add_done_callback(queue)

    def close(self) -> None:
        """Settle what is queued, then stop (later futures settle in their callback)."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    def _serve(self) -> None:
        while True:
            with self._ready:
                while not self._queued and not self._closed:
                    self._ready.wait()
                batch, self._queued = self._queued, []
                if not batch:
                    return
            self._settle(batch)

    def _settle(self, batch: list[tuple[Future, Settle]]) -> None:
        finished = [item for item in batch if item[0].status == "finished"]
        for item in batch:
            if item[0].status != "finished":
                _settle_one(*item)
        if not finished:
            return
        try:
            answers = self._client.gather([future for future, _ in finished])
        except BaseException:  # a worker went away with a result meanwhile, ...
            for item in finished:
                _settle_one(*item)
            return
        for (_, settle), answer in zip(finished, answers, strict=True):
            settle(answer, None)


def _settle_one(future: Future, settle: Settle) -> None:
    try:
        answer = future.result()
    except BaseException as exc:
        settle(None, exc)
    else:
        settle(answer, None)
