"""A tiny HTTP/1.1 load generator: N keep-alive connections, one request each at a time.

The benchmarks measure servers, so the client must cost far less than the server
per request (httpx's async client spends ~3 ms of CPU a request on our 2-core
machine, more than the servers under test).  Used for Headwater and Prefect alike.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


class _Connection:
    """One keep-alive connection; reopened when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.closed_by_server = 0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """(status, body); status 0 when the server dropped the connection instead."""
        if self.writer is None:
            await self.open()
        try:
            status, body, close = await self._exchange(raw)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed_by_server += 1
            self.close()
            return 0, b""
        if close:
            self.close()
        return status, body

    async def _exchange(self, raw: bytes) -> tuple[int, bytes, bool]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        chunked = False
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value.strip())
            elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif lowered == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
            return status, body, close
        return status, await self.reader.readexactly(length), close


def build_request(
    url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> bytes:
    host = urlsplit(url).netloc
    payload = (
        b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def run_load(
    url: str,
    make_request: Callable[[int], bytes],
    total: int,
    concurrency: int,
    check: Callable[[int, bytes], None] | None = None,
    retry: bool = False,
) -> float:
    """Send ``total`` requests over ``concurrency`` connections; seconds taken.

    With ``retry``, a request answered 503/429 or dropped is sent again after a
    backoff (0.1 s doubling to 2 s), as a real client would (Prefect's does), until
    it succeeds; ``check`` still sees every answer."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    connections = [_Connection(parts.hostname, parts.port) for _ in range(concurrency)]
    for conn in connections:
        await conn.open()
    counter = iter(range(total))

    async def worker(conn: _Connection) -> None:
        for i in counter:
            delay = 0.1
            while True:
                status, body = await conn.request(make_request(i))
                if check is not None:
                    check(status, body)
                if not retry or status not in (0, 429, 503):
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - start
    for conn in connections:
        conn.close()
    return elapsed
