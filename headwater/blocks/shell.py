"""``ShellOperation``: run shell commands from a flow or task (Prefect's twin lives in
``prefect_shell``).

``ShellOperation(commands=[...], env={...}, working_dir=...).run()`` writes the
commands to a script, runs it with ``bash`` (``sh`` when there is no bash), streams
each output line to the run logger as it comes, and returns the stdout lines.  A
non-zero exit raises ``ShellCommandError``, so a task that runs it fails.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

from pydantic import Field, field_validator

from headwater.asyncdispatch import async_dispatch, run_in_thread
from headwater.blocks.core import Block
from headwater.blocks.fields import SecretDict
from headwater.exceptions import HeadwaterError

_TAIL_LINES = 20


class ShellCommandError(HeadwaterError, RuntimeError):
    """Shell commands that exited with a non-zero status."""

    def __init__(self, message: str, returncode: int, output: list[str]) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.output = output


class ShellOperation(Block):
    """Shell commands run in one shell script, with output streamed to the run's logs."""

    _block_type_slug = "shell-operation"

    commands: list[str] = Field(description="The commands, run in order in one script.")
    env: SecretDict | None = Field(
        default=None,
        description="Environment variables added to the current ones (secret: often tokens).",
    )
    working_dir: Path | None = Field(default=None, description="Where the commands run.")
    shell: str | None = Field(default=None, description="The shell (default bash, else sh).")
    extension: str | None = Field(default=None, description="The script's file extension.")
    stream_output: bool = Field(default=True, description="Log each output line as it comes.")

    @field_validator("commands")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one command")
        return value

    def _run(self) -> list[str]:
        logger = _logger()
        shell = self.shell or ("bash" if shutil.which("bash") else "sh")
        environment = {**os.environ}
        if self.env:
            environment.update({k: str(v) for k, v in self.env.get_secret_value().items()})
        cwd = Path(self.working_dir).expanduser() if self.working_dir else None
        if cwd is not None and not cwd.is_dir():
            raise ShellCommandError(f"working_dir {cwd} is not a folder", -1, [])
        with tempfile.NamedTemporaryFile(
            "w", suffix=self.extension or ".sh", prefix="headwater-shell-", delete=False
        ) as script:
            script.write("\n".join(self.commands) + "\n")
        try:
            process = subprocess.Popen(
                [shell, script.name],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                env=environment,
                cwd=cwd,
                text=True,
                errors="replace",
                bufsize=1,
            )
        except OSError as exc:
            os.unlink(script.name)
            raise ShellCommandError(
                f"cannot start {shell}: {exc.strerror or exc}", -1, []
            ) from None
        logger.info("PID %s: running %d command(s) with %s", process.pid, len(self.commands), shell)
        stdout: list[str] = []
        stderr_tail: deque[str] = deque(maxlen=_TAIL_LINES)
        assert process.stdout is not None and process.stderr is not None
        readers = [
            threading.Thread(
                target=self._pump, args=(process.stdout, stdout, logger, process.pid), daemon=True
            ),
            threading.Thread(
                target=self._pump,
                args=(process.stderr, stderr_tail, logger, process.pid),
                daemon=True,
            ),
        ]
        try:
            for reader in readers:
                reader.start()
            returncode = process.wait()
            for reader in readers:
                reader.join()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            process.stderr.close()
            os.unlink(script.name)
        if returncode != 0:
            tail = list(stderr_tail) or stdout[-_TAIL_LINES:]
            detail = f": {tail[-1]}" if tail else ""
            raise ShellCommandError(
                f"shell commands failed with exit code {returncode}{detail}", returncode, stdout
            )
        logger.info("PID %s: completed", process.pid)
        return stdout

    def _pump(self, stream: IO[str], sink: Any, logger: Any, pid: int) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            sink.append(line)
            if self.stream_output:
                logger.info("PID %s: %s", pid, line)

    @async_dispatch
    def run(self) -> list[str]:
        """Run the commands; the stdout lines, or ``ShellCommandError`` on failure."""
        return self._run()

    async def arun(self) -> list[str]:
        return await run_in_thread(self._run)

    def __enter__(self) -> ShellOperation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


def _logger() -> Any:
    from headwater.exceptions import MissingContextError
    from headwater.logging import get_run_logger

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("headwater.shell")
