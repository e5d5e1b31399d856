"""``headwater block ls | types | register | create | inspect | delete``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from headwater.cli.output import console, fail, when

if TYPE_CHECKING:
    from headwater.blocks.core import Block
    from headwater.schemas.blocks import BlockDocument

app = typer.Typer(help="Save, inspect and delete blocks (configuration and credentials).")
F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Headwater's user errors become ``Error: …`` and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from headwater.exceptions import HeadwaterError

        try:
            return fn(*args, **kwargs)
        except HeadwaterError as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def _client() -> Any:
    from headwater.client import open_client

    return open_client()


@app.command("ls")
@user_errors
def list_blocks(
    block_type: str = typer.Option(None, "--type", "-t", help="Only blocks of this type (slug)."),
) -> None:
    """List saved blocks."""
    documents = _client().read_block_documents(block_type_slug=block_type, limit=10_000)
    table = Table(title=f"Blocks ({len(documents)})", title_justify="left")
    table.add_column("Block", style="cyan", no_wrap=True)
    table.add_column("Type")
    table.add_column("Updated", no_wrap=True)
    for document in documents:
        table.add_row(
            escape(document.address), escape(document.block_type_name), when(document.updated)
        )
    console().print(table)


@app.command("types")
@user_errors
def list_types() -> None:
    """List block types: the registered ones and the built-in ones."""
    from headwater.blocks.core import BUILTIN_MODULES
    from headwater.blocks.discovery import blocks_in_module

    client = _client()
    registered = {block_type.slug: block_type for block_type in client.read_block_types()}
    rows: dict[str, tuple[str, str, str]] = {}
    for slug, block_type in registered.items():
        version = block_type.latest_schema.version if block_type.latest_schema else "-"
        rows[slug] = (block_type.name, version, block_type.description or "")
    import importlib

    for module_name in BUILTIN_MODULES:
        for klass in blocks_in_module(importlib.import_module(module_name)):
            slug = klass.get_block_type_slug()
            if slug not in rows:
                rows[slug] = (
                    klass.get_block_type_name(),
                    klass.get_block_schema_version(),
                    klass.get_description() or "",
                )
    counts: dict[str, int] = {}
    for document in client.read_block_documents(limit=100_000):
        counts[document.block_type_slug] = counts.get(document.block_type_slug, 0) + 1
    table = Table(title=f"Block types ({len(rows)})", title_justify="left")
    table.add_column("Slug", style="cyan", no_wrap=True)
    table.add_column("Name")
    table.add_column("Version", justify="right")
    table.add_column("Blocks", justify="right")
    table.add_column("Description")
    for slug in sorted(rows):
        name, version, description = rows[slug]
        table.add_row(
            escape(slug),
            escape(name),
            escape(version),
            str(counts.get(slug, 0)),
            escape(description),
        )
    console().print(table)


@app.command("register")
@user_errors
def register(
    module: str = typer.Option(None, "--module", "-m", help="Python module defining blocks."),
    file: str = typer.Option(None, "--file", "-f", help="Python file defining blocks."),
) -> None:
    """Register the block types defined in a module or a file."""
    import importlib

    from headwater.blocks.discovery import blocks_in_module, load_module_file

    if bool(module) == bool(file):
        fail("give either --module/-m or --file/-f", "e.g. `headwater block register -m my_blocks`")
    if module:
        try:
            loaded = importlib.import_module(module)
        except ImportError as exc:
            fail(f"cannot import {module}: {exc}", "is the module on PYTHONPATH?")
        except Exception as exc:
            fail(f"cannot import {module}: {type(exc).__name__}: {exc}")
        source = f"module {module}"
    else:
        loaded = load_module_file(file)
        source = f"file {file}"
    classes = blocks_in_module(loaded)
    if not classes:
        fail(f"no Block subclasses are defined in {source}")
    client = _client()
    for klass in classes:
        klass.register_type_and_schema(client)
    names = ", ".join(f"{k.__name__} ({k.get_block_type_slug()})" for k in classes)
    console().print(
        f"Registered {len(classes)} block type(s) from {escape(source)}: {escape(names)}"
    )


@app.command("create")
@user_errors
def create(
    block_type: str = typer.Argument(..., help="The block type's slug, e.g. secret."),
    name: str = typer.Argument(None, help="The new block's name (asked when not given)."),
    field: list[str] = typer.Option(
        None, "--field", help="key=value (JSON when it parses, else a string); repeatable."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a block of that name."),
) -> None:
    """Save a new block: fields from --field, the others asked one by one."""
    from pydantic import ValidationError

    from headwater.schemas.blocks import check_block_name
    from headwater.utilities.validation import describe_errors

    klass = _class_for(block_type)
    if name is None:
        name = typer.prompt("Block name")
    try:
        check_block_name(name)
    except ValueError as exc:
        fail(str(exc))
    given = _parse_fields(field or [], klass)
    values = _ask_fields(klass, given, interactive=not given)
    try:
        block = klass.model_validate(values)
    except ValidationError as exc:
        fail(f"invalid {block_type} block: {describe_errors(exc)}")
    block_id = block.save(name, overwrite=overwrite, _sync=True)  # type: ignore[call-arg]
    console().print(f"Saved {escape(klass.get_block_type_slug())}/{escape(name)} ({block_id})")


@app.command("inspect")
@user_errors
def inspect_block(
    address: str = typer.Argument(..., help="TYPE/NAME, or NAME when it is unique."),
    show_secrets: bool = typer.Option(False, "--show-secrets", help="Reveal secret values."),
) -> None:
    """Show a block's fields (secrets masked unless --show-secrets)."""
    slug, name = _address(address)
    document = _client().read_block_document(slug, name, include_secrets=show_secrets)
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column()
    info.add_row("Block", escape(document.address))
    info.add_row("Type", escape(document.block_type_name))
    info.add_row("ID", str(document.id))
    info.add_row("Schema", f"version {escape(document.block_schema_version)}")
    info.add_row("Created", when(document.created))
    info.add_row("Updated", when(document.updated))
    console().print(info)
    console().print(_fields_table(document))


def _fields_table(document: BlockDocument) -> Table:
    table = Table(title="Fields", title_justify="left")
    table.add_column("Field", style="bold")
    table.add_column("Value", overflow="fold")
    for key, value in document.data.items():
        table.add_row(escape(key), escape(_show(value)))
    for key, child in document.references.items():
        if child.is_anonymous:
            nested = {k: _show(v) for k, v in child.data.items()}
            text = f"{child.block_type_slug} block {json.dumps(nested)}"
        else:
            text = f"→ {child.address}"
        table.add_row(escape(key), escape(text))
    return table


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@app.command("delete")
@user_errors
def delete_block(
    address: str = typer.Argument(..., help="TYPE/NAME, or NAME when it is unique."),
) -> None:
    """Delete a block."""
    slug, name = _address(address)
    _client().delete_block_document(slug, name)
    console().print(f"Deleted {escape(slug)}/{escape(name)}")


# -- helpers ------------------------------------------------------------------------------
def _address(address: str) -> tuple[str, str]:
    """(slug, name) for ``slug/name``, or for a ``name`` that only one block has."""
    if "/" in address:
        slug, _, name = address.partition("/")
        return slug, name
    matches = _client().read_block_documents(name=address, limit=100)
    if not matches:
        fail(f"no block named {address!r}", "`headwater block ls` lists blocks")
    if len(matches) > 1:
        listed = ", ".join(document.address for document in matches)
        fail(f"several blocks are named {address!r}: {listed}", "use TYPE/NAME")
    return matches[0].block_type_slug, matches[0].name


def _class_for(slug: str) -> type[Block]:
    from headwater.blocks.discovery import block_class_for_slug
    from headwater.exceptions import BlockNotFound

    try:
        return block_class_for_slug(slug)
    except BlockNotFound as exc:
        fail(str(exc), "`headwater block types` lists types; `block register` adds yours")


def _parse_fields(pairs: list[str], klass: type[Block]) -> dict[str, str]:
    import difflib

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            fail(f"--field needs key=value, got {pair!r}")
        if key not in klass.model_fields:
            close = difflib.get_close_matches(key, list(klass.model_fields), n=1)
            hint = f"did you mean {close[0]!r}?" if close else None
            fields = ", ".join(klass.model_fields)
            fail(f"{klass.__name__} has no field {key!r} (fields: {fields})", hint)
        out[key] = raw
    return out


def _ask_fields(klass: type[Block], given: dict[str, str], *, interactive: bool) -> dict[str, Any]:
    """Field values: the given ones, and the others asked for (only the required ones
    when some were given)."""
    schema = klass.model_json_schema()
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    secret = {path.split(".")[0] for path in klass.secret_fields()}
    block_fields = klass.block_fields()
    values: dict[str, Any] = {}
    for field, info in klass.model_fields.items():
        key = info.alias or field
        prop = _resolve(properties.get(key, {}), schema)
        if field in given:
            raw: str | None = given[field]
        elif interactive or key in required:
            raw = _prompt(field, prop, required=key in required, hidden=field in secret)
        else:
            continue
        if raw is None:
            continue
        if field in block_fields:
            values[field] = _nested_block(field, raw, block_fields[field])
        else:
            values[field] = _coerce(raw, prop, schema)
    return values


def _prompt(field: str, prop: dict[str, Any], *, required: bool, hidden: bool) -> str | None:
    description = prop.get("description") or prop.get("title") or ""
    label = f"{field}" + (f" ({description})" if description else "")
    if not required:
        default = prop.get("default")
        shown = "" if hidden or default is None else f", default {json.dumps(default)}"
        label += f" [optional{shown}; Enter to skip]"
        answer = typer.prompt(label, default="", show_default=False, hide_input=hidden)
        return answer if answer != "" else None
    answer = typer.prompt(label, hide_input=hidden)
    return str(answer)


def _nested_block(field: str, raw: str, classes: list[type[Block]]) -> Block:
    """A block field's value: the name of a saved block (``name`` or ``slug/name``)."""
    if "/" in raw:
        slug = raw.partition("/")[0]
        matching = [k for k in classes if k.get_block_type_slug() == slug]
        if not matching:
            slugs = ", ".join(k.get_block_type_slug() for k in classes)
            fail(f"field {field!r} takes a block of type {slugs}, not {slug}")
        return matching[0].load(raw, _sync=True)  # type: ignore[call-arg]
    if len(classes) > 1:
        slugs = ", ".join(k.get_block_type_slug() for k in classes)
        fail(f"field {field!r} takes several block types ({slugs}): give TYPE/NAME")
    return classes[0].load(raw, _sync=True)  # type: ignore[call-arg]


def _resolve(prop: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return {**schema.get("$defs", {}).get(ref.split("/")[-1], {}), **prop}
    return prop


def _json_types(prop: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The JSON types a field accepts ("any" when the schema does not say)."""
    prop = _resolve(prop, schema)
    found: set[str] = set()
    if "type" in prop:
        kinds = prop["type"]
        found.update(kinds if isinstance(kinds, list) else [kinds])
    for key in ("anyOf", "oneOf"):
        for option in prop.get(key, []):
            found.update(_json_types(option, schema))
    if "properties" in prop:
        found.add("object")
    return found or {"any"}


def _coerce(raw: str, prop: dict[str, Any], schema: dict[str, Any]) -> Any:
    """JSON when it parses (and the field takes it), else the string itself."""
    kinds = _json_types(prop, schema)
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(parsed, str):
        return parsed
    if "string" in kinds and not isinstance(parsed, (dict, list)):
        return raw  # "123" for a string field (a password, say) stays a string
    if "string" in kinds and kinds <= {"string", "null"}:
        return raw
    return parsed
