"""Answers serialized by pydantic in one step.

Returning a ``Response`` skips FastAPI's generic encoder (which walks the data in
Python); routes still declare ``response_model`` so the OpenAPI document is right.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel, TypeAdapter

_JSON = "application/json"


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status_code, media_type=_JSON)


_adapters: dict[Any, TypeAdapter[Any]] = {}


def list_response(items: list[Any], item_type: Any) -> Response:
    adapter = _adapters.get(item_type)
    if adapter is None:
        adapter = _adapters[item_type] = TypeAdapter(list[item_type])
    return Response(adapter.dump_json(items), media_type=_JSON)


def json_response(data: Any, status_code: int = 200) -> Response:
    import json

    return Response(json.dumps(data), status_code=status_code, media_type=_JSON)
