"""Plain-HTTP requests to the server on the standard library's ``http.client``.

httpx costs ~0.7 ms of CPU per request here (URL models, h11's state machine, header
validation, cookies) where ``http.client`` on a kept-alive connection costs ~0.15
ms: for a call made per task or per slot (``with concurrency(...)`` is two
requests) that is most of the client's time.  ``Transport`` uses this for
``http://`` servers that no proxy setting applies to, and httpx for everything else
(https, proxies), so TLS and proxy handling stay httpx's.

Connections are kept alive in a small pool shared by the client's threads.  One that
the server closed while idle (uvicorn closes after 5 s) is noticed before reuse, as
httpx does: an idle socket that is readable has been closed or is unusable.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import threading
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

#: Idle connections kept per client (a thread takes one per request in flight).
MAX_IDLE = 16


class WireError(OSError):
    """The request did not get an answer (connection refused, reset, timed out)."""


class WireResponse:
    """The parts of an answer the client reads (httpx's names)."""

    __slots__ = ("content", "headers", "reason_phrase", "status_code")

    def __init__(
        self, status_code: int, reason: str, headers: http.client.HTTPMessage, content: bytes
    ) -> None:
        self.status_code = status_code
        self.reason_phrase = reason
        self.headers = headers  # case-insensitive ``get``
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def plain_http_target(base_url: str) -> tuple[str, int, str] | None:
    """``(host, port, path prefix)`` when ``base_url`` is ``http://`` with no proxy
    set for its host; None otherwise (httpx then sends the requests)."""
    try:
        parts = urlsplit(base_url)
        port = parts.port or 80
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme != "http" or not host or parts.username or parts.query:
        return None
    proxies = urllib.request.getproxies()
    if ("http" in proxies or "all" in proxies) and not urllib.request.proxy_bypass(host):
        return None
    return host, port, parts.path.rstrip("/")


class WirePool:
    """Kept-alive ``http.client`` connections to one server; thread-safe."""

    def __init__(self, host: str, port: int, prefix: str, headers: Mapping[str, str]) -> None:
        self.host = host
        self.port = port
        self.prefix = prefix
        self.headers = dict(headers)
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None,
        headers: Mapping[str, str] | None,
        *,
        connect_timeout: float,
        read_timeout: float,
    ) -> WireResponse:
        sent = {**self.headers, **headers} if headers else self.headers
        conn = self._take()
        try:
            if conn is None:
                conn = self._connect(connect_timeout, read_timeout)
            else:
                conn.sock.settimeout(read_timeout)
            conn.request(method, self.prefix + path, body=body, headers=sent)
            answer = conn.getresponse()
            content = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            if conn is not None:
                conn.close()
            raise WireError(_describe(exc)) from None
        if answer.will_close:
            conn.close()
        else:
            self._give_back(conn)
        return WireResponse(answer.status, answer.reason, answer.headers, content)

    def _connect(self, connect_timeout: float, read_timeout: float) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=connect_timeout)
        conn.connect()
        sock = conn.sock
        assert sock is not None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(read_timeout)
        return conn

    def _take(self) -> http.client.HTTPConnection | None:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's sockets are not ours
                self._idle.clear()
                self._pid = os.getpid()
            while self._idle:
                conn = self._idle.pop()
                if _usable(conn):
                    return conn
                conn.close()
        return None

    def _give_back(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE and self._pid == os.getpid():
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _usable(conn: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket with something to read was closed by the server."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "ReadTimeout: timed out"
    name = type(exc).__name__
    return f"{name}: {exc}" if str(exc) else name
