"""UI test fixtures: a real server process and Debian's Chromium through Playwright.

``ui_server`` is a ``headwater server start`` process (module scope) on a free
loopback port; ``page`` is a fresh browser page that fails the test if the page
logs a console error or a request fails (``page.problems``).  Chromium is
``/usr/bin/chromium`` (never ``playwright install``); when it is missing the
browser tests skip, unless ``HEADWATER_REQUIRE_BROWSER=1`` (CI sets it).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._servers import ServerProcess

CHROMIUM = os.environ.get("HEADWATER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
API_KEY = "ui-test-key"


@pytest.fixture(scope="module")
def ui_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui") / "home"


@pytest.fixture(scope="module")
def ui_server(ui_home: Path) -> Iterator[ServerProcess]:
    """A server with no API key, on SQLite in its own home."""
    with ServerProcess(ui_home, extra_env={"HEADWATER_SERVICES_LOOP_SECONDS": "0.5"}) as server:
        yield server


@pytest.fixture(scope="module")
def ui_server_with_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("ui-key") / "home"
    with ServerProcess(home, api_key=API_KEY) as server:
        yield server


# Module scope, not session: while Playwright's sync API is started it marks an event
# loop as running in the main thread, which would break later tests' asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if os.environ.get("HEADWATER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context; console errors and failed requests fail the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    problems: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type != "error":
            return
        expected = getattr(tab, "expected_statuses", set())
        if any(f"status of {status} " in msg.text for status in expected):
            return  # Chromium logs every 4xx; the test said this one is expected
        problems.append(f"console {msg.type}: {msg.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_failed(request: Any) -> None:
        # Moving on to the next page aborts what the last one still fetched: the favicon
        # (fetched after the load event), or a script of a page reached by a click,
        # whose content a test may check before the page finished loading. A static file
        # that is really missing answers 404, which on_response reports.
        if request.failure == "net::ERR_ABORTED" and "/static/" in request.url:
            return
        # Likewise a flow run page's graph and timeline, fetched after it loads.
        if request.failure == "net::ERR_ABORTED" and re.search(
            r"/flow-runs/[^/]+/(graph|timeline)(\?|$)", request.url
        ):
            return
        problems.append(f"request failed: {request.url} ({request.failure})")

    tab.on("requestfailed", on_failed)

    def on_response(response: Any) -> None:
        expected = getattr(tab, "expected_statuses", set())
        if response.status >= 500 or (response.status >= 400 and response.status not in expected):
            problems.append(f"HTTP {response.status}: {response.url}")

    tab.on("response", on_response)
    tab.problems = problems
    tab.expected_statuses = set()
    try:
        yield tab
    finally:
        context.close()
    assert not problems, "the browser saw problems:\n" + "\n".join(problems)


def screenshot(page: Any, name: str) -> Path:
    """Screenshot ``page`` as ``name``: into ``UI_SCREENSHOTS_DIR`` when set (how the
    PNGs in docs/images are refreshed), else into a scratch folder, so a test run
    never changes tracked files."""
    import tempfile

    folder = os.environ.get("UI_SCREENSHOTS_DIR")
    target = Path(folder) if folder else Path(tempfile.gettempdir()) / f"hw-ui-{os.getpid()}"
    target.mkdir(parents=True, exist_ok=True)
    path = target / name
    page.screenshot(path=str(path), full_page=False)
    return path
