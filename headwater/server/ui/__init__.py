"""The web UI: server-rendered pages (Jinja2) at ``/``, next to the API at ``/api``.

No front-end build step: templates and the static assets ship inside the package,
nothing is fetched from a CDN, and a little plain JavaScript
(``static/js/headwater.js``) does the live updates and the actions.  Pages read the
store through the same service layer as the API (``headwater.server.store``).
"""

from __future__ import annotations

from fastapi import FastAPI


def install_ui(app: FastAPI, api_key: str | None) -> None:
    """Mount the pages, the static assets, the login flow and the HTML error pages."""
    from headwater.server.store.ui_sessions import SessionLimits
    from headwater.server.ui.errors import install_html_errors
    from headwater.server.ui.registry import load_pages
    from headwater.server.ui.session import SessionBook, UISessionMiddleware
    from headwater.server.ui.static import router as static_router
    from headwater.server.ui.timing import ServerTimingMiddleware

    app.include_router(static_router)
    for router in load_pages():
        app.include_router(router)
    install_html_errors(app)
    book = None
    if api_key:
        from headwater.settings import get_settings

        settings = get_settings()
        limits = SessionLimits(
            idle=settings.ui_session_idle_seconds, lifetime=settings.ui_session_lifetime_seconds
        )
        book = SessionBook(app.state.db, api_key, limits)
    app.add_middleware(UISessionMiddleware, book=book)
    app.add_middleware(ServerTimingMiddleware)  # outermost of the two: counts the session
