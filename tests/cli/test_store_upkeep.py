"""``headwater server database prune`` and ``vacuum`` as users run them."""

from __future__ import annotations

from pathlib import Path

from benchmarks._retention_seed import seed
from headwater.server.db.database import get_database
from tests.cli.test_server import headwater


def test_prune_dry_run_then_prune_then_vacuum(headwater_home: Path) -> None:
    db = get_database(f"sqlite:///{headwater_home / 'headwater.db'}")
    seed(db, old=120, kept=6, tasks_per_run=2, logs_per_run=5)
    db.dispose()

    dry = headwater("server", "database", "prune", "--dry-run", home=headwater_home)
    assert dry.returncode == 0, dry.stderr
    assert "Would delete" in dry.stdout and "nothing was deleted" in dry.stdout
    assert "flow runs" in dry.stdout and "120" in dry.stdout and "600" in dry.stdout

    kept = headwater("server", "database", "prune", "--older-than-days", "90", home=headwater_home)
    assert kept.returncode == 0, kept.stderr
    assert "0 flow runs" in kept.stdout  # the seeded runs are 60 days old

    done = headwater("server", "database", "prune", home=headwater_home)
    assert done.returncode == 0, done.stderr
    assert "Deleted" in done.stdout and "120 flow runs" in done.stdout

    again = headwater("server", "database", "prune", "--dry-run", home=headwater_home)
    assert "120" not in again.stdout

    vacuum = headwater("server", "database", "vacuum", home=headwater_home)
    assert vacuum.returncode == 0, vacuum.stderr
    assert "Before" in vacuum.stdout and "After" in vacuum.stdout and "KB" in vacuum.stdout


def test_prune_with_retention_off_says_so_in_one_line(headwater_home: Path) -> None:
    get_database(f"sqlite:///{headwater_home / 'headwater.db'}").dispose()
    off = headwater(
        "server", "database", "prune", home=headwater_home, HEADWATER_RETENTION_DAYS="0"
    )
    assert off.returncode == 1
    assert "retention is off" in off.stderr and "--older-than-days" in off.stderr
    assert "Traceback" not in off.stderr
