"""``/about``: what this server is (version, store, API URL, settings that matter)."""

from __future__ import annotations

import platform
import sys

from fastapi import Request
from starlette.responses import Response

from headwater.server.ui.registry import ui_page

ui = ui_page("about", nav="About", order=100)
router = ui.router


def _redacted_url(url: str) -> str:
    """The store URL without a password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show only its scheme
        return url.split(":", 1)[0] + ":…"


@router.get("/about")
def about(request: Request) -> Response:
    from headwater._version import __version__
    from headwater.server.db.migrate import head_revision
    from headwater.settings import get_settings

    settings = get_settings()
    db = request.app.state.db
    api_url = str(request.base_url).rstrip("/") + "/api"
    context = {
        "page_title": "About",
        "facts": [
            ("Version", __version__),
            ("Database", db.dialect),
            ("Store", _redacted_url(db.url)),
            ("Schema revision", head_revision()),
            ("API URL", api_url),
            ("API key required", "yes" if request.app.state.ui_api_key else "no"),
            ("Background services", "on" if settings.services_enabled else "off"),
            ("Services loop", f"{settings.services_loop_seconds:g} s"),
            ("Python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ],
        "api_url": api_url,
    }
    return ui.render(request, "about.html", context)
