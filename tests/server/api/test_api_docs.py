"""``/api/docs`` works offline: the page loads Swagger UI from this server only."""

from __future__ import annotations

import re

import httpx

from tests._servers import ServerProcess


def _page_urls(html: str) -> list[str]:
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    urls += re.findall(r"url: '([^']+)'", html)  # the OpenAPI document the page reads
    return urls


def test_api_docs_reference_only_local_urls_that_answer(api_server: ServerProcess) -> None:
    with httpx.Client(base_url=api_server.url, timeout=30) as http:
        page = http.get("/api/docs")
        assert page.status_code == 200
        assert "SwaggerUIBundle" in page.text
        urls = _page_urls(page.text)
        assert len(urls) == 4  # script, stylesheet, icon, openapi.json
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), url
            answer = http.get(url)
            assert answer.status_code == 200, url
            assert len(answer.content) > 1000, url
        script = http.get("/api/docs/assets/swagger-ui-bundle.js")
        assert "javascript" in script.headers["content-type"]
        assert "SwaggerUIBundle" in script.text


def test_api_docs_serve_only_the_files_the_page_needs(api_server: ServerProcess) -> None:
    with httpx.Client(base_url=api_server.url, timeout=30) as http:
        assert http.get("/api/docs/assets/swagger-editor-bundle.js").status_code == 404
        assert http.get("/api/docs/assets/../__init__.py").status_code == 404
