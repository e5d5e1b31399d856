"""HTML error pages for the UI's paths; the API keeps its JSON errors.

A page for an unknown id is a friendly 404 naming what was missing; a user's
mistake that escapes a page (a bad filter, an unknown object) is a 4xx page with
the one-line reason; never a traceback.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from headwater.exceptions import ObjectNotFound, UserInputError


class UIError(Exception):
    """An error a page shows as itself: status, title and a one-line message."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PageNotFound(UIError):
    status = 404
    title = "Not found"


class UIForbidden(UIError):
    status = 403
    title = "Forbidden"


def _is_ui(request: Request) -> bool:
    path = request.url.path
    return not (path == "/api" or path.startswith("/api/"))


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    from headwater.server.ui.templating import render

    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message},
        status_code=status,
    )


def install_html_errors(app: FastAPI) -> None:
    """Route errors on UI paths to HTML pages; keep the JSON handlers for ``/api``."""
    handlers: dict[Any, Any] = dict(app.exception_handlers)

    async def ui_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UIError)
        return error_page(request, exc.status, exc.title, exc.message)

    def html_or(json_handler: Any) -> Any:
        async def handler(request: Request, exc: Exception) -> Response:
            if not _is_ui(request):
                return await json_handler(request, exc)
            if isinstance(exc, ObjectNotFound):
                return error_page(request, 404, "Not found", str(exc))
            return error_page(request, 400, "Bad request", str(exc))

        return handler

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not _is_ui(request):
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        if exc.status_code == 404:
            message = f"There is no page at {request.url.path}."
            return error_page(request, 404, "Not found", message)
        return error_page(request, exc.status_code, "Error", str(exc.detail))

    async def internal(request: Request, exc: Exception) -> Response:
        if not _is_ui(request):
            return await handlers[Exception](request, exc)
        message = "The server failed to show this page; its log has the details."
        return error_page(request, 500, "Server error", message)

    app.add_exception_handler(UIError, ui_error)
    app.add_exception_handler(Exception, internal)
    app.add_exception_handler(ObjectNotFound, html_or(handlers[ObjectNotFound]))
    app.add_exception_handler(UserInputError, html_or(handlers[UserInputError]))
    app.add_exception_handler(StarletteHTTPException, http_error)
