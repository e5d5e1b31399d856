"""How errors become HTTP answers: always JSON with a one-line ``detail``.

A client's mistake is a 4xx naming what was wrong (the field, the id); a store that
is briefly unavailable is a 503 the client may retry; only a bug is a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from headwater.exceptions import (
    ObjectAlreadyExists,
    ObjectNotFound,
    ParameterValidationError,
    UserInputError,
)

logger = logging.getLogger("headwater.server")

_MAX_LISTED = 5


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """``body.flow_name: String should have at most 200 characters; ...`` in one line."""
    parts = []
    for error in errors[:_MAX_LISTED]:
        loc = [str(part) for part in error.get("loc", ())]
        message = error.get("msg", "invalid")
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            where = f"body (character {loc[1]})" if len(loc) > 1 else "body"
            parts.append(f"{where}: invalid JSON: {reason}".rstrip(": "))
            continue
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        parts.append(f"{'.'.join(loc) or 'request'}: {message}")
    more = len(errors) - _MAX_LISTED
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def _errors_for_client(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The offending input is left out: it may be megabytes, and the client has it.
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors[:50]
    ]


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    return JSONResponse(
        {"detail": describe_validation_errors(errors), "errors": _errors_for_client(errors)},
        status_code=422,
    )


# ``error`` names the exception so HttpClient can raise the same one the embedded
# store would (e.g. BlockNotFound), keeping client code identical for both.
async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=404)


async def _user_error(request: Request, exc: Exception) -> JSONResponse:
    status = 404 if isinstance(exc, ObjectNotFound) else 422  # e.g. BlockNotFound
    return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=status)


async def _bad_parameters(request: Request, exc: Exception) -> JSONResponse:
    """A run's parameters that do not fit the deployment's schema: 422 naming each one."""
    assert isinstance(exc, ParameterValidationError)
    return JSONResponse(
        {"detail": str(exc), "error": type(exc).__name__, "errors": exc.errors}, status_code=422
    )


async def _already_exists(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, status_code=409)


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    logger.info("conflict on %s %s: %s", request.method, request.url.path, _short(exc))
    return JSONResponse(
        {"detail": "the request conflicts with stored data (a referenced object is missing?)"},
        status_code=409,
    )


async def _bad_data(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"the database cannot store this: {_short(exc)}"}, 422)


def store_error_response(code: str, detail: str, **extra: str) -> JSONResponse:
    """A store error as the API answers it: busy is a 503 to retry (``Retry-After``);
    broken (full: 507; read-only, schema mismatch, damaged: 503 without
    ``Retry-After``) names the cause and what to do, and clients stop retrying."""
    from headwater.schemas.store_errors import HINTS, STORE_BUSY, STORE_FULL

    if code == STORE_BUSY:
        return JSONResponse(
            {**extra, "detail": f"the store is busy ({detail}); retry shortly", "error": code},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    return JSONResponse(
        {**extra, "detail": f"the store cannot be written: {detail}; {HINTS[code]}", "error": code},
        status_code=507 if code == STORE_FULL else 503,
    )


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A database error: busy (retry) or broken (named), else a bug (500)."""
    from headwater.schemas.store_errors import STORE_BUSY
    from headwater.server.db.store_errors import classify

    code = classify(exc)
    if code is None:
        if not isinstance(exc, OperationalError):
            return await _internal(request, exc)
        code = STORE_BUSY
    logger.warning(
        "store error (%s) on %s %s: %s", code, request.method, request.url.path, _short(exc)
    )
    return store_error_response(code, _short(exc))


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback after this handler answers.
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def _short(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0][:300] if str(orig).strip() else type(orig).__name__


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ObjectNotFound, _not_found)
    app.add_exception_handler(ObjectAlreadyExists, _already_exists)
    app.add_exception_handler(ParameterValidationError, _bad_parameters)
    app.add_exception_handler(UserInputError, _user_error)
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(DataError, _bad_data)
    app.add_exception_handler(DBAPIError, _unavailable)
    app.add_exception_handler(Exception, _internal)
