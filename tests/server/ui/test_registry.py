"""The one place a UI page plugs in (``headwater.server.ui.registry``), in-process."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re

import httpx
import pytest

from headwater.server.ui import registry


def _get_all(paths: list[str]) -> dict[str, httpx.Response]:
    from headwater.server.app import create_app

    app = create_app()

    async def fetch() -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return {path: await client.get(path) for path in paths}

    return asyncio.run(fetch())


def test_every_page_module_is_mounted_through_the_registry() -> None:
    routers = registry.load_pages()
    package = importlib.import_module(registry.PAGES_PACKAGE)
    modules = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    assert len(modules) >= 10
    for name in modules:
        module = importlib.import_module(f"{registry.PAGES_PACKAGE}.{name}")
        assert any(module.router is router for router in routers), name


def test_the_navigation_lists_the_registered_pages_in_order_and_marks_the_current_one() -> None:
    entries = registry.nav_entries()
    labels = [entry.label for entry in entries]
    assert labels[0] == "Dashboard" and labels[-1] == "About"
    for earlier, later in (
        ("Flow runs", "Flows"),
        ("Flows", "Deployments"),
        ("Work pools", "Blocks"),
    ):
        assert labels.index(earlier) < labels.index(later)
    pages = _get_all([entry.href for entry in entries])
    for entry in entries:
        page = pages[entry.href]
        assert page.status_code == 200, entry
        nav = page.text.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
        assert re.findall(r'href="([^"]+)"', nav) == [e.href for e in entries]
        current = re.findall(r'href="([^"]+)" aria-current="page"', nav)
        assert current == [entry.href], f"{entry.href} marks {current}"


def test_a_conflicting_or_keyless_navigation_entry_is_refused() -> None:
    before = registry.nav_entries()
    with pytest.raises(ValueError, match="two pages register the navigation entry 'flows'"):
        registry.ui_page("flows", nav="Something else", order=1)
    with pytest.raises(ValueError, match="needs a section key"):
        registry.ui_page(nav="Nameless")
    assert registry.nav_entries() == before
