"""``/api/docs`` renders in Chromium with every request outside the server refused
(offline): Swagger UI's files come from the server, and it reads the OpenAPI 3.1
document (Swagger UI 5)."""

from __future__ import annotations

from typing import Any

from tests._servers import ServerProcess


def test_api_docs_render_offline(ui_server: ServerProcess, page: Any) -> None:
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(ui_server.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(f"{ui_server.url}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 50  # one per endpoint
    assert "Headwater" in page.locator(".info .title").inner_text()
    assert outside == []
