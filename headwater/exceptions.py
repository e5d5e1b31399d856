"""Exceptions users may see or catch.

``HeadwaterError`` subclasses marked ``user_facing`` describe a mistake in the user's
input (a bad parameter, option or setting).  When one escapes to the top of a script,
``headwater.utilities.tracebacks`` prints it as one line instead of a traceback.
"""

from __future__ import annotations

from typing import Any


class HeadwaterError(Exception):
    """Base class of Headwater's own errors."""

    user_facing = False


class UserInputError(HeadwaterError):
    """A mistake in what the user gave us; printed as one line with a hint."""

    user_facing = True


class ConfigurationError(UserInputError):
    """A setting, profile or home directory that cannot be used."""


class StoreError(UserInputError):
    """The run store cannot be opened or used as it is (permissions, version)."""


class StoreUnwritable(StoreError):
    """The store refuses writes until someone fixes it: its disk is full, it is
    read-only, or its schema does not match.  ``code`` says which (``store_full``,
    ``store_read_only``, ``schema_mismatch``: the API's ``error`` codes)."""

    def __init__(self, message: str, code: str = "store_unwritable") -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[StoreUnwritable], tuple[str, str]]:
        return (type(self), (str(self), self.code))


class RunNotRecorded(StoreError):
    """A flow run whose records or final state could not be written to the store."""


class ParameterTypeError(UserInputError):
    """A flow parameter that does not match the flow's signature or type hints."""


class ParameterBindError(ParameterTypeError, TypeError):
    """Arguments that cannot be bound to a flow's signature (missing, unexpected)."""


class SignatureMismatchError(ParameterBindError):
    """Parameters that do not fit a flow's signature (Prefect's name for a bind error)."""


class UnknownOptionError(UserInputError, TypeError):
    """An unknown keyword given to ``@flow``/``@task`` or ``with_options``."""


class InvalidOptionError(UserInputError, ValueError):
    """A ``@flow``/``@task`` option with a value it cannot take."""


class UnstorableValueError(UserInputError, ValueError):
    """A value no store can keep (NUL, a lone surrogate, NaN or Infinity in JSON),
    refused alike by both clients and the API (422), on SQLite and PostgreSQL."""


class NotAFunctionError(UserInputError, TypeError):
    """``@flow``/``@task`` applied to something that is not callable."""


class MissingContextError(HeadwaterError, RuntimeError):
    """Something that needs a flow or task run was used outside one."""


class ObjectNotFound(HeadwaterError, LookupError):
    """A run, flow or other object that does not exist."""


class ObjectAlreadyExists(UserInputError, ValueError):
    """A create of something (a block, a variable) whose name is taken."""


class BlockNotFound(UserInputError, ObjectNotFound, ValueError):
    """A block document (or block type) that does not exist; names the ones that do.

    Also a ``ValueError``: Prefect raises one from ``Block.load`` of a missing name."""


class BlockDocumentMismatch(UserInputError, ValueError):
    """A saved block document that no longer fits its class (a field added or renamed)."""


class DecryptionError(UserInputError):
    """A secret saved with another encryption key than the one in use."""


class ServerUnavailable(UserInputError):
    """The Headwater server cannot be reached (or keeps answering 5xx/429)."""


class ServerAuthenticationError(UserInputError):
    """The server refused the API key (or none was sent)."""


class ServerRequestError(HeadwaterError, ValueError):
    """The server refused a request as invalid (HTTP 4xx); ``detail`` says why."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(f"the server refused the request ({status_code}): {detail}")
        self.status_code = status_code
        self.detail = detail


class ObjectLimitReached(HeadwaterError):
    """The server refused to create more of something (a limit on a resource)."""


class ObjectUnsupported(HeadwaterError):
    """The server does not support this kind of object or operation."""


class UpstreamTaskError(HeadwaterError):
    """A task did not run because a task it depends on did not complete."""


class TaskRunTimeoutError(HeadwaterError, TimeoutError):
    """A task run exceeded its ``timeout_seconds``."""


class FlowRunTimeoutError(HeadwaterError, TimeoutError):
    """A flow run exceeded its ``timeout_seconds``: what the caller of the flow sees
    (the ``TimedOut`` state's exception).  Inside the flow's own code the deadline is
    ``FlowRunDeadline``, which ``except Exception`` or ``except OSError`` do not catch."""


class FlowRunDeadline(BaseException):
    """Raised in a flow's code (and in its waits on futures) when the run's
    ``timeout_seconds`` pass.

    A ``BaseException``, like ``KeyboardInterrupt``: a deadline must not be swallowed by
    the flow's own ``except Exception`` (or ``except OSError``; ``TimeoutError`` is
    one).  The engine turns it into the ``TimedOut`` state; the caller sees
    ``FlowRunTimeoutError``.  ``deadline`` is the deadline that passed (a subflow
    interrupted by its parent's deadline lets it through)."""

    deadline: object = None


class CrashedRun(HeadwaterError):
    """A run ended by something other than its own code (signal, exit, interpreter error)."""


class FailedRun(HeadwaterError):
    """A failed run whose state holds no exception of its own (``State.result()``)."""


class CancelledRun(HeadwaterError):
    """A run that was cancelled; raised by ``State.result()`` of a Cancelled state."""


class PausedRun(HeadwaterError):
    """A run that is paused (``State.result()`` of a Paused state)."""


class FlowPauseTimeout(HeadwaterError, TimeoutError):
    """A paused flow run was not resumed within its timeout (the run ends Failed)."""


class PausedRunEnded(HeadwaterError):
    """A paused flow run was ended (cancelled, …) instead of resumed."""


class NotPausedError(UserInputError, ValueError):
    """A resume of a flow run that is not paused."""


class MissingResult(HeadwaterError):
    """A state whose value was not kept (not persisted, or read from another process)."""


class UnfinishedRun(HeadwaterError):
    """``State.result()`` called on a state that is not final."""


class HeadwaterSignal(BaseException):
    """Signals the engine reacts to; ``BaseException`` so ``except Exception`` lets them by."""


class Abort(HeadwaterSignal):
    """Stop the run without changing its state (Prefect's name)."""


class Pause(HeadwaterSignal):
    """Stop the run because it was paused (Prefect's name; see ``headwater.flow_runs``):
    ``suspend_flow_run`` raises it with the Suspended ``state`` the store accepted."""

    def __init__(self, message: str = "", state: Any = None) -> None:
        super().__init__(message)
        self.state = state


class ExternalSignal(BaseException):
    """A signal from outside the process (SIGTERM)."""


class TerminationSignal(ExternalSignal):
    """Raised in the main thread when the process receives SIGTERM during a flow run."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"received signal {signum}")
        self.signum = signum
        self.signal = signum
        #: Records of the task runs it interrupted (the flow engine ends them Cancelled
        #: when the signal turns out to be a cancellation).
        self.interrupted: list[Any] = []


class MappingLengthMismatch(UserInputError, ValueError):
    """``Task.map`` over iterables of different lengths."""


class MappingMissingIterable(UserInputError, TypeError):
    """``Task.map`` without any iterable argument."""


class FlowRunWaitTimeout(HeadwaterError, TimeoutError):
    """``wait_for_flow_run`` gave up before the run finished."""


class MissingFlowError(UserInputError):
    """An entrypoint names a flow that its file or module does not define."""


class InvalidNameError(UserInputError, ValueError):
    """A name with characters it may not contain."""


class ReservedArgumentError(UserInputError, TypeError):
    """A flow or task parameter whose name the engine reserves (``return_state``, ...)."""


class SerializationError(HeadwaterError):
    """A result or parameter that cannot be serialized."""


class DeploymentNotFound(UserInputError, ObjectNotFound):
    """A deployment (``flow-name/deployment-name``) that does not exist."""


class WorkPoolNotFound(UserInputError, ObjectNotFound):
    """A work pool or work queue that does not exist."""


class ParameterValidationError(UserInputError, ValueError):
    """Flow-run parameters that do not match a deployment's parameter schema.

    ``errors`` lists ``{"loc": [...], "msg": ...}`` per parameter (the API's 422 body)."""

    def __init__(self, message: str, errors: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


def exception_traceback(exc: BaseException) -> str:
    """The formatted traceback of ``exc`` (as Prefect's helper of the same name)."""
    import traceback

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


# Prefect's names for the same classes: a ported ``except PrefectException`` catches ours.
PrefectException = HeadwaterError
PrefectSignal = HeadwaterSignal


class ConcurrencyLimitNotFound(UserInputError, ObjectNotFound):
    """A concurrency limit that does not exist (``strict=True``, or a CLI name)."""


class ConcurrencySlotAcquisitionError(UserInputError):
    """Slots that cannot be taken: a rate limit without slot decay, more slots than
    the limit has, or ``max_retries`` used up."""


class AcquireConcurrencySlotTimeoutError(ConcurrencySlotAcquisitionError, TimeoutError):
    """No slot came free within ``timeout_seconds``."""


class EventError(UserInputError, ValueError):
    """An event that cannot be stored (no resource id, a name too long, ...)."""


class AutomationNotFound(ObjectNotFound):
    """No automation with that id or name."""


class SlaNotFound(ObjectNotFound):
    """No SLA with that id (or name) on the deployment."""


class WebhookNotFound(ObjectNotFound):
    """No webhook with that id, name or slug (or it is disabled)."""
