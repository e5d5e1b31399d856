"""Wake sockets: a datagram wakes a waiter in another process; a gone waiter and one
out of reach are told apart from a delivered wake-up."""

from __future__ import annotations

import subprocess
import sys
import time

from headwater.core import wake


def test_a_wake_up_reaches_another_process_at_once() -> None:
    sock = wake.WakeSocket()
    try:
        assert not sock.wait(0)
        code = (
            "import sys; from headwater.core import wake; print(wake.send(sys.argv[1], b'ticket'))"
        )
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-c", code, sock.address], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "sent"
        assert sock.wait(5.0)
        assert time.monotonic() - started < 5.0
        assert sock.drain() == []  # consumed by wait
    finally:
        sock.close()


def test_payloads_are_kept_in_order() -> None:
    sock = wake.WakeSocket()
    try:
        assert wake.send(sock.address, b"a") == "sent"
        assert wake.send(sock.address, b"b") == "sent"
        assert sock.drain() == [b"a", b"b"]
    finally:
        sock.close()


def test_gone_and_unreachable_waiters() -> None:
    sock = wake.WakeSocket()
    address = sock.address
    sock.close()
    assert wake.send(address) == "gone"
    name = address.rpartition("|")[2]
    assert wake.send(f"another-machine|{name}") == "unreachable"
    assert wake.send("garbage") == "unreachable"
