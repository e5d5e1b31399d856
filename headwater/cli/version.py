"""``headwater version``."""

from __future__ import annotations

import platform
import sys

from headwater.cli.output import console


def version() -> None:
    """Show the Headwater version and where runs are stored."""
    from headwater._version import __version__
    from headwater.settings import get_settings

    settings = get_settings()
    store = settings.api_url or _hide_password(settings.database_url_or_default)
    console().print(f"Headwater {__version__}")
    console().print(f"Python    {platform.python_version()} ({sys.executable})")
    console().print(f"Profile   {settings.profile}")
    console().print(f"Store     {store}")


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
