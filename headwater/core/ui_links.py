"""Links to the web UI: the server's address is its API URL without ``/api``."""

from __future__ import annotations


def ui_url(api_url: str | None, path: str) -> str | None:
    """The web UI's page for ``path`` on the server at ``api_url``; None without one."""
    if not api_url:
        return None
    base = api_url.rstrip("/")
    if base.endswith("/api"):
        base = base[: -len("/api")]
    return f"{base}/{path}"
