"""Exception names a flow may import for signal and error handling."""

from prefect import flow
from prefect.exceptions import (
    Abort,
    MissingContextError,
    Pause,
    SignatureMismatchError,
    TerminationSignal,
)
from prefect.logging import get_run_logger


@flow
def safe() -> str:
    try:
        return "ran"
    except TerminationSignal:
        return "terminated"


if __name__ == "__main__":
    assert safe() == "ran"
    try:
        get_run_logger()
    except MissingContextError:
        pass
    assert issubclass(Abort, BaseException) and issubclass(Pause, BaseException)
    assert issubclass(SignatureMismatchError, Exception)
    print("PASS")
