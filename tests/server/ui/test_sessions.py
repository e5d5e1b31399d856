"""Server-side UI sessions: sign-out ends a session for every copy of its cookie, and
a CSRF token is valid only in the session whose page carried it.  Real servers with
an API key, once on SQLite and once on PostgreSQL; expiry on a real store."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests._servers import ServerProcess
from tests.conftest import server_store
from tests.server.ui.conftest import API_KEY

_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def keyed_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp(f"ui-sessions-{request.param}") / "home"
    with (
        server_store(request.param, worker_id) as url,
        ServerProcess(home, database_url=url, api_key=API_KEY) as server,
    ):
        server.store_url = url or f"sqlite:///{home / 'headwater.db'}"  # type: ignore[attr-defined]
        yield server


def _signed_in(server: ServerProcess) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    client.get("/login")
    answer = client.post(
        "/login", data={"api_key": API_KEY, "csrf_token": client.cookies["hw_csrf"], "next": "/"}
    )
    assert answer.status_code == 303, answer.text
    assert client.cookies.get("hw_session")
    return client


def _page_token(client: httpx.Client, path: str = "/about") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = _META.search(page.text)
    assert found is not None
    return found.group(1)


def _session_rows(server: ServerProcess) -> int:
    from headwater.server.db.database import get_database
    from headwater.server.db.tables import ui_sessions

    with get_database(server.store_url).begin_read() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).select_from(ui_sessions)).scalar_one())


def test_a_copied_cookie_stops_working_at_sign_out(keyed_server: ServerProcess) -> None:
    before = _session_rows(keyed_server)
    owner = _signed_in(keyed_server)
    assert _session_rows(keyed_server) == before + 1
    copy = httpx.Client(base_url=keyed_server.url, timeout=30)
    copy.cookies.set("hw_session", owner.cookies["hw_session"])
    assert copy.get("/about").status_code == 200  # the copy works while the session lives
    token = _page_token(owner)
    out = owner.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert _session_rows(keyed_server) == before
    again = copy.get("/about")
    assert again.status_code == 303 and again.headers["location"] == "/login?next=%2Fabout"
    refused = copy.get("/flows", headers={"accept": "application/json"})
    assert refused.status_code == 401 and "sign in" in refused.json()["detail"]
    # A form of the ended session changes nothing: no session, so no way past sign-in.
    posted = copy.post("/concurrency", data={"csrf_token": token, "name": "x", "limit": "1"})
    assert posted.status_code == 401
    owner.close()
    copy.close()


def _limit_form(token: str, name: str) -> dict[str, str]:
    return {"csrf_token": token, "name": name, "kind": "global", "limit": "2"}


def _limits(server: ServerProcess) -> set[str]:
    answer = httpx.post(
        f"{server.api_url}/concurrency_limits/filter",
        json={},
        headers={"authorization": f"Bearer {API_KEY}"},
    )
    assert answer.status_code == 200, answer.text
    return {limit["name"] for limit in answer.json()}


def test_a_csrf_token_is_valid_in_its_own_session_only(keyed_server: ServerProcess) -> None:
    alice, bob = _signed_in(keyed_server), _signed_in(keyed_server)
    alice_token, bob_token = _page_token(alice), _page_token(bob)
    assert alice_token != bob_token
    name = f"csrf-{uuid.uuid4().hex[:8]}"
    crossed = bob.post("/concurrency", data=_limit_form(alice_token, name))
    assert crossed.status_code == 403
    assert "does not belong to this session" in crossed.text
    crossed_header = bob.post(
        "/concurrency", data=_limit_form("", name), headers={"x-csrf-token": alice_token}
    )
    assert crossed_header.status_code == 403
    # The double-submit cookie of the sign-in form is no token inside a session.
    cookie_token = bob.post("/concurrency", data=_limit_form(bob.cookies["hw_csrf"], name))
    assert cookie_token.status_code == 403
    missing = bob.post("/concurrency", data={"name": name, "limit": "2"})
    assert missing.status_code == 403 and "no CSRF token" in missing.text
    assert name not in _limits(keyed_server)
    assert bob.post("/concurrency", data=_limit_form(bob_token, name)).status_code == 303
    assert name in _limits(keyed_server)
    assert bob.post("/logout", data={"csrf_token": alice_token}).status_code == 403
    assert bob.post("/logout", data={"csrf_token": bob_token}).status_code == 303
    assert bob.get("/about").status_code == 303
    assert alice.get("/about").status_code == 200  # another session is untouched
    alice.close()
    bob.close()


def test_pages_behind_sign_in_are_never_cached(keyed_server: ServerProcess) -> None:
    client = _signed_in(keyed_server)
    for path in ("/about", "/flows"):
        assert client.get(path).headers["cache-control"] == "no-store"
    client.close()


def test_a_forged_or_old_style_cookie_is_no_session(keyed_server: ServerProcess) -> None:
    for value in ("1700000000.deadbeef", "x" * 43, "", "a;b"):
        client = httpx.Client(base_url=keyed_server.url, timeout=30)
        client.cookies.set("hw_session", value)
        assert client.get("/about").status_code == 303
        client.close()


# -- expiry, on a real store with a chosen clock ----------------------------------------


def _book(database_url: str, idle: float = 100.0, lifetime: float = 1000.0) -> Any:
    from headwater.server.db.database import get_database
    from headwater.server.store.ui_sessions import SessionLimits
    from headwater.server.ui.session import SessionBook

    db = get_database(database_url)
    return SessionBook(db, "k-" + uuid.uuid4().hex, SessionLimits(idle=idle, lifetime=lifetime))


def test_a_session_ends_when_idle_and_at_its_lifetime(database_url: str) -> None:
    book = _book(database_url)
    idle = book.open(now=0.0)
    assert book.check(idle, now=99.0)
    assert not book.check(idle, now=99.0 + 100.0)  # no request for 100 s
    busy = book.open(now=0.0)
    for now in range(50, 1000, 50):  # active all along...
        assert book.check(busy, now=float(now))
    assert not book.check(busy, now=1000.0)  # ...and still over at its lifetime
    assert not book.check(busy, now=1001.0)


def test_expired_sessions_are_deleted_by_lookup_and_by_the_sweep(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater.server.db.tables import ui_sessions
    from headwater.server.services import ui_sessions as sweep

    monkeypatch.setenv("HEADWATER_UI_SESSION_IDLE_SECONDS", "100")
    monkeypatch.setenv("HEADWATER_UI_SESSION_LIFETIME_SECONDS", "1000")
    book = _book(database_url)

    def rows() -> int:
        with book.db.begin_read() as conn:
            return int(conn.execute(select(func.count()).select_from(ui_sessions)).scalar_one())

    looked_up, forgotten, fresh = book.open(now=0.0), book.open(now=0.0), book.open(now=150.0)
    assert rows() == 3
    assert not book.check(looked_up, now=200.0)
    assert rows() == 2  # the lookup deleted the expired one
    assert sweep.run_once(book.db, now=200.0) == 1  # the sweep took the forgotten one
    assert sweep.run_once(book.db, now=200.0) == 0
    assert book.check(fresh, now=200.0)
    assert not book.check(forgotten, now=200.0)
    assert book.close(fresh) and rows() == 0


def test_a_new_api_key_signs_everyone_out(database_url: str) -> None:
    from headwater.server.ui.session import SessionBook

    book = _book(database_url)
    token = book.open(now=0.0)
    other = SessionBook(book.db, "another-key", book.limits)
    assert book.check(token, now=1.0) and not other.check(token, now=1.0)


# -- the browser ------------------------------------------------------------------------


def test_after_sign_out_back_and_reload_show_no_data(
    ui_server_with_key: ServerProcess, page: Any, tmp_path: Path
) -> None:
    secret = f"secret-flow-{uuid.uuid4().hex[:8]}"
    created = httpx.post(
        f"{ui_server_with_key.api_url}/flows",
        json={"name": secret},
        headers={"authorization": f"Bearer {API_KEY}"},
    )
    assert created.status_code in (200, 201), created.text
    base = ui_server_with_key.url
    page.goto(f"{base}/flows")
    page.get_by_label("API key").fill(API_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/flows")
    assert page.get_by_text(secret).first.is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.go_back()
    page.wait_for_load_state()
    assert "/login" in page.url
    assert secret not in page.content()
    page.reload()
    assert "/login" in page.url
    assert secret not in page.content()
    page.goto(f"{base}/flows")
    assert "/login" in page.url and secret not in page.content()
