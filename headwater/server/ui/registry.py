"""Where a UI page plugs in: one module in ``pages/``, its templates in
``templates/``, and one registration line.

    # headwater/server/ui/pages/variables.py
    from headwater.server.ui.registry import ui_page

    ui = ui_page("variables", nav="Variables", order=70)  # the registration line
    router = ui.router

    @router.get("/variables")
    def variables_page(request: Request) -> Response:
        return ui.render(request, "variables.html", {"page_title": "Variables"})

Every module of ``headwater.server.ui.pages`` whose name does not start with ``_``
is imported by ``load_pages`` (``install_ui`` mounts what they registered), so
nothing else needs editing: ``ui_page`` gives the module its router (CSRF-checked,
hidden from the OpenAPI document) and, with ``nav=``, an entry in the top
navigation, listed by ``order``.  A page that belongs to another page's section
(a run's detail page under "Flow runs") passes that section's key without
``nav=``; ``ui.render`` marks its entry as the current one.  Page styles go in
``static/css/NN-name.css`` (joined into one stylesheet) and page scripts in
``static/js/`` (a template loads its own in ``{% block scripts %}``).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse

PAGES_PACKAGE = "headwater.server.ui.pages"


@dataclass(frozen=True)
class NavEntry:
    """One link of the top navigation."""

    key: str
    label: str
    href: str
    order: int


@dataclass(frozen=True)
class Page:
    """What ``ui_page`` hands a page module: its router, and ``render`` that marks
    the page's navigation section as current."""

    section: str
    router: APIRouter = field(compare=False)

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        from headwater.server.ui.templating import render

        values = {"nav": self.section, **(context or {})}
        return render(request, template, values, status_code=status_code, headers=headers)


_NAV: dict[str, NavEntry] = {}
_PAGES: list[Page] = []
_loaded = False


def page_router() -> APIRouter:
    """Routes hidden from the OpenAPI document, each guarded against CSRF (unsafe
    methods must carry the token: ``session.check_csrf``)."""
    from headwater.server.ui.session import check_csrf

    return APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def ui_page(
    section: str = "", *, nav: str | None = None, href: str | None = None, order: int = 100
) -> Page:
    """Register a page module: its router, and with ``nav`` (the link's label) an
    entry in the navigation pointing at ``href`` (default ``/{section}``)."""
    if nav is not None:
        if not section:
            raise ValueError("a navigation entry needs a section key")
        entry = NavEntry(section, nav, href or f"/{section}", order)
        known = _NAV.get(section)
        if known is not None and known != entry:
            raise ValueError(f"two pages register the navigation entry {section!r}")
        _NAV[section] = entry
    page = Page(section, page_router())
    _PAGES.append(page)
    return page


def load_pages() -> tuple[APIRouter, ...]:
    """Import every page module (once) and return the routers they registered."""
    global _loaded
    if not _loaded:
        package = importlib.import_module(PAGES_PACKAGE)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{PAGES_PACKAGE}.{info.name}")
        _loaded = True
    return tuple(page.router for page in _PAGES)


def nav_entries() -> tuple[NavEntry, ...]:
    """The navigation, in ``order`` (then label)."""
    load_pages()
    return tuple(sorted(_NAV.values(), key=lambda e: (e.order, e.label)))
