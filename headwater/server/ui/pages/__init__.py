"""One module per page (or group of pages); each defines ``router``.

``ROUTERS`` collects them all; every route gets the CSRF check (unsafe methods
must carry the token, see ``session.check_csrf``).
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter


def _routers() -> tuple[APIRouter, ...]:
    found = []
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return tuple(found)


ROUTERS = _routers()
