"""The documentation names every setting and every command group (kept true)."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_documented() -> None:
    from headwater.settings import declared_settings

    text = (DOCS / "settings.md").read_text()
    missing = [s.env_name for s in declared_settings() if s.env_name not in text]
    assert missing == []


def test_every_command_group_is_documented() -> None:
    from headwater.cli.app import app

    text = "\n".join(path.read_text() for path in DOCS.glob("*.md"))
    groups = [group.name for group in app.registered_groups]
    missing = [name for name in groups if f"headwater {name}" not in text]
    assert missing == []
