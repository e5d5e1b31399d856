"""Wake-ups between processes on one machine: a waiter binds a datagram socket and
waits on it; whoever frees what it waits for sends it a datagram after committing.

A wake address is ``NAMESPACE|NAME``.  On Linux the socket lives in the abstract
namespace (no file, gone with its process) and ``NAMESPACE`` is the boot id and
network namespace, the scope in which such a name is reachable; elsewhere it is a
socket file under the temporary directory.  ``send`` tells three outcomes apart:
delivered, gone (same namespace and nobody bound: the waiter's process died) and
unreachable (another machine or container: the waiter finds out by itself, it
re-checks on a timer).  A datagram carries at most a short payload (a ticket);
extra or stale wake-ups are harmless, the waiter just looks again.
"""

from __future__ import annotations

import atexit
import errno
import os
import select
import socket
import sys
import tempfile
import threading
import uuid
from typing import Literal

_LINUX = sys.platform.startswith("linux")
_namespace: str | None = None

Outcome = Literal["sent", "gone", "unreachable"]

#: Appended to a ticket in a wake-up that also says "granted": a release handed the
#: waiter what it waited for (``server/store/handoff.py``), nothing to look up.
GRANTED = b"g"


def namespace() -> str:
    """Where this process's wake addresses can be reached from (see module doc)."""
    global _namespace
    if _namespace is None:
        if _LINUX:
            try:
                with open("/proc/sys/kernel/random/boot_id") as f:
                    boot = f.read().strip()
                net = os.stat("/proc/self/ns/net").st_ino
                _namespace = f"{boot}:{net}"
            except OSError:
                _namespace = f"{socket.gethostname()}:{os.getuid()}"
        else:
            _namespace = f"{socket.gethostname()}:{os.getuid()}"
    return _namespace


def _socket_dir() -> str:
    path = os.path.join(tempfile.gettempdir(), f"headwater-wake-{os.getuid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _os_address(name: str) -> str | bytes:
    if _LINUX:
        return b"\0headwater-wake-" + name.encode()
    return os.path.join(_socket_dir(), name)


class WakeSocket:
    """A datagram socket to wait on; ``address`` is what others pass to ``send``."""

    def __init__(self) -> None:
        name = uuid.uuid4().hex
        self._os_address = _os_address(name)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self._os_address)
        self.sock.setblocking(False)
        self.address = f"{namespace()}|{name}"

    def fileno(self) -> int:
        return self.sock.fileno()

    def drain(self) -> list[bytes]:
        """Every datagram received so far (their payloads)."""
        payloads = []
        while True:
            try:
                payloads.append(self.sock.recv(64))
            except (BlockingIOError, InterruptedError):
                return payloads

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a datagram; True if one came (all that
        came are consumed)."""
        return bool(self.receive(timeout))

    def receive(self, timeout: float) -> list[bytes]:
        """The datagrams' payloads, waiting up to ``timeout`` seconds for a first one
        (none: nothing came)."""
        payloads = self.drain()
        if payloads or timeout <= 0:
            return payloads
        ready, _, _ = select.select([self.sock], [], [], timeout)
        return self.drain() if ready else []

    def close(self) -> None:
        self.sock.close()
        if isinstance(self._os_address, str):
            try:
                os.unlink(self._os_address)
            except OSError:
                pass


_sender: socket.socket | None = None
_sender_lock = threading.Lock()


def send(address: str, payload: bytes = b"") -> Outcome:
    """Wake the socket at ``address`` (see the module doc for the outcomes)."""
    global _sender
    where, _, name = address.rpartition("|")
    if where != namespace() or not name:
        return "unreachable"
    if _sender is None:
        with _sender_lock:
            if _sender is None:
                _sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                atexit.register(_close_sender)
    try:
        _sender.sendto(payload, socket.MSG_DONTWAIT, _os_address(name))
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
            return "gone"
        if exc.errno in (errno.EAGAIN, errno.ENOBUFS):
            return "sent"  # its queue is full: it has wake-ups waiting already
        return "unreachable"
    return "sent"


def _close_sender() -> None:
    global _sender
    if _sender is not None:
        _sender.close()
        _sender = None


def _forget_after_fork() -> None:
    global _sender, _namespace
    _sender = None
    _namespace = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
