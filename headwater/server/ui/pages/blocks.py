"""``/blocks``: saved blocks, the catalogue of block types, and the create/edit forms.

Forms are generated from the type's latest schema (``ui/block_forms.py``) and saved
with ``store.blocks.save_block_document``, like the API's ``POST /block_documents``.
Pages read documents with secrets masked (``include_secrets=False``), so no secret
value ever reaches the HTML, not even in the edit form.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from headwater.server.ui.errors import PageNotFound
from headwater.server.ui.registry import ui_page

ui = ui_page("blocks", nav="Blocks", order=60)
router = ui.router

PAGE_SIZE = 100


def _href(slug: str, name: str, suffix: str = "") -> str:
    return f"/blocks/{quote(slug, safe='')}/{quote(name, safe='')}{suffix}"


@router.get("/blocks")
def blocks_page(request: Request, type: str = "", offset: int = 0) -> Response:
    from headwater.server.store import blocks

    problem = ""
    offset = max(offset, 0)
    with request.app.state.db.begin_read() as conn:
        types = blocks.read_block_types(conn)
        slugs = {t.slug for t in types}
        if type and type not in slugs:
            problem = f"There is no block type {type!r}; showing blocks of every type."
            type = ""
        documents = blocks.read_block_documents(
            conn, block_type_slug=type or None, limit=PAGE_SIZE + 1, offset=offset
        )
    more = len(documents) > PAGE_SIZE

    def page_url(at: int) -> str:
        return "/blocks?" + urlencode({k: v for k, v in (("type", type), ("offset", at)) if v})

    context = {
        "page_title": "Blocks",
        "types": types,
        "type": type,
        "documents": documents[:PAGE_SIZE],
        "filter_problem": problem,
        "next_url": page_url(offset + PAGE_SIZE) if more else None,
        "prev_url": page_url(max(offset - PAGE_SIZE, 0)) if offset else None,
        "href": _href,
    }
    return ui.render(request, "blocks.html", context, status_code=400 if problem else 200)


@router.get("/blocks/catalog")
def catalog_page(request: Request) -> Response:
    from headwater.server.store import block_stats, blocks

    with request.app.state.db.begin_read() as conn:
        types = blocks.read_block_types(conn)
        counts = block_stats.documents_per_type(conn)
    context = {
        "page_title": "Block catalogue",
        "types": types,
        "counts": counts,
    }
    return ui.render(request, "block_catalog.html", context)


# -- forms ----------------------------------------------------------------------------------
def _form_context(
    conn: Any, slug: str, document: Any = None
) -> tuple[Any, list[Any], dict[str, list[tuple[str, str]]]]:
    """The type, its form fields, and the choices of each reference field."""
    from headwater.server.store import blocks
    from headwater.server.ui.block_forms import form_fields

    block_type = blocks.read_block_type(conn, slug=slug)
    schema = block_type.latest_schema
    if schema is None:
        raise PageNotFound(f"block type {slug!r} has no registered schema")
    fields = form_fields(schema.fields, schema.secret_fields)
    choices: dict[str, list[tuple[str, str]]] = {}
    for item in fields:
        if item.kind != "reference":
            continue
        options: list[tuple[str, str]] = []
        for ref_slug in item.ref_slugs:
            for found in blocks.read_block_documents(conn, block_type_slug=ref_slug, limit=1000):
                options.append((str(found.id), found.address))
        child = document.references.get(item.name) if document is not None else None
        if child is not None and child.is_anonymous:
            options.insert(0, (str(child.id), f"nested {child.block_type_slug} block (keep)"))
        choices[item.name] = options
    return block_type, fields, choices


def _render_form(
    request: Request,
    block_type: Any,
    fields: list[Any],
    choices: dict[str, list[tuple[str, str]]],
    *,
    document: Any = None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    name: str = "",
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    editing = document is not None
    action = (
        _href(document.block_type_slug, document.name, "/edit")
        if editing
        else f"/blocks/new/{quote(block_type.slug, safe='')}"
    )
    context = {
        "page_title": f"Edit {document.address}" if editing else f"New {block_type.name} block",
        "block_type": block_type,
        "fields": fields,
        "choices": choices,
        "document": document,
        "values": values,
        "errors": errors,
        "name": name,
        "action": action,
        "stored": document.data if editing else {},
        "form_problem": (
            "Nothing was saved: "
            + "; ".join(f"{_label(fields, k)}: {v}" for k, v in errors.items())
            if errors
            else ""
        ),
        "href": _href,
    }
    return ui.render(request, "block_form.html", context, status_code=status_code)


def _label(fields: list[Any], name: str) -> str:
    if name == "block_name":
        return "Name"
    return next((f.label for f in fields if f.name == name), name)


def _posted(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.get("/blocks/new/{slug}")
def new_block_page(request: Request, slug: str) -> Response:
    from headwater.server.ui.block_forms import initial_values

    with request.app.state.db.begin_read() as conn:
        block_type, fields, choices = _form_context(conn, slug)
    values = initial_values(fields, None)
    return _render_form(request, block_type, fields, choices, values=values)


@router.post("/blocks/new/{slug}")
async def create_block(request: Request, slug: str) -> Response:
    form = _posted(await request.form())
    return await _threaded(_save, request, slug, None, form)


@router.get("/blocks/{slug}/{name}")
def block_page(request: Request, slug: str, name: str) -> Response:
    from headwater.server.store import blocks
    from headwater.server.ui.block_forms import form_fields

    with request.app.state.db.begin_read() as conn:
        document = blocks.read_block_document(conn, block_type_slug=slug, name=name)
        block_type = blocks.read_block_type(conn, slug=slug)
    schema = block_type.latest_schema
    fields = form_fields(schema.fields, schema.secret_fields) if schema else []
    labels = {f.name: f.label for f in fields}
    secret = {f.name for f in fields if f.kind == "secret"}
    context = {
        "page_title": document.address,
        "document": document,
        "block_type": block_type,
        "labels": labels,
        "secret": secret,
        "href": _href,
    }
    return ui.render(request, "block.html", context)


@router.get("/blocks/{slug}/{name}/edit")
def edit_block_page(request: Request, slug: str, name: str) -> Response:
    from headwater.server.store import blocks
    from headwater.server.ui.block_forms import initial_values

    with request.app.state.db.begin_read() as conn:
        document = blocks.read_block_document(conn, block_type_slug=slug, name=name)
        block_type, fields, choices = _form_context(conn, slug, document)
    values = initial_values(fields, document)
    return _render_form(
        request, block_type, fields, choices, document=document, values=values, name=name
    )


@router.post("/blocks/{slug}/{name}/edit")
async def update_block(request: Request, slug: str, name: str) -> Response:
    form = _posted(await request.form())
    return await _threaded(_save, request, slug, name, form)


@router.post("/blocks/{slug}/{name}/delete")
def delete_block(request: Request, slug: str, name: str) -> Response:
    from headwater.exceptions import ObjectAlreadyExists
    from headwater.server.store import blocks

    try:
        with request.app.state.db.begin_write() as conn:
            blocks.delete_block_document(conn, block_type_slug=slug, name=name)
    except ObjectAlreadyExists as exc:  # other blocks refer to it
        return RedirectResponse(_href(slug, name, f"?problem={quote(str(exc))}"), status_code=303)
    notice = quote(f"Deleted {slug}/{name}.")
    return RedirectResponse(f"/blocks?notice={notice}", status_code=303)


def _save(request: Request, slug: str, name: str | None, form: dict[str, str]) -> Response:
    """Create (``name`` None: the form names it) or overwrite a document from a form."""
    from headwater.exceptions import ObjectAlreadyExists
    from headwater.schemas.blocks import BlockDocumentCreate, check_block_name
    from headwater.server.store import blocks
    from headwater.server.ui.block_forms import parse_form

    db = request.app.state.db
    with db.begin_read() as conn:
        document = (
            blocks.read_block_document(conn, block_type_slug=slug, name=name) if name else None
        )
        block_type, fields, choices = _form_context(conn, slug, document)
    allowed = {field: {value for value, _ in options} for field, options in choices.items()}
    parsed = parse_form(fields, form, current=document, reference_ids=allowed)
    errors = dict(parsed.errors)
    new_name = name or form.get("block_name", "").strip()
    if name is None:
        try:
            check_block_name(new_name)
        except ValueError as exc:
            errors = {"block_name": str(exc), **errors}
    if not errors:
        assert block_type.latest_schema is not None
        create = BlockDocumentCreate(
            name=new_name,
            block_type_slug=slug,
            block_schema_checksum=block_type.latest_schema.checksum,
            data=parsed.data,
            references=dict(parsed.references),
        )
        try:
            with db.begin_write() as conn:
                blocks.save_block_document(conn, document=create, overwrite=name is not None)
        except ObjectAlreadyExists as exc:
            errors = {"block_name": str(exc)}
    if errors:
        values = {k: v for k, v in form.items() if k.startswith("f_")}
        for item in fields:
            if item.kind == "secret":  # never echo a secret back, even a rejected one
                values.pop(item.input_name, None)
        return _render_form(
            request,
            block_type,
            fields,
            choices,
            document=document,
            values=values,
            errors=errors,
            name=new_name,
            status_code=400,
        )
    verb = "Saved changes to" if name else "Created"
    notice = quote(f"{verb} {slug}/{new_name}.")
    return RedirectResponse(_href(slug, new_name, f"?notice={notice}"), status_code=303)


async def _threaded(fn: Any, *args: Any) -> Response:
    """Store work off the event loop (the form's fields are only known in async code)."""
    from starlette.concurrency import run_in_threadpool

    result: Response = await run_in_threadpool(fn, *args)
    return result
