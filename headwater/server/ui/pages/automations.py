"""``/automations``: the automations (enabled switch, what triggers them, what they
do, when they last fired), a form to create or edit one (a field group per action
type; an advanced JSON box for the rest), and delete.  Every change is a plain HTML
form (POST, CSRF token) building the ``AutomationCore`` the API takes and calling the
same store functions; a refused form comes back with the wrong field marked."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.registry import ui_page

ui = ui_page("automations", nav="Automations", order=66)
router = ui.router


def changed(request: Request) -> None:
    """Tell the running automation service to reload (as the API does)."""
    running = getattr(request.app.state, "automations", None)
    if running is not None:
        running.changed()


def _back(target: str, notice: str) -> Response:
    return RedirectResponse(f"{target}?notice={quote(notice)}", status_code=303)


def _id(raw: str) -> UUID:
    from headwater.server.ui.pages._runs import parse_id

    return parse_id(raw, "automation")


@router.get("/automations")
def automations_page(request: Request) -> Response:
    from headwater.schemas.notifications import is_notification
    from headwater.server.store import automations, choices
    from headwater.server.ui import automation_forms as forms

    with request.app.state.db.begin_read() as conn:
        found = automations.read_automations(conn, limit=1000)
        fired = choices.last_fired(conn, [a.id for a in found])
    rows = [
        {
            "id": a.id,
            "name": a.name,
            "enabled": a.enabled,
            "notification": is_notification(a),
            "trigger": forms.summary_of_trigger(a),
            "actions": forms.summary_of_actions(a),
            "last_fired": fired.get(a.id),
        }
        for a in found
    ]
    context = {"page_title": "Automations", "rows": rows}
    return ui.render(request, "automations.html", context)


def _form_page(
    request: Request,
    *,
    automation_id: UUID | None,
    values: dict[str, Any],
    problem: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    from headwater.server.store import automations, choices
    from headwater.server.ui import automation_forms as forms
    from headwater.states import StateType

    with request.app.state.db.begin_read() as conn:
        options = {
            "deployment_id": choices.deployment_choices(conn),
            "work_pool_id": choices.work_pool_choices(conn),
            "work_queue_id": choices.work_queue_choices(conn),
            "automation_id": choices.automation_choices(conn),
            "block_document_id": choices.block_choices(conn),
        }
        history = (
            automations.read_actions(conn, automation_id=automation_id, limit=20)
            if automation_id is not None
            else []
        )
    title = f"Automation {values['name']}" if automation_id else "New automation"
    context = {
        "page_title": title,
        "automation_id": automation_id,
        "form": values,
        "options": options,
        "action_types": forms.ACTION_TYPES,
        "blank_action": forms.blank_action(),
        "state_types": [s.value for s in StateType],
        "form_problem": problem,
        "errors": errors or {},
        "history": history,
    }
    return ui.render(request, "automation_form.html", context, status_code=status_code)


@router.get("/automations/new")
def new_automation(request: Request) -> Response:
    from headwater.server.ui.automation_forms import form_values

    return _form_page(request, automation_id=None, values=form_values(None))


@router.get("/automations/{automation_id}")
def edit_automation(request: Request, automation_id: str) -> Response:
    from headwater.server.store import automations
    from headwater.server.ui.automation_forms import form_values

    ident = _id(automation_id)
    with request.app.state.db.begin_read() as conn:
        found = automations.read_automation(conn, automation_id=ident)
    return _form_page(request, automation_id=ident, values=form_values(found))


async def _save(request: Request, automation_id: UUID | None) -> Response:
    from headwater.exceptions import UserInputError
    from headwater.server.store import automations
    from headwater.server.ui import automation_forms as forms

    raw = await request.form()
    form = {key: value for key, value in raw.items() if isinstance(value, str)}
    try:
        automation = forms.automation_from_form(form)
        with request.app.state.db.begin_write() as conn:
            if automation_id is None:
                saved = automations.create_automation(conn, automation=automation)
            else:
                saved = automations.update_automation(
                    conn, automation_id=automation_id, automation=automation
                )
    except forms.FormProblem as exc:
        return _form_page(
            request,
            automation_id=automation_id,
            values=forms.form_again(form),
            problem=f"Nothing was changed: {exc.field}: {exc}",
            errors={exc.field: str(exc)},
            status_code=400,
        )
    except UserInputError as exc:
        return _form_page(
            request,
            automation_id=automation_id,
            values=forms.form_again(form),
            problem=f"Nothing was changed: {exc}",
            status_code=400,
        )
    changed(request)
    verb = "Created" if automation_id is None else "Saved"
    return _back("/automations", f"{verb} automation {saved.name}.")


@router.post("/automations/new")
async def create_automation(request: Request) -> Response:
    return await _save(request, None)


@router.post("/automations/{automation_id}")
async def update_automation(request: Request, automation_id: str) -> Response:
    return await _save(request, _id(automation_id))


def toggle(request: Request, automation_id: UUID, enabled: bool) -> str:
    """Turn an automation on or off; its name."""
    from headwater.server.store import automations

    with request.app.state.db.begin_write() as conn:
        saved = automations.set_enabled(conn, automation_id=automation_id, enabled=enabled)
    changed(request)
    return saved.name


def remove(request: Request, automation_id: UUID) -> str:
    """Delete an automation; its name."""
    from headwater.server.store import automations

    with request.app.state.db.begin_write() as conn:
        name = automations.read_automation(conn, automation_id=automation_id).name
        automations.delete_automation(conn, automation_id=automation_id)
    changed(request)
    return name


@router.post("/automations/{automation_id}/enabled")
async def set_enabled(request: Request, automation_id: str) -> Response:
    form = await request.form()
    enabled = form.get("enabled") == "true"
    name = toggle(request, _id(automation_id), enabled)
    back = str(form.get("back") or "/automations")
    target = back if back in ("/automations", "/notifications") else "/automations"
    return _back(target, f"{'Turned on' if enabled else 'Turned off'} {name}.")


@router.post("/automations/{automation_id}/delete")
async def delete_automation(request: Request, automation_id: str) -> Response:
    form = await request.form()
    name = remove(request, _id(automation_id))
    back = str(form.get("back") or "/automations")
    target = back if back in ("/automations", "/notifications") else "/automations"
    return _back(target, f"Deleted {name}.")
