"""A temporary, isolated store for a test session (Prefect's
``prefect.testing.utilities.prefect_test_harness``).

    from headwater.testing.utilities import headwater_test_harness

    @pytest.fixture(autouse=True, scope="session")
    def headwater_test_fixture():
        with headwater_test_harness():
            yield

Inside the block every flow and task run, log line, artifact, variable and block goes
to a fresh embedded SQLite store in a temporary directory (``HEADWATER_HOME`` points
there, no server is used, the user's profiles are not read); on the way out the
records still queued are written, the store is let go and the directory removed, and
the settings are what they were.  It costs about as much as creating the empty store.
``disable_run_logger()`` lets ``my_task.fn(...)`` call ``get_run_logger()`` outside a
run.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from headwater.logging.loggers import disable_run_logger
from headwater.settings import temporary_settings

__all__ = ["disable_run_logger", "headwater_test_harness", "prefect_test_harness"]


@contextmanager
def headwater_test_harness(server_startup_timeout: int | None = None) -> Iterator[None]:
    """Run the block against a temporary store of its own.  ``server_startup_timeout``
    is accepted for Prefect's signature: no server is started (the embedded store
    answers in-process)."""
    directory = Path(tempfile.mkdtemp(prefix="headwater-test-"))
    database_url = f"sqlite:///{directory / 'headwater.db'}"
    overrides = {
        "home": str(directory),
        "database_url": database_url,
        "api_url": None,
        "api_key": None,
        "profile": None,
        "results_storage": None,
    }
    try:
        with temporary_settings(**overrides):
            from headwater.client import shared_client

            shared_client().hello()  # the store's schema, created now rather than mid-test
            try:
                yield
            finally:
                from headwater.client.backend import forget_store

                forget_store(database_url)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


#: Prefect's name, for test suites ported by changing their imports.
prefect_test_harness = headwater_test_harness
