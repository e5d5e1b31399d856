"""``headwater server start`` and ``headwater server database ...`` (upgrade, downgrade,
reset, prune, vacuum).

FastAPI and uvicorn are imported only by ``server start`` itself, so every other
command stays quick.
"""

from __future__ import annotations

import datetime as dt
import errno
import socket
from typing import TYPE_CHECKING

import typer

from headwater.cli.output import console, fail

if TYPE_CHECKING:
    from headwater.server.db.database import Database

app = typer.Typer(help="Run the Headwater server and manage its database.", no_args_is_help=True)
database_app = typer.Typer(
    help="Upgrade, downgrade or reset the server's database.", no_args_is_help=True
)
app.add_typer(database_app, name="database")


def _check_port_free(host: str, port: int) -> None:
    """Say in one line that the address is taken, instead of uvicorn's traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"{host}:{port} is already in use", "choose another with --port")
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", "check --host")


def _register_builtin_blocks() -> None:
    """The built-in block types in the server's store (the UI's block catalogue), once
    before the server's workers start: the server imports no block classes."""
    from headwater.blocks.builtins import register_builtin_block_types
    from headwater.client.local import LocalClient

    with LocalClient() as client:
        register_builtin_block_types(client)


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("start")
def start(
    host: str = typer.Option(None, "--host", help="Address to bind [HEADWATER_SERVER_HOST]."),
    port: int = typer.Option(
        None, "--port", min=1, max=65535, help="Port to bind [HEADWATER_SERVER_PORT]."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Server processes (use PostgreSQL for more than 1)."
    ),
    log_level: str = typer.Option(
        "info", "--log-level", help="Server log level: debug, info, warning, error."
    ),
    access_log: bool = typer.Option(
        False, "--access-log/--no-access-log", help="Log every request."
    ),
) -> None:
    """Start the API server (REST API under /api, docs at /api/docs)."""
    from headwater.server.db.database import get_database
    from headwater.settings import get_settings

    settings = get_settings()
    host = host or settings.server_host
    port = port or settings.server_port
    level = log_level.strip().lower()
    if level not in ("critical", "error", "warning", "info", "debug"):
        fail(f"unknown log level {log_level!r}", "use debug, info, warning or error")
    _check_port_free(host, port)
    db = get_database()  # create or migrate the store once, before the workers start
    _register_builtin_blocks()
    if workers > 1 and db.is_sqlite:
        console().print(
            "[yellow]Note:[/yellow] several workers share one SQLite file; "
            "writes are serialized. Use PostgreSQL (HEADWATER_DATABASE_URL) to scale out."
        )
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{port}"
    console().print(f"Headwater server on [bold]{base}[/bold]")
    console().print(f"  API      {base}/api   (docs at {base}/api/docs)")
    console().print(f"  Store    {_display_url(db.url)}")
    console().print(f"  Auth     {'API key required' if settings.server_api_key else 'none'}")
    console().print(f"  Clients: export HEADWATER_API_URL={base}/api")
    import uvicorn

    uvicorn.run(
        "headwater.cli.server_app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=level,
        access_log=access_log,
        server_header=False,
    )


def _database() -> Database:
    from headwater.server.db.database import open_database
    from headwater.settings import get_settings

    return open_database(get_settings().database_url_or_default)


@database_app.command("upgrade")
def upgrade() -> None:
    """Create the database or migrate it to the newest schema."""
    from headwater.server.db.migrate import current_revision, ensure_schema, head_revision

    db = _database()
    before = current_revision(db)
    ensure_schema(db)
    after = head_revision()
    if before == after:
        console().print(f"Database {_display_url(db.url)} is already at revision {after} (newest).")
    else:
        console().print(
            f"Database {_display_url(db.url)} upgraded from {before or 'empty'} to {after}."
        )
    db.dispose()


@database_app.command("downgrade")
def downgrade(
    revision: str = typer.Option(
        ..., "--revision", "-r", help="Revision to go down to (e.g. 0001), or 'base' for none."
    ),
) -> None:
    """Migrate the database down to an older schema revision."""
    from headwater.server.db.migrate import current_revision
    from headwater.server.db.migrate import downgrade as run_downgrade

    db = _database()
    before = current_revision(db)
    if before is None:
        fail(
            "the database has no Headwater schema to downgrade",
            "`headwater server database upgrade`",
        )
    run_downgrade(db, revision)
    console().print(f"Database {_display_url(db.url)} downgraded from {before} to {revision}.")
    db.dispose()


@database_app.command("reset")
def reset(
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm: every run is deleted."),
) -> None:
    """Drop every table and create an empty database (all runs are lost)."""
    from headwater.server.db.migrate import reset as run_reset

    db = _database()
    if not yes:
        fail(
            f"this deletes every flow run, task run and log in {_display_url(db.url)}",
            "run again with --yes to confirm",
        )
    run_reset(db)
    console().print(f"Database {_display_url(db.url)} reset: empty, newest schema.")
    db.dispose()


@database_app.command("prune")
def prune_command(
    older_than_days: float = typer.Option(
        None,
        "--older-than-days",
        min=0,
        help="Delete finished runs that ended more than this many days ago "
        "[HEADWATER_RETENTION_DAYS].",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would go; delete nothing."),
) -> None:
    """Delete finished flow runs older than the retention window, with what they own."""
    _run_prune(_database(), older_than_days, dry_run)


@database_app.command("vacuum")
def vacuum_command() -> None:
    """Give the space of deleted rows back (SQLite VACUUM, PostgreSQL VACUUM ANALYZE)."""
    _run_vacuum(_database())


def _run_prune(db: Database, older_than_days: float | None, dry_run: bool) -> None:
    from headwater.server.db.migrate import current_revision
    from headwater.server.store.retention import cutoff_for, default_storage_root, prune
    from headwater.settings import get_settings

    settings = get_settings()
    days = settings.retention_days if older_than_days is None else older_than_days
    if current_revision(db) is None:
        fail("the database has no Headwater schema", "`headwater server database upgrade`")
    if days <= 0:
        fail(
            "retention is off (0 days keeps every run)",
            "pass --older-than-days N, or set HEADWATER_RETENTION_DAYS",
        )
    cutoff = cutoff_for(days)
    with console().status("Counting…" if dry_run else "Deleting…"):
        report = prune(
            db,
            cutoff=cutoff,
            dry_run=dry_run,
            storage_root=default_storage_root(settings.home),
        )
    ended = dt.datetime.fromtimestamp(cutoff, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = (
        f"Would delete (finished runs that ended before {ended})"
        if dry_run
        else f"Deleted (finished runs that ended before {ended})"
    )
    from rich.table import Table

    table = Table(title=title)
    table.add_column("Kind")
    table.add_column("Count", justify="right")
    for kind, count in report.counts.items():
        table.add_row(kind, f"{count:,}")
    console().print(table)
    if dry_run:
        console().print("Dry run: nothing was deleted.")
    else:
        console().print(
            f"{report.flow_runs:,} flow runs in {report.batches} batches, "
            f"{report.seconds:.1f} s. `headwater server database vacuum` gives the space back."
        )
    db.dispose()


def _run_vacuum(db: Database) -> None:
    from headwater.server.db.migrate import current_revision
    from headwater.server.db.vacuum import store_size, vacuum

    if current_revision(db) is None:
        fail("the database has no Headwater schema", "`headwater server database upgrade`")
    before = store_size(db)
    with console().status("Vacuuming…"):
        vacuum(db)
    after = store_size(db)
    from rich.table import Table

    table = Table(title="Store size")
    table.add_column("Before", justify="right")
    table.add_column("After", justify="right")
    table.add_column("Freed", justify="right")
    table.add_row(_size(before), _size(after), _size(max(before - after, 0)))
    console().print(table)
    db.dispose()


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
