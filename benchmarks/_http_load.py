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
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value.strip())
            elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
            return status, body
        return status, await self.reader.readexactly(length)


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
) -> float:
    """Send ``total`` requests over ``concurrency`` connections; seconds taken."""
    parts = urlsplit(url)
    connections = [
        _Connection(*await asyncio.open_connection(parts.hostname, parts.port))
        for _ in range(concurrency)
    ]
    counter = iter(range(total))

    async def worker(conn: _Connection) -> None:
        for i in counter:
            status, body = await conn.request(make_request(i))
            if check is not None:
                check(status, body)

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - start
    for conn in connections:
        conn.writer.close()
    return elapsed
