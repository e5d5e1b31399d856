"""``headwater server start`` and ``headwater server database upgrade|downgrade|reset``.

FastAPI and uvicorn are imported only by ``server start`` itself, so every other
command stays quick.
"""

from __future__ import annotations

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
