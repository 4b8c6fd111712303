"""An embedded PostgreSQL for a machine with no DATABASE_URL: one command, no installed server."""

from pathlib import Path

EMBEDDED_DB_NAME = "crm"


def embedded_server(pgdata: Path):
    """Start (or reuse) the pgserver instance whose data lives in ``pgdata``; it outlives us."""
    import pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server keeps running after this process exits, so the next
    # command (and the next `make run`) reuses it instead of paying a start-up again.
    return pgserver.get_server(pgdata, cleanup_mode=None)


def embedded_bin_dir() -> Path:
    """Where the embedded server's client tools (pg_dump, psql) live."""
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def embedded_database_settings(pgdata: Path) -> dict:
    """Django DATABASES entry for the embedded server, creating the project database once."""
    server = embedded_server(pgdata)
    exists = server.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB_NAME}';"  # noqa: S608 (constant)
    )
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DB_NAME};")
    return {
        "NAME": EMBEDDED_DB_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        # pgserver listens on a unix socket inside its data directory.
        "HOST": str(pgdata),
        "PORT": "",
    }
