"""``wire``: the client's plain-HTTP connections (kept alive, shared by threads, a
connection the server closed while idle not reused), and when httpx is used instead."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from headwater.client.transport import Transport
from headwater.client.wire import WireError, WirePool, plain_http_target
from tests._servers import free_port

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"


class LoopbackServer:
    """Answers ``{"n": <k>}`` (k: the connection's number) to each request; with
    ``close_after_answer`` it closes each connection right after answering, without
    saying so (as a server does when a kept-alive connection idles out)."""

    def __init__(self, close_after_answer: bool) -> None:
        self.close_after_answer = close_after_answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(
                target=self._answer, args=(conn, self.connections), daemon=True
            ).start()

    def _answer(self, conn: socket.socket, number: int) -> None:
        with conn:
            pending = b""
            while True:
                while b"\r\n\r\n" not in pending:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    pending += chunk
                pending = pending.split(b"\r\n\r\n", 1)[1]
                body = b'{"n": %d}' % number
                conn.sendall(HEAD % len(body) + body)
                if self.close_after_answer:
                    return

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=10)


@pytest.fixture(params=[False, True], ids=["keep-alive", "closes-when-idle"])
def server(request: pytest.FixtureRequest) -> Iterator[LoopbackServer]:
    found = LoopbackServer(close_after_answer=request.param)
    yield found
    found.close()


def _pool(port: int) -> WirePool:
    return WirePool("127.0.0.1", port, "/api", {"Authorization": "Bearer k"})


def _wait_closed(pool: WirePool) -> None:
    """Until the pool's idle connection has seen the server's FIN (it is on loopback:
    at once, but the server thread may not have run yet)."""
    import select

    for conn in pool._idle:
        assert conn.sock is not None
        select.select([conn.sock], [], [], 5.0)


def test_requests_reuse_a_kept_alive_connection_and_skip_one_the_server_closed(
    server: LoopbackServer,
) -> None:
    """Without the readability check before reuse, the second request on a connection
    the server closed fails (RemoteDisconnected) instead of opening a new one."""
    pool = _pool(server.port)
    try:
        first = pool.request("GET", "/x", None, None, connect_timeout=5, read_timeout=5)
        _wait_closed(pool)
        second = pool.request("POST", "/y", b"{}", None, connect_timeout=5, read_timeout=5)
    finally:
        pool.close()
    assert (first.status_code, first.json()) == (200, {"n": 1})
    expected_connections = 2 if server.close_after_answer else 1
    assert second.json() == {"n": expected_connections}
    assert server.connections == expected_connections


def test_no_answer_is_a_wire_error_that_names_the_cause() -> None:
    pool = _pool(free_port())  # nothing listens there
    with pytest.raises(WireError, match="ConnectionRefusedError"):
        pool.request("GET", "/x", None, None, connect_timeout=1, read_timeout=1)


def test_plain_http_goes_over_the_wire_https_and_proxies_over_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert plain_http_target("http://127.0.0.1:4200/api") == ("127.0.0.1", 4200, "/api")
    assert plain_http_target("http://example.test/api") == ("example.test", 80, "/api")
    assert plain_http_target("https://example.test/api") is None
    assert Transport("https://example.test", api_key=None, timeout=5).wire is None
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    assert plain_http_target("http://example.test/api") is None  # the proxy applies
    monkeypatch.setenv("NO_PROXY", "example.test")
    assert plain_http_target("http://example.test/api") is not None
