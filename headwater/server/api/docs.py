"""``/api/docs``: Swagger UI served from the package that ships its files.

FastAPI's default page loads Swagger UI from a CDN, so it is blank without the
internet.  Here the page and its script, stylesheet and icon all come from this
server: the files are those of the ``swagger-ui-py`` distribution (Swagger UI 5, which
reads OpenAPI 3.1), served as they are.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/api/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
#: The only files the page loads (the distribution also ships Swagger Editor).
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's files, found without importing ``swagger_ui``."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: pip install swagger-ui-py")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


class _Assets(StaticFiles):
    """Serves the files of ``ASSETS`` only (404 for the rest of the folder)."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path not in ASSETS:
            return "", None
        return super().lookup_path(path)


def install_api_docs(app: FastAPI, openapi_url: str) -> None:
    """Add ``/api/docs`` and its assets to ``app``."""
    app.mount(ASSETS_PATH, _Assets(directory=swagger_ui_dir()), name="api-docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )
