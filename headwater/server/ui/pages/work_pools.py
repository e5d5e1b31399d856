"""``/work-pools`` and ``/work-pools/{name}``: pools, their queues, their workers and
their base job template (its variables' defaults as a form generated from their JSON
schema, like a deployment's custom-run form; its job configuration shown as JSON).

Every change is a plain HTML form (POST, CSRF token) that goes through the same
store functions and schemas as the API (``WorkPoolUpdate``, ``WorkQueueCreate``,
``WorkQueueUpdate``), so the UI accepts exactly what the API accepts.  A wrong
value re-renders the page (status 400) with the field marked and nothing changed;
a change that worked redirects back with a notice.
"""

from __future__ import annotations

import copy
import json
import time
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.registry import ui_page

if TYPE_CHECKING:
    from headwater.server.ui.param_form import ParamField

ui = ui_page("work-pools", nav="Work pools", order=50)
router = ui.router

#: Form field → the schema field it fills.
_LABELS = {
    "priority": "Priority",
    "concurrency_limit": "Concurrency limit",
    "name": "Name",
    "description": "Description",
}


class FormErrors(Exception):
    """Field → message for a form that cannot be saved as it is."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _parse_int(raw: str, *, blank: int | None) -> int | None:
    """An integer from a form field; ``blank`` when empty.  ValueError says why not."""
    text = raw.strip()
    if not text:
        return blank
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a whole number") from None


def _validate(schema: type[Any], form: dict[str, str], ints: dict[str, int | None]) -> Any:
    """``schema`` built from the form; integer fields parsed first (blank → ``ints``'s
    value); every problem reported per field (``FormErrors``)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in form.items():
        if key in ints:
            try:
                parsed = _parse_int(raw, blank=ints[key])
            except ValueError as exc:
                errors[key] = str(exc)
                continue
            if parsed is not None:
                values[key] = parsed
        elif key == "paused":
            values[key] = raw == "on"
        elif key == "description":
            values[key] = raw.strip() or None
        else:
            values[key] = raw.strip()
    try:
        model = schema.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else "form"
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            errors.setdefault(field, message)
    if errors:
        raise FormErrors(errors)
    return model


def _back(name: str, notice: str) -> Response:
    return RedirectResponse(f"/work-pools/{quote(name)}?notice={quote(notice)}", status_code=303)


def _seconds_ago(epoch: float | None, now: float) -> str:
    if epoch is None:
        return "never"
    from headwater.server.ui.templating import format_duration

    return f"{format_duration(max(now - epoch, 0.0))} ago"


# -- pages ------------------------------------------------------------------------------
@router.get("/work-pools")
def pools_page(request: Request) -> Response:
    return pools_list(request)


def pools_list(
    request: Request,
    *,
    problem: str | None = None,
    errors: dict[str, str] | None = None,
    draft: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The pools table and the New work pool form (``work_pool_admin.py`` creates)."""
    from headwater.server.store import work_pool_stats, work_pools

    with request.app.state.db.begin_read() as conn:
        pools = work_pools.read_work_pools(conn, limit=1000)
        counts = work_pool_stats.pool_counts(conn)
    rows = [(pool, counts.get(str(pool.id), work_pool_stats.PoolCounts())) for pool in pools]
    types = sorted({"process", "docker", *(pool.type for pool in pools)})
    blank = {"name": "", "type": "process", "description": "", "concurrency_limit": ""}
    context = {
        "page_title": "Work pools",
        "rows": rows,
        "pool_types": types,
        "form_problem": problem,
        "errors": errors or {},
        "draft": {**blank, **(draft or {})},
    }
    return ui.render(request, "work_pools.html", context, status_code=status_code)


def _pool_page(
    request: Request,
    name: str,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    problem: str = "",
    status_code: int = 200,
    template_fields: list[ParamField] | None = None,
) -> Response:
    """The pool's page; ``errors``/``values`` by form key ("pool", "new-queue", or
    "queue:<name>") re-fill a rejected form with what was typed and why it failed
    (``template_fields``: the base job template's form as it was sent)."""
    from headwater.server.store import work_pool_stats, work_pools

    now = time.time()
    with request.app.state.db.begin_read() as conn:
        pool = work_pools.read_work_pool(conn, name=name)
        queues = work_pools.read_work_queues(conn, pool_name=name)
        workers = work_pools.read_workers(conn, pool_name=name)
        waiting = work_pool_stats.waiting_by_queue(conn, pool_id=pool.id, now=now)
    context = {
        "page_title": f"Work pool {pool.name}",
        "pool": pool,
        "queues": queues,
        "workers": workers,
        "waiting": waiting,
        "runs_waiting": sum(waiting.values()),
        "workers_online": sum(1 for w in workers if w.online),
        "seen": {str(w.id): _seconds_ago(w.last_heartbeat.timestamp(), now) for w in workers},
        "errors": errors or {},
        "values": values or {},
        "form_problem": problem,
        "template_fields": (
            template_fields if template_fields is not None else _template_fields(pool)
        ),
        "job_configuration": json.dumps(
            pool.base_job_template.get("job_configuration") or {}, indent=2
        ),
    }
    return ui.render(request, "work_pool.html", context, status_code=status_code)


def _template_fields(pool: Any) -> list[ParamField]:
    """One field per job variable, filled with its default; empty means no default."""
    from headwater.server.ui.param_form import build_fields

    variables = pool.base_job_template.get("variables") or {}
    fields = build_fields(variables, {}) if variables.get("properties") else []
    for item in fields:
        item.nullable = item.widget != "checkbox"
    return fields


@router.get("/work-pools/{name}")
def pool_page(request: Request, name: str) -> Response:
    return _pool_page(request, name)


def _rejected(request: Request, name: str, key: str, form: dict[str, str], exc: Any) -> Response:
    errors = exc.errors if isinstance(exc, FormErrors) else {"form": str(exc)}
    problem = "Nothing was changed: " + "; ".join(
        f"{_LABELS.get(field, field)}: {message}" for field, message in errors.items()
    )
    return _pool_page(
        request,
        name,
        errors={key: errors},
        values={key: form},
        problem=problem,
        status_code=400,
    )


# -- actions ----------------------------------------------------------------------------
def _set_paused(request: Request, name: str, paused: bool) -> Response:
    from headwater.schemas.work_pools import WorkPoolUpdate
    from headwater.server.store import work_pools

    with request.app.state.db.begin_write() as conn:
        work_pools.update_work_pool(conn, name=name, changes=WorkPoolUpdate(paused=paused))
    what = "paused: its workers claim no runs" if paused else "resumed"
    return _back(name, f"Pool {name} {what}.")


@router.post("/work-pools/{name}/pause")
def pause_pool(request: Request, name: str) -> Response:
    return _set_paused(request, name, True)


@router.post("/work-pools/{name}/resume")
def resume_pool(request: Request, name: str) -> Response:
    return _set_paused(request, name, False)


FormText = Annotated[str, Form()]


@router.post("/work-pools/{name}/settings")
def pool_settings(
    request: Request, name: str, concurrency_limit: FormText = "", description: FormText = ""
) -> Response:
    from headwater.schemas.work_pools import WorkPoolUpdate
    from headwater.server.store import work_pools

    form = {"concurrency_limit": concurrency_limit, "description": description}
    try:
        # A blank limit is "no limit", which the update spells 0.
        changes = _validate(WorkPoolUpdate, form, {"concurrency_limit": 0})
    except FormErrors as exc:
        return _rejected(request, name, "pool", form, exc)
    if changes.description is None:
        changes = changes.model_copy(update={"description": ""})
    with request.app.state.db.begin_write() as conn:
        pool = work_pools.update_work_pool(conn, name=name, changes=changes)
    limit = pool.concurrency_limit or "none"
    return _back(name, f"Pool {name} saved (concurrency limit: {limit}).")


@router.post("/work-pools/{name}/queues")
def create_queue(
    request: Request,
    name: str,
    queue_name: FormText = "",
    priority: FormText = "",
    concurrency_limit: FormText = "",
    paused: FormText = "off",
    description: FormText = "",
) -> Response:
    from headwater.exceptions import ObjectAlreadyExists
    from headwater.schemas.work_pools import WorkQueueCreate
    from headwater.server.store import work_pools

    form = {
        "name": queue_name,
        "priority": priority,
        "concurrency_limit": concurrency_limit,
        "paused": paused,
        "description": description,
    }
    try:
        queue = _validate(WorkQueueCreate, form, {"priority": 1, "concurrency_limit": None})
        with request.app.state.db.begin_write() as conn:
            work_pools.create_work_queue(conn, pool_name=name, queue=queue)
    except FormErrors as exc:
        return _rejected(request, name, "new-queue", form, exc)
    except ObjectAlreadyExists as exc:
        return _rejected(request, name, "new-queue", form, FormErrors({"name": str(exc)}))
    return _back(name, f"Queue {queue.name} created.")


@router.post("/work-pools/{name}/queues/{queue}")
def update_queue(
    request: Request,
    name: str,
    queue: str,
    priority: FormText = "",
    concurrency_limit: FormText = "",
    paused: FormText = "off",
) -> Response:
    from headwater.schemas.work_pools import WorkQueueUpdate
    from headwater.server.store import work_pools

    form = {"priority": priority, "concurrency_limit": concurrency_limit, "paused": paused}
    key = f"queue:{queue}"
    if not priority.strip():
        error = FormErrors({"priority": "enter a priority: 1 is served first"})
        return _rejected(request, name, key, form, error)
    try:
        changes = _validate(WorkQueueUpdate, form, {"priority": None, "concurrency_limit": 0})
    except FormErrors as exc:
        return _rejected(request, name, key, form, exc)
    with request.app.state.db.begin_write() as conn:
        saved = work_pools.update_work_queue(conn, pool_name=name, name=queue, changes=changes)
    state = "paused" if saved.paused else "active"
    limit = saved.concurrency_limit or "none"
    return _back(
        name,
        f"Queue {queue} saved: priority {saved.priority}, concurrency limit {limit}, {state}.",
    )


@router.post("/work-pools/{name}/base-job-template")
async def save_template_defaults(request: Request, name: str) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_save_template_defaults, request, name, values)


def _save_template_defaults(request: Request, name: str, form: dict[str, str]) -> Response:
    """The job variables' new defaults, each checked against its variable's JSON type;
    the page again (400) with the fields marked if one does not fit."""
    from headwater.schemas.work_pools import WorkPoolUpdate, job_variable_type_error
    from headwater.server.store import work_pools
    from headwater.server.ui.param_form import parse_form

    with request.app.state.db.begin_read() as conn:
        pool = work_pools.read_work_pool(conn, name=name)
    template = copy.deepcopy(pool.base_job_template)
    properties = (template.get("variables") or {}).get("properties") or {}
    fields = _template_fields(pool)
    defaults, errors = parse_form(fields, form)
    for item in fields:
        if item.name in errors or not isinstance(properties.get(item.name), dict):
            continue
        value = defaults.get(item.name)
        problem = job_variable_type_error(value, properties[item.name])
        if problem:
            errors[item.name] = problem
        else:
            properties[item.name]["default"] = value
    if errors:
        for item in fields:
            item.error = errors.get(item.name, "")
        problem_text = "Nothing was changed: " + "; ".join(
            f"{field}: {message}" for field, message in errors.items()
        )
        return _pool_page(
            request, name, problem=problem_text, status_code=400, template_fields=fields
        )
    with request.app.state.db.begin_write() as conn:
        work_pools.update_work_pool(
            conn, name=name, changes=WorkPoolUpdate(base_job_template=template)
        )
    return _back(name, f"Pool {name}: base job template defaults saved.")
