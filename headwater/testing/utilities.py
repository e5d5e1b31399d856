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
the settings are what they were.  The empty store's schema is created once per
process (in a template file removed at exit) and each harness starts from a copy of
that file, so entering one costs a file copy rather than creating every table.
``disable_run_logger()`` lets ``my_task.fn(...)`` call ``get_run_logger()`` outside a
run.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from headwater.logging.loggers import disable_run_logger
from headwater.settings import temporary_settings

__all__ = ["disable_run_logger", "headwater_test_harness", "prefect_test_harness"]


_template: list[Path] = []
_template_lock = threading.Lock()


def _empty_store_template() -> Path:
    """A SQLite file holding an empty, current store: made once per process."""
    with _template_lock:
        if _template:
            return _template[0]
        from headwater.client.backend import create_empty_store

        directory = Path(tempfile.mkdtemp(prefix="headwater-test-template-"))
        atexit.register(shutil.rmtree, directory, True)
        path = directory / "headwater.db"
        url = f"sqlite:///{path}"
        with temporary_settings(home=str(directory), database_url=url):
            create_empty_store(url)  # closed again: the WAL is folded into the file
        _template.append(path)
        return path


@contextmanager
def headwater_test_harness(server_startup_timeout: int | None = None) -> Iterator[None]:
    """Run the block against a temporary store of its own.  ``server_startup_timeout``
    is accepted for Prefect's signature: no server is started (the embedded store
    answers in-process)."""
    template = _empty_store_template()
    directory = Path(tempfile.mkdtemp(prefix="headwater-test-"))
    shutil.copyfile(template, directory / "headwater.db")
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

            shared_client().hello()  # the store opened now rather than mid-test
            try:
                yield
            finally:
                from headwater.client.backend import forget_store

                forget_store(database_url)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


#: Prefect's name, for test suites ported by changing their imports.
prefect_test_harness = headwater_test_harness
