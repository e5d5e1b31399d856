"""Accessibility and small screens: state badges and log levels meet WCAG AA contrast
(4.5:1 for text) in light and dark mode — computed from the stylesheet's values and
again from what Chromium renders — every page is usable at 390 px without sideways
scrolling of the page itself, and the sign-in page shows no navigation."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from headwater.server.ui.registry import nav_entries
from headwater.server.ui.static import _asset
from headwater.server.ui.templating import STATE_TYPES
from tests._servers import ServerProcess
from tests.server.ui._run_data import make_run
from tests.server.ui.conftest import API_KEY

AA_TEXT = 4.5


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _hex(value: str) -> tuple[float, float, float]:
    text = value.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def _variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", block))


def _palettes() -> dict[str, dict[str, str]]:
    """The stylesheet's custom properties: light (``:root``) and dark (the
    ``prefers-color-scheme: dark`` block over light)."""
    found = _asset("headwater.css")
    assert found is not None
    css = found[0].decode()
    light = _variables(css.split(":root {", 1)[1].split("}", 1)[0])
    dark_block = css.split("@media (prefers-color-scheme: dark)", 1)[1]
    dark = {**light, **_variables(dark_block.split(":root {", 1)[1].split("}", 1)[0])}
    return {"light": light, "dark": dark}


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_badges_and_log_levels_meet_aa_contrast_in_the_stylesheet(mode: str) -> None:
    palette = _palettes()[mode]
    badge_text = _hex(palette["--badge-text"])
    names = [t.lower() for t in STATE_TYPES] + ["late", "unknown"]
    low = {}
    for name in names:
        ratio = contrast(badge_text, _hex(palette[f"--state-{name}"]))
        if ratio < AA_TEXT:
            low[name] = round(ratio, 2)
    assert not low, f"{mode}: badges under {AA_TEXT}:1: {low}"
    # Log levels are coloured text on the page's surfaces (WARNING uses --state-late).
    for text in ("--state-late", "--danger", "--muted", "--accent", "--text"):
        for ground in ("--surface", "--surface-2", "--bg"):
            ratio = contrast(_hex(palette[text]), _hex(palette[ground]))
            assert ratio >= AA_TEXT, f"{mode}: {text} on {ground} is {ratio:.2f}:1"


def test_the_old_palette_would_fail() -> None:
    """The check catches what issue 16 measured (Completed 3.47:1 on white)."""
    assert round(contrast(_hex("#ffffff"), _hex("#2e9d4f")), 2) == 3.47
    assert contrast(_hex("#ffffff"), _hex("#2e9d4f")) < AA_TEXT


RENDERED_BADGES = """() => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => {
    const [h, l] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (h + 0.05) / (l + 0.05);
  };
  const out = {};
  for (const type of STATES) {
    const span = document.createElement("span");
    span.className = `badge state-${type}`;
    span.textContent = type;
    document.body.appendChild(span);
    const style = getComputedStyle(span);
    out[type] = ratio(rgb(style.color), rgb(style.backgroundColor));
    span.remove();
  }
  return out;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_rendered_badges_meet_aa_contrast(
    browser: Any, ui_server: ServerProcess, scheme: str
) -> None:
    context = browser.new_context(color_scheme=scheme)
    try:
        tab = context.new_page()
        tab.goto(f"{ui_server.url}/about")
        states = [t.lower() for t in STATE_TYPES] + ["late"]
        script = RENDERED_BADGES.replace("STATES", repr(states))
        ratios = tab.evaluate(script)
        low = {k: round(v, 2) for k, v in ratios.items() if v < AA_TEXT}
        assert not low, f"{scheme}: rendered badges under {AA_TEXT}:1: {low}"
    finally:
        context.close()


def test_every_page_fits_a_390_px_screen(browser: Any, ui_server: ServerProcess) -> None:
    # Pages with rows in their tables, not only their empty states.
    for i, kind in enumerate(["COMPLETED", "FAILED", "RUNNING", "SCHEDULED"]):
        make_run(ui_server, "a-rather-long-flow-name-for-a-phone", f"narrow-{i}", kind, tags=["x"])
    with httpx.Client(base_url=ui_server.api_url, timeout=30) as api:
        api.post("/variables", json={"name": "narrow", "value": {"a": list(range(40))}})
        api.post("/concurrency_limits", json={"name": "tag:narrow", "limit": 3})
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        tab = context.new_page()
        for entry in nav_entries():
            tab.goto(f"{ui_server.url}{entry.href}")
            width = tab.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{entry.href} is {width} px wide at 390 px"
            assert tab.get_by_role("navigation", name="Main").is_visible()
            body_min = tab.evaluate("getComputedStyle(document.body).minWidth")
            assert body_min in ("0px", "auto"), body_min
    finally:
        context.close()


def test_the_sign_in_page_shows_no_navigation(page: Any, ui_server_with_key: ServerProcess) -> None:
    page.goto(f"{ui_server_with_key.url}/login")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert page.get_by_role("navigation", name="Main").count() == 0
    assert page.get_by_role("button", name="Sign out").count() == 0
    page.get_by_label("API key").fill(API_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{ui_server_with_key.url}/")
    assert page.get_by_role("navigation", name="Main").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
