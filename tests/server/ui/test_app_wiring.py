"""The UI inside the app, in-process (no browser here: Playwright's sync API marks a
loop running in the thread, which ``asyncio.run`` refuses)."""

from __future__ import annotations

from typing import Any

import httpx


def test_a_page_that_fails_answers_with_an_html_500_and_the_api_with_json() -> None:
    import asyncio

    from headwater.server.app import create_app

    app = create_app()

    @app.get("/broken-page")
    def broken_page() -> None:
        raise RuntimeError("a bug")

    @app.get("/api/broken")
    def broken_api() -> None:
        raise RuntimeError("a bug")

    async def fetch(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    page = asyncio.run(fetch("/broken-page"))
    assert page.status_code == 500
    assert "text/html" in page.headers["content-type"]
    assert "failed to show this page" in page.text and "a bug" not in page.text
    api = asyncio.run(fetch("/api/broken"))
    assert api.status_code == 500 and api.json() == {"detail": "internal server error"}


def test_ui_can_be_turned_off(monkeypatch: Any) -> None:
    import asyncio

    from headwater.server.app import create_app

    monkeypatch.setenv("HEADWATER_UI_ENABLED", "false")
    app = create_app()

    async def fetch(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    root = asyncio.run(fetch("/"))
    assert root.status_code == 404 and root.json() == {"detail": "Not Found"}
    assert asyncio.run(fetch("/api/health")).status_code == 200
