"""``page_router()``: the APIRouter every page module starts from."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from headwater.server.ui.session import check_csrf


def page_router() -> APIRouter:
    """Routes hidden from the OpenAPI document, each guarded against CSRF."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
