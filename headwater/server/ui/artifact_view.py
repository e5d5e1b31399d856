"""How the UI shows an artifact: markdown rendered safely, tables handed to the page's
script (paged, sortable), progress as a bar, images and links by URL.

Markdown goes through markdown-it (CommonMark) with raw HTML off: a ``<script>`` or
any other tag in an artifact is shown as text, and links whose scheme is not http(s),
mailto or a relative path are not made links (markdown-it's own check refuses
``javascript:`` and friends).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

#: Cells shown per table page (the page's script pages through the rest).
TABLE_PAGE = 50
_SAFE_SCHEMES = ("http", "https")


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: Any) -> Markup:
    """HTML for markdown ``text`` with every raw tag escaped (safe to insert)."""
    return Markup(_markdown().render(text if isinstance(text, str) else json.dumps(text)))


def safe_url(url: Any) -> str | None:
    """``url`` when it is an http(s) URL an ``<img>`` may load, else None."""
    if not isinstance(url, str):
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in _SAFE_SCHEMES else None


def table_of(data: Any) -> dict[str, Any]:
    """``{"columns": [...], "rows": [[...], ...]}`` from a list of row dicts, a dict of
    columns, or a list of row lists."""
    if isinstance(data, dict):
        columns = [str(c) for c in data]
        values = list(data.values())
        count = max((len(v) for v in values if isinstance(v, list)), default=0)
        rows = [
            [v[i] if isinstance(v, list) and i < len(v) else None for v in values]
            for i in range(count)
        ]
        return {"columns": columns, "rows": rows}
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        names: list[str] = []
        seen: set[str] = set()
        for row in data:
            for key in row:
                if key not in seen:
                    seen.add(key)
                    names.append(key)
        return {"columns": names, "rows": [[row.get(c) for c in names] for row in data]}
    if isinstance(data, list):
        rows = [r if isinstance(r, list) else [r] for r in data]
        width = max((len(r) for r in rows), default=0)
        return {"columns": [str(i) for i in range(width)], "rows": rows}
    return {"columns": ["value"], "rows": [[data]]}


def json_for_script(text: str) -> Markup:
    """Stored JSON text made safe inside ``<script type="application/json">``: JSON has
    ``<``, ``>`` and ``&`` only inside strings, where ``\\u`` escapes mean the same."""
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def view(artifact: Any, table_text: str | None = None) -> dict[str, Any]:
    """What the template needs to show one artifact (a table's data may come as the
    stored JSON text: the page's script reads every shape of table)."""
    kind = artifact.type
    out: dict[str, Any] = {"artifact": artifact, "kind": kind}
    if kind in ("markdown", "link", "result"):
        out["html"] = render_markdown(artifact.data)
    elif kind == "table":
        if table_text is None:
            table_text = json.dumps(artifact.data)
        out["table_json"] = json_for_script(table_text)
    elif kind == "progress":
        try:
            out["progress"] = max(0.0, min(100.0, float(artifact.data)))
        except (TypeError, ValueError):
            out["progress"] = 0.0
    elif kind == "image":
        out["image_url"] = safe_url(artifact.data)
        out["raw"] = artifact.data if out["image_url"] is None else None
    else:
        out["html"] = render_markdown(str(artifact.data))
    return out


def summary(artifact: Any, limit: int = 80) -> str:
    """One line about an artifact's data for lists."""
    data = artifact.data
    if artifact.type == "table":
        table = table_of(data)
        return f"{len(table['rows']):,} rows, {len(table['columns'])} columns"
    if artifact.type == "progress":
        try:
            return f"{float(data):.0f} %"
        except (TypeError, ValueError):
            return "?"
    text = " ".join(str(data).split()) if data is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
