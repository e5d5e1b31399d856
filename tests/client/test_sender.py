"""The pipelined sender: every job sent once, failures raised, threads stopped."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from headwater.client.sender import PipelinedSender


def test_every_job_is_sent_once_while_the_next_is_encoded() -> None:
    sent: list[tuple[str, bytes]] = []
    encoded: list[int] = []
    lock = threading.Lock()

    def send(path: str, records: list[Any], body: bytes, retry_for: float, warn: bool) -> list[Any]:
        time.sleep(0.01)
        with lock:
            sent.append((path, body))
        return [] if records != [3] else records

    def encode(records: list[Any]) -> bytes:
        encoded.append(len(records))
        return repr(records).encode()

    sender = PipelinedSender(send, depth=2)
    jobs = [("/a", [i]) for i in range(7)]
    assert sender.send_all(jobs, encode, retry_for=1.0) == [3]  # what was refused
    assert sorted(body for _, body in sent) == sorted(repr([i]).encode() for i in range(7))
    assert encoded == [1] * 7
    sender.close()


def test_the_first_failure_is_raised_after_in_flight_jobs_finish() -> None:
    finished: list[int] = []

    def send(path: str, records: list[Any], body: bytes, retry_for: float, warn: bool) -> list[Any]:
        if records == [1]:
            raise ValueError("refused")
        time.sleep(0.02)
        finished.append(records[0])
        return []

    sender = PipelinedSender(send, depth=2)
    with pytest.raises(ValueError, match="refused"):
        sender.send_all([("/a", [i]) for i in range(5)], repr, retry_for=1.0)  # type: ignore[arg-type]
    assert 0 in finished
    sender.close()


def test_close_stops_the_threads() -> None:
    before = set(threading.enumerate())
    sender = PipelinedSender(lambda *args: [], depth=3)
    sender.send_all([("/a", [1]), ("/a", [2])], lambda r: b"x", retry_for=1.0)
    threads = [t for t in set(threading.enumerate()) - before if t.name == "headwater-http-sender"]
    assert len(threads) == 3
    sender.close()
    for thread in threads:
        thread.join(2)
    assert not any(thread.is_alive() for thread in threads)
