"""``Block``: typed, named configuration saved in the store and loaded by name.

A subclass declares pydantic fields.  Its *type* (slug, display name, description)
and *schema* (the class's JSON schema, a checksum of it, a version) are registered in
the store when a block is first saved, or by ``headwater block register``.  Fields
typed ``SecretStr``/``SecretBytes``/``SecretDict`` are encrypted at rest by the store's
side of the client boundary and masked in reprs.  A field that is another block is
stored by reference: a saved block is referred to, an unsaved one is saved with its
parent as an anonymous block.

``load``, ``save`` and ``delete`` follow Prefect 3: called in an async flow or task
they return an awaitable (``await Secret.load("x")``); ``aload``/``asave``/``adelete``
are the explicit async forms and ``_sync=True`` forces the synchronous call.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import json
import re
import sys
import types
import typing
from typing import TYPE_CHECKING, Any, ClassVar, Union
from uuid import UUID

from pydantic import BaseModel, ConfigDict, PrivateAttr, Secret, SecretBytes, SecretStr
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import Self

from headwater.asyncdispatch import async_dispatch, run_in_thread
from headwater.exceptions import BlockDocumentMismatch, BlockNotFound, UserInputError

if TYPE_CHECKING:
    from headwater.client.protocol import Client
    from headwater.schemas.blocks import (
        BlockDocument,
        BlockDocumentCreate,
        BlockDocumentRef,
        BlockSchemaCreate,
        BlockTypeCreate,
    )

_BYTES = "$bytes"  # how bytes values are kept in JSON: {"$bytes": base64}
#: Modules that define the built-in blocks (imported to find a class by its slug).
BUILTIN_MODULES = (
    "headwater.blocks.system",
    "headwater.blocks.notifications",
    "headwater.blocks.sql",
    "headwater.blocks.filesystems",
    "headwater.blocks.shell",
)
#: Module names given to files registered with ``headwater block register -f``.
FILE_MODULE_PREFIX = "headwater_block_file_"
_SECRET_TYPES = (SecretStr, SecretBytes, Secret)


class Block(BaseModel):
    """Base class of blocks: subclass it and declare fields."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    _block_type_name: ClassVar[str | None] = None
    _block_type_slug: ClassVar[str | None] = None
    _block_schema_version: ClassVar[str] = "1"
    _block_schema_capabilities: ClassVar[tuple[str, ...]] = ()
    _description: ClassVar[str | None] = None
    _documentation_url: ClassVar[str | None] = None
    #: True on base classes that are not block types of their own (set per class).
    _block_abstract: ClassVar[bool] = False

    _block_document_id: UUID | None = PrivateAttr(default=None)
    _block_document_name: str | None = PrivateAttr(default=None)
    _is_anonymous: bool = PrivateAttr(default=False)

    def model_post_init(self, context: Any, /) -> None:
        self.block_initialization()

    def block_initialization(self) -> None:
        """Called after a block is created or loaded (override to prepare clients)."""

    # -- identity -------------------------------------------------------------------------
    @classmethod
    def get_block_type_name(cls) -> str:
        return cls.__dict__.get("_block_type_name") or _words(cls.__name__)

    @classmethod
    def get_block_type_slug(cls) -> str:
        return cls.__dict__.get("_block_type_slug") or _slugify(cls.get_block_type_name())

    @classmethod
    def get_description(cls) -> str | None:
        """``_description``, or the first paragraph of the class's own docstring."""
        if cls.__dict__.get("_description"):
            return str(cls.__dict__["_description"])
        doc = cls.__dict__.get("__doc__")
        if not doc:
            return None
        return inspect.cleandoc(doc).split("\n\n", 1)[0].replace("\n", " ")

    @classmethod
    def get_block_schema_version(cls) -> str:
        return cls._block_schema_version

    @classmethod
    def get_block_capabilities(cls) -> list[str]:
        capabilities: set[str] = set()
        for klass in cls.__mro__:
            capabilities.update(
                getattr(klass, "__dict__", {}).get("_block_schema_capabilities", ())
            )
        return sorted(capabilities)

    @classmethod
    def import_path(cls) -> str:
        """Where tools find this class again: ``module:Class`` or ``/file.py:Class``."""
        module = sys.modules.get(cls.__module__)
        file = getattr(module, "__file__", None)
        if file and (cls.__module__ == "__main__" or cls.__module__.startswith(FILE_MODULE_PREFIX)):
            from pathlib import Path

            return f"{Path(file).resolve()}:{cls.__qualname__}"
        return f"{cls.__module__}:{cls.__qualname__}"

    # -- schema ---------------------------------------------------------------------------
    @classmethod
    def secret_fields(cls) -> list[str]:
        """Dotted paths of the fields that are encrypted at rest."""
        return _secret_paths(cls, "")

    @classmethod
    def block_fields(cls) -> dict[str, list[type[Block]]]:
        """The fields whose values are blocks, with the block classes they accept."""
        out: dict[str, list[type[Block]]] = {}
        for name, info in cls.model_fields.items():
            found = [t for t in _flatten(info.annotation) if _is_block_class(t)]
            if found:
                out[name] = found
        return out

    @classmethod
    def schema_fields(cls) -> dict[str, Any]:
        """The JSON schema stored for this class (for the CLI and UI forms)."""
        cached = cls.__dict__.get("_hw_schema_cache")
        if cached is None:
            schema = cls.model_json_schema()
            schema["block_type_slug"] = cls.get_block_type_slug()
            schema["secret_fields"] = cls.secret_fields()
            schema["block_schema_references"] = {
                name: [klass.get_block_type_slug() for klass in classes]
                for name, classes in cls.block_fields().items()
            }
            cached = schema
            type.__setattr__(cls, "_hw_schema_cache", cached)
        return dict(cached)

    @classmethod
    def schema_checksum(cls) -> str:
        canonical = json.dumps(cls.schema_fields(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def _to_block_type_create(cls) -> BlockTypeCreate:
        from headwater.schemas.blocks import BlockTypeCreate

        return BlockTypeCreate(
            slug=cls.get_block_type_slug(),
            name=cls.get_block_type_name(),
            description=cls.get_description(),
            documentation_url=cls._documentation_url,
            import_path=cls.import_path(),
            is_protected=cls.__module__.startswith("headwater."),
        )

    @classmethod
    def _to_block_schema_create(cls) -> BlockSchemaCreate:
        from headwater.schemas.blocks import BlockSchemaCreate

        return BlockSchemaCreate(
            checksum=cls.schema_checksum(),
            version=cls.get_block_schema_version(),
            fields=cls.schema_fields(),
            secret_fields=cls.secret_fields(),
            capabilities=cls.get_block_capabilities(),
        )

    @classmethod
    def register_type_and_schema(cls, client: Client | None = None) -> None:
        """Register this block type (and the block types of its fields) in the store."""
        _check_slug(cls)
        client = client or _get_client()
        for klass in _with_nested_classes(cls):
            client.register_block_type(
                klass._to_block_type_create(), klass._to_block_schema_create()
            )

    # -- documents ------------------------------------------------------------------------
    def _to_document_create(self, name: str | None) -> BlockDocumentCreate:
        from headwater.schemas.blocks import BlockDocumentCreate, BlockDocumentRef

        data: dict[str, Any] = {}
        references: dict[str, BlockDocumentRef | BlockDocumentCreate] = {}
        for field in type(self).model_fields:
            value = getattr(self, field)
            if isinstance(value, Block):
                if value._block_document_id is not None and not value._is_anonymous:
                    references[field] = BlockDocumentRef(block_document_id=value._block_document_id)
                else:
                    references[field] = value._to_document_create(None)
            else:
                data[field] = _to_json(value, f"{type(self).__name__}.{field}")
        return BlockDocumentCreate(
            name=name,
            block_type_slug=type(self).get_block_type_slug(),
            block_schema_checksum=type(self).schema_checksum(),
            data=data,
            references=references,
        )

    @classmethod
    def _from_document(cls, document: BlockDocument, *, validate: bool = True) -> Self:
        data = _from_json(document.data)
        for field, child in document.references.items():
            child_cls = cls._field_class(field, child.block_type_slug)
            data[field] = child_cls._from_document(child, validate=validate)
        if validate:
            try:
                block = cls.model_validate(data)
            except PydanticValidationError as exc:
                raise BlockDocumentMismatch(_mismatch(cls, document, exc)) from None
        else:
            known = {k: v for k, v in data.items() if k in cls.model_fields}
            block = cls.model_construct(**known)
        block._block_document_id = document.id
        block._block_document_name = document.name
        block._is_anonymous = document.is_anonymous
        return block

    @classmethod
    def _field_class(cls, field: str, slug: str) -> type[Block]:
        info = cls.model_fields.get(field)
        if info is not None:
            for klass in _flatten(info.annotation):
                if _is_block_class(klass) and klass.get_block_type_slug() == slug:
                    return klass
        from headwater.blocks.discovery import block_class_for_slug

        return block_class_for_slug(slug)

    @classmethod
    def _address(cls, name: str) -> tuple[str, str]:
        """(type slug, document name) for ``name`` or ``slug/name``."""
        if "/" in name:
            slug, _, document_name = name.partition("/")
            return slug, document_name
        if cls is Block or ("_block_type_slug" not in cls.__dict__ and _is_abstract(cls)):
            raise UserInputError(
                f"{cls.__name__}.load needs 'type-slug/name' (e.g. 'secret/db-password'), "
                "or call load on the block's own class"
            )
        return cls.get_block_type_slug(), name

    @classmethod
    def _load(cls, name: str, *, validate: bool = True, client: Client | None = None) -> Self:
        slug, document_name = cls._address(name)
        client = client or _get_client()
        document = client.read_block_document(slug, document_name, include_secrets=True)
        target: type[Block] = cls
        if cls.get_block_type_slug() != slug or _is_abstract(cls):
            from headwater.blocks.discovery import block_class_for_slug

            target = block_class_for_slug(slug, client=client)
            if not issubclass(target, cls):
                raise UserInputError(
                    f"{slug}/{document_name} is a {target.__name__} block, not a {cls.__name__}"
                )
        return target._from_document(document, validate=validate)  # type: ignore[return-value]

    @classmethod
    @async_dispatch
    def load(cls, name: str, validate: bool = True, client: Client | None = None) -> Self:
        """The block saved as ``name`` (or ``slug/name`` on ``Block`` itself).

        ``validate=False`` skips checking the saved values against the class (to read a
        document saved by an older version of it).
        """
        return cls._load(name, validate=validate, client=client)

    @classmethod
    async def aload(cls, name: str, validate: bool = True, client: Client | None = None) -> Self:
        return await run_in_thread(cls._load, name, validate=validate, client=client)

    def _save(
        self, name: str | None = None, overwrite: bool = False, client: Client | None = None
    ) -> UUID:
        from headwater.schemas.blocks import check_block_name

        name = name or self._block_document_name
        if not name or (self._is_anonymous and name == self._block_document_name):
            raise UserInputError(f"{type(self).__name__}.save needs a name, e.g. .save('my-block')")
        try:
            check_block_name(name)
        except ValueError as exc:
            raise UserInputError(str(exc)) from None
        client = client or _get_client()
        create = self._to_document_create(name)
        try:
            document = client.save_block_document(create, overwrite=overwrite)
        except BlockNotFound:
            # First save of this type or version of its class in this store: register the
            # types involved and try again (re-raised if something else was missing).
            for klass in _value_classes(self):
                klass.register_type_and_schema(client)
            document = client.save_block_document(create, overwrite=overwrite)
        self._block_document_id = document.id
        self._block_document_name = document.name
        self._is_anonymous = False
        _adopt_references(self, document)
        return document.id

    @async_dispatch
    def save(
        self, name: str | None = None, overwrite: bool = False, client: Client | None = None
    ) -> UUID:
        """Save this block as ``name``; ``overwrite=True`` replaces a block of that name."""
        return self._save(name, overwrite=overwrite, client=client)

    async def asave(
        self, name: str | None = None, overwrite: bool = False, client: Client | None = None
    ) -> UUID:
        return await run_in_thread(self._save, name, overwrite=overwrite, client=client)

    @classmethod
    def _delete(cls, name: str, client: Client | None = None) -> None:
        slug, document_name = cls._address(name)
        (client or _get_client()).delete_block_document(slug, document_name)

    @classmethod
    @async_dispatch
    def delete(cls, name: str, client: Client | None = None) -> None:
        """Delete the block saved as ``name``."""
        cls._delete(name, client=client)

    @classmethod
    async def adelete(cls, name: str, client: Client | None = None) -> None:
        await run_in_thread(cls._delete, name, client=client)

    # -- secrets --------------------------------------------------------------------------
    def get_secret_value(self, field: str | None = None) -> Any:
        """The revealed value of a secret field (dotted path); without ``field``, of the
        block's only secret field."""
        paths = type(self).secret_fields()
        if field is None:
            if len(paths) != 1:
                raise UserInputError(
                    f"{type(self).__name__} has {len(paths)} secret fields "
                    f"({', '.join(paths) or 'none'}); name the one to reveal"
                )
            field = paths[0]
        value: Any = self
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else getattr(value, part)
        return _to_json(value, field) if not isinstance(value, bytes) else value


def _is_block_class(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, Block) and value is not Block


def _is_abstract(klass: type) -> bool:
    return inspect.isabstract(klass) or klass.__dict__.get("_block_abstract", False) is True


def _check_slug(klass: type[Block]) -> None:
    from headwater.schemas.blocks import check_slug

    try:
        check_slug(klass.get_block_type_slug())
    except ValueError as exc:
        raise UserInputError(f"{klass.__name__}: {exc}; set `_block_type_slug`") from None


def _with_nested_classes(klass: type[Block]) -> list[type[Block]]:
    """``klass`` and the block classes its fields accept, nested ones first."""
    out: list[type[Block]] = []

    def visit(current: type[Block]) -> None:
        if current in out:
            return
        for classes in current.block_fields().values():
            for nested in classes:
                if not _is_abstract(nested):
                    visit(nested)
        out.append(current)

    visit(klass)
    return out


def _value_classes(block: Block) -> list[type[Block]]:
    """The classes of a block and of the block values in its fields, nested first."""
    out: list[type[Block]] = []
    for field in type(block).model_fields:
        value = getattr(block, field)
        if isinstance(value, Block):
            out.extend(k for k in _value_classes(value) if k not in out)
    if type(block) not in out:
        out.append(type(block))
    return out


def _adopt_references(block: Block, document: BlockDocument) -> None:
    """Give nested blocks saved with their parent the ids of their documents."""
    for field, child in document.references.items():
        value = getattr(block, field, None)
        if isinstance(value, Block) and value._block_document_id is None:
            value._block_document_id = child.id
            value._block_document_name = child.name
            value._is_anonymous = child.is_anonymous
            _adopt_references(value, child)


def _get_client() -> Client:
    from headwater.client import shared_client

    return shared_client()


# -- annotations ------------------------------------------------------------------------
def _flatten(annotation: Any) -> list[Any]:
    """The types in ``X | Y``, ``Optional[X]`` and ``Annotated[X, ...]``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_flatten(arg))
        return out
    return [annotation]


def _contains_secret(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, _SECRET_TYPES):
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return False
    return any(_contains_secret(arg) for arg in typing.get_args(annotation))


def _secret_paths(model: type[BaseModel], prefix: str) -> list[str]:
    paths: list[str] = []
    for name, info in model.model_fields.items():
        members = _flatten(info.annotation)
        if any(_contains_secret(member) for member in members):
            paths.append(prefix + name)
            continue
        for member in members:
            if (
                isinstance(member, type)
                and issubclass(member, BaseModel)
                and not issubclass(member, Block)
            ):
                paths.extend(p for p in _secret_paths(member, f"{prefix}{name}.") if p not in paths)
    return paths


def _words(class_name: str) -> str:
    """``SqlAlchemyConnector`` → ``Sql Alchemy Connector``; ``JSON`` stays ``JSON``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", class_name)


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# -- values <-> JSON ----------------------------------------------------------------------
def _to_json(value: Any, where: str) -> Any:
    """A value as stored: JSON, with secrets revealed (the store encrypts them)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Block):
        raise UserInputError(
            f"{where}: blocks inside lists or dicts cannot be saved; "
            "give the block a field of its own"
        )
    if isinstance(value, (SecretStr, SecretBytes, Secret)):
        return _to_json(value.get_secret_value(), where)
    if isinstance(value, (bytes, bytearray)):
        return {_BYTES: base64.b64encode(bytes(value)).decode()}
    if isinstance(value, BaseModel):
        return {name: _to_json(getattr(value, name), where) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(k): _to_json(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_to_json(v, where) for v in value]
    from pydantic_core import to_jsonable_python

    try:
        return to_jsonable_python(value)
    except Exception:
        raise UserInputError(
            f"{where}: a {type(value).__name__} cannot be saved in a block (not JSON)"
        ) from None


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _BYTES in value and isinstance(value[_BYTES], str):
            return base64.b64decode(value[_BYTES])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _mismatch(cls: type[Block], document: BlockDocument, exc: PydanticValidationError) -> str:
    """One line saying which fields of a saved document do not fit the class."""
    from headwater.utilities.validation import describe_errors

    missing, extra, other = [], [], []
    for error in exc.errors():
        loc = error.get("loc", ())
        if error["type"] == "missing" and len(loc) == 1:
            missing.append(str(loc[0]))
        elif error["type"] == "extra_forbidden" and len(loc) == 1:
            extra.append(str(loc[0]))
        else:
            other.append(error)
    parts = []
    if missing:
        parts.append(
            ", ".join(f"field {m!r}" for m in missing)
            + f" of {cls.__name__} {'is' if len(missing) == 1 else 'are'} missing from it"
        )
    if extra:
        parts.append(
            ", ".join(f"field {e!r}" for e in extra)
            + f" in it {'is not a field' if len(extra) == 1 else 'are not fields'} "
            f"of {cls.__name__}"
        )
    if len(missing) == 1 and len(extra) == 1:
        parts.append(f"was {extra[0]!r} renamed to {missing[0]!r}?")
    if other:
        parts.append(describe_errors(_Errors(other)))
    changed = document.block_schema_checksum != cls.schema_checksum()
    when = " (saved with another version of the class)" if changed else ""
    return (
        f"the saved block {document.address} does not match {cls.__name__}{when}: "
        + "; ".join(parts)
        + f"; save it again (`headwater block create {document.block_type_slug} "
        f"{document.name} --overwrite`), or load it with validate=False"
    )


class _Errors:
    """The slice of a ``ValidationError`` that ``describe_errors`` reads."""

    def __init__(self, errors: list[Any]) -> None:
        self._errors = errors

    def errors(self) -> list[Any]:
        return self._errors

    def error_count(self) -> int:
        return len(self._errors)
