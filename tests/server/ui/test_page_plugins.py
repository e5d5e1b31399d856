"""Every UI route comes from a page registered in ``headwater.server.ui.registry``:
nothing is mounted beside it (the API, static assets and docs excepted)."""

from __future__ import annotations

from starlette.routing import Route

from headwater.server.ui import registry


def test_every_ui_route_belongs_to_a_registered_page() -> None:
    from headwater.server.app import create_app

    app = create_app()
    registered = {
        (route.path, method)
        for router in registry.load_pages()
        for route in router.routes
        if isinstance(route, Route)
        for method in route.methods or ()
    }
    others = []
    for route in app.routes:
        if not isinstance(route, Route) or route.path.startswith(("/api", "/static")):
            continue
        if route.path == "/favicon.ico" or route.path.startswith("/docs/"):
            continue  # the icon, and FastAPI's Swagger UI OAuth helper (API docs)
        for method in route.methods or ():
            if (route.path, method) not in registered:
                others.append(f"{method} {route.path}")
    assert not others, f"UI routes outside the registry: {others}"
    # The pages of this work are among them, with their navigation entries.
    paths = {path for path, _ in registered}
    for path in ("/variables", "/flow-runs/saved-filters", "/schedule-preview", "/work-pools"):
        assert path in paths
    labels = [entry.label for entry in registry.nav_entries()]
    assert labels.index("Blocks") < labels.index("Variables") < labels.index("Artifacts")
