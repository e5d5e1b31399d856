"""``/notifications``: "runs (with these tags) entering these states tell this block"
— Prefect 2's notifications, stored as automations tagged ``notification`` (the
same ones ``headwater notification create`` makes).  List with an on/off switch,
create, delete; the switch and delete post to the automation routes."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.pages.automations import changed
from headwater.server.ui.registry import ui_page

ui = ui_page("automations")  # under Automations (its page links here)
router = ui.router


def _page(
    request: Request,
    *,
    problem: str | None = None,
    errors: dict[str, str] | None = None,
    draft: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    from headwater.schemas import notifications as shapes
    from headwater.server.store import automations, choices

    with request.app.state.db.begin_read() as conn:
        found = [
            a for a in automations.read_automations(conn, limit=10_000) if shapes.is_notification(a)
        ]
        blocks = choices.block_choices(conn)
    labels = dict(blocks)
    rows = [
        {
            "id": a.id,
            "name": a.name,
            "enabled": a.enabled,
            "states": shapes.states_of(a),
            "tags": shapes.tags_of(a),
            "block": labels.get(str(shapes.block_of(a)), "(deleted block)"),
        }
        for a in found
    ]
    context = {
        "page_title": "Notifications",
        "rows": rows,
        "states": shapes.STATES,
        "blocks": blocks,
        "form_problem": problem,
        "errors": errors or {},
        "draft": draft or {"states": ["Failed", "Crashed"], "tags": "", "block": ""},
    }
    return ui.render(request, "notifications.html", context, status_code=status_code)


@router.get("/notifications")
def notifications_page(request: Request) -> Response:
    return _page(request)


@router.post("/notifications")
async def create_notification(request: Request) -> Response:
    from uuid import UUID

    from headwater.schemas import notifications as shapes
    from headwater.server.store import automations, choices

    form = await request.form()
    wanted = [v for v in form.getlist("states") if isinstance(v, str)]
    tags = [t.strip() for t in str(form.get("tags") or "").split(",") if t.strip()]
    block = str(form.get("block") or "")
    draft: dict[str, Any] = {"states": wanted, "tags": ", ".join(tags), "block": block}

    def refused(field: str, message: str) -> Response:
        return _page(
            request,
            problem=f"Nothing was changed: {field}: {message}",
            errors={field: message},
            draft=draft,
            status_code=400,
        )

    try:
        states = shapes.parse_states(wanted)
    except ValueError as exc:
        return refused("states", "pick at least one state" if not wanted else str(exc))
    with request.app.state.db.begin_read() as conn:
        labels = dict(choices.block_choices(conn))
    if block not in labels:
        return refused("block", "pick a block (create a Webhook or Slack block first)")
    automation = shapes.notification(
        states=states, tags=tags, block_document_id=UUID(block), block_label=labels[block]
    )
    with request.app.state.db.begin_write() as conn:
        made = automations.create_automation(conn, automation=automation)
    changed(request)
    notice = quote(f"Created notification {made.name}.")
    return RedirectResponse(f"/notifications?notice={notice}", status_code=303)
