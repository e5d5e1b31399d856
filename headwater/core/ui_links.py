"""Links to the web UI: the server's address is its API URL without ``/api``."""

from __future__ import annotations


def ui_url(path: str) -> str | None:
    """The web UI's page for ``path`` when a server is configured; None otherwise."""
    from headwater.settings import get_settings

    api_url = get_settings().api_url
    if not api_url:
        return None
    base = api_url.rstrip("/")
    if base.endswith("/api"):
        base = base[: -len("/api")]
    return f"{base}/{path}"
