"""The benchmark's own PostgreSQL database: its URL, and dropping and recreating it.

The bench never touches another database: its name is fixed, and only the server address and
credentials are taken from an existing DATABASE_URL.
"""

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

BENCH_DATABASE = "crm_bench"
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
MAINTENANCE_DATABASE = "postgres"
PROTECTED_DATABASES = frozenset({"crm_dev", MAINTENANCE_DATABASE})
PROTECTED_PREFIXES = ("test_",)


def with_database_name(url: str, name: str) -> str:
    """The same server URL (user, host, port, options) pointing at database ``name``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def bench_database_url(existing_url: str | None) -> str:
    """The bench database's URL, on the server an existing DATABASE_URL points at (if any)."""
    return with_database_name(existing_url or DEFAULT_SERVER_URL, BENCH_DATABASE)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def check_is_bench_database(url: str) -> None:
    """Refuse to drop anything but the bench database."""
    name = database_name(url)
    if (name != BENCH_DATABASE or name in PROTECTED_DATABASES
            or name.startswith(PROTECTED_PREFIXES)):
        raise RuntimeError(f"Refusing to drop or create database {name!r}: not the bench database")


def maintenance_connection(url: str) -> psycopg.Connection:
    """An autocommit connection to the server's maintenance database (for DROP/CREATE)."""
    return psycopg.connect(with_database_name(url, MAINTENANCE_DATABASE), autocommit=True)


def drop_database(url: str) -> None:
    check_is_bench_database(url)
    with maintenance_connection(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(database_name(url))))


def recreate_database(url: str) -> None:
    """Drop the bench database if it exists, then create it empty."""
    drop_database(url)
    with maintenance_connection(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url))))


def database_exists(url: str) -> bool:
    with maintenance_connection(url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [database_name(url)]).fetchone() is not None


def server_version(url: str) -> str:
    with maintenance_connection(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]
