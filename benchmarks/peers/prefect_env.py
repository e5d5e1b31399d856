"""Create (once) and locate the Prefect virtual environment used for peer benchmarks.

Prefect is never a dependency of Headwater: it lives in its own venv at
``benchmarks/peers/.venv-prefect`` (git-ignored), built with the interpreter
that runs this helper and filled from PyPI with pip. Calling
:func:`ensure_prefect_env` again is cheap: it only checks that the venv's
Prefect imports and has the pinned version.

If the index cannot satisfy one of Prefect's own pins (it happens when a
release asks for a dependency newer than the index has), the helper installs
``prefect==VERSION`` without dependencies, installs the dependencies it lists,
and drops the version bound of only those that cannot be found. The relaxed
requirements are written to ``.venv-prefect/relaxed-requirements.txt`` so the
benchmark can report them.

Run directly to create the venv and print its python::

    python benchmarks/peers/prefect_env.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

PREFECT_VERSION = "3.9.1"
PEERS_DIR = Path(__file__).resolve().parent
VENV_DIR = PEERS_DIR / ".venv-prefect"
RELAXED_FILE = "relaxed-requirements.txt"

_NOT_FOUND = re.compile(r"No matching distribution found for ([A-Za-z0-9._-]+)")
_NAME = re.compile(r"^\s*([A-Za-z0-9._-]+)(\[[^\]]*\])?")
_MAX_RELAXED = 5


def venv_python(venv_dir: Path = VENV_DIR) -> Path:
    """Path of the interpreter inside ``venv_dir`` (whether or not it exists yet)."""
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def installed_prefect_version(python: Path) -> str | None:
    """The version of a working Prefect under ``python``, or None."""
    if not python.exists():
        return None
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m\n"
            "from prefect import flow, task\n"
            "print(m.version('prefect'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return None
    return probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else None


def _pip(python: Path, args: list[str], quiet: bool) -> subprocess.CompletedProcess[str]:
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        cmd.append("--quiet")
    result = subprocess.run(cmd + args, capture_output=True, text=True, check=False)
    if not quiet:
        sys.stderr.write(result.stdout)
    return result


def _requires_dist(python: Path, package: str) -> list[str]:
    """The unconditional (non-extra) requirement strings of an installed package."""
    out = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, sys\nprint('\\n'.join(m.requires(sys.argv[1]) or []))",
            package,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if line and "extra ==" not in line]


def _relax(requirement: str) -> str:
    """Drop the version bound of a requirement, keeping its extras and marker."""
    match = _NAME.match(requirement)
    if match is None:
        return requirement
    name = match.group(1) + (match.group(2) or "")
    _, sep, marker = requirement.partition(";")
    return f"{name}; {marker.strip()}" if sep else name


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _install_relaxed(python: Path, version: str, quiet: bool) -> list[str]:
    """Install prefect without its deps, then its deps, relaxing unfindable pins."""
    result = _pip(python, ["--no-deps", f"prefect=={version}"], quiet)
    if result.returncode != 0:
        raise RuntimeError(f"pip could not install prefect=={version}:\n{result.stderr}")
    requirements = _requires_dist(python, "prefect")
    relaxed: list[str] = []
    for _ in range(_MAX_RELAXED + 1):
        result = _pip(python, requirements, quiet)
        if result.returncode == 0:
            return relaxed
        missing = _NOT_FOUND.search(result.stderr)
        if missing is None or len(relaxed) >= _MAX_RELAXED:
            break
        target = _canonical(missing.group(1))
        changed = False
        for i, req in enumerate(requirements):
            match = _NAME.match(req)
            if match and _canonical(match.group(1)) == target and req != _relax(req):
                relaxed.append(req)
                requirements[i] = _relax(req)
                changed = True
        if not changed:
            break
    raise RuntimeError(f"pip could not install prefect's dependencies:\n{result.stderr}")


def ensure_prefect_env(
    venv_dir: Path = VENV_DIR,
    version: str = PREFECT_VERSION,
    quiet: bool = True,
) -> Path:
    """Make sure ``venv_dir`` holds a working ``prefect==version``; return its python.

    Idempotent: an existing venv with the right version is reused as is; a
    missing venv is created with ``sys.executable -m venv``; otherwise pip
    installs ``prefect==version`` into it.
    """
    python = venv_python(venv_dir)
    if installed_prefect_version(python) == version:
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv_dir)], check=True)
    _pip(python, ["--upgrade", "pip"], quiet)
    relaxed: list[str] = []
    if _pip(python, [f"prefect=={version}"], quiet).returncode != 0:
        relaxed = _install_relaxed(python, version, quiet)
    (venv_dir / RELAXED_FILE).write_text("".join(f"{r}\n" for r in relaxed))
    found = installed_prefect_version(python)
    if found != version:
        raise RuntimeError(f"expected prefect {version} in {venv_dir}, found {found or 'none'}")
    return python


if __name__ == "__main__":
    print(ensure_prefect_env(quiet="-v" not in sys.argv[1:]))
