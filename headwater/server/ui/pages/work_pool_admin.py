"""Create a work pool (``POST /work-pools``) and delete one
(``POST /work-pools/{name}/delete``): plain HTML forms through the same schema
(``WorkPoolCreate``) and store functions as the API, so a name or type the API
refuses is refused here, field by field, with nothing created."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.pages.work_pools import _LABELS, FormErrors, _validate, pools_list
from headwater.server.ui.registry import ui_page

ui = ui_page("work-pools")
router = ui.router

FormText = Annotated[str, Form()]
LABELS = {**_LABELS, "type": "Type"}


def _problem(errors: dict[str, str]) -> str:
    return "Nothing was created: " + "; ".join(
        f"{LABELS.get(field, field)}: {message}" for field, message in errors.items()
    )


@router.post("/work-pools")
def create_pool(
    request: Request,
    name: FormText = "",
    type: FormText = "process",
    description: FormText = "",
    concurrency_limit: FormText = "",
) -> Response:
    from headwater.exceptions import ObjectAlreadyExists
    from headwater.schemas.work_pools import WorkPoolCreate
    from headwater.server.store import work_pools

    form = {
        "name": name,
        "type": type,
        "description": description,
        "concurrency_limit": concurrency_limit,
    }
    draft = {key: value[:1000] for key, value in form.items()}
    try:
        pool = _validate(WorkPoolCreate, form, {"concurrency_limit": None})
        with request.app.state.db.begin_write() as conn:
            work_pools.create_work_pool(conn, pool=pool)
    except FormErrors as exc:
        problem = _problem(exc.errors)
        return pools_list(request, problem=problem, errors=exc.errors, draft=draft, status_code=400)
    except ObjectAlreadyExists as exc:
        errors = {"name": str(exc)}
        return pools_list(
            request, problem=_problem(errors), errors=errors, draft=draft, status_code=409
        )
    notice = f"Created work pool {pool.name} ({pool.type}) with its default queue."
    return RedirectResponse(
        f"/work-pools/{quote(pool.name)}?notice={quote(notice)}", status_code=303
    )


@router.post("/work-pools/{name}/delete")
def delete_pool(request: Request, name: str) -> Response:
    from headwater.exceptions import ObjectNotFound
    from headwater.server.store import work_pools

    try:
        with request.app.state.db.begin_write() as conn:
            work_pools.delete_work_pool(conn, name=name)
    except ObjectNotFound:
        message = f"No work pool named {name[:100]!r} (deleted already?)."
        return RedirectResponse(f"/work-pools?problem={quote(message)}", status_code=303)
    notice = f"Deleted work pool {name}: its deployments now have no pool."
    return RedirectResponse(f"/work-pools?notice={quote(notice)}", status_code=303)
