"""Facts about the machine a benchmark ran on, for the report."""

import os
import platform
import socket
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path


def utc_timestamp() -> str:
    """The current time the way `date -u` prints it."""
    return datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def total_ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                kib = int(line.split()[1])
                return f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine_facts(postgres_version: str) -> list[tuple[str, str]]:
    """(label, value) pairs: host, CPU, cores, RAM, OS and the software versions measured."""
    return [
        ("Hostname", socket.gethostname()),
        ("CPU model", cpu_model()),
        ("CPU cores (logical)", str(os.cpu_count())),
        ("RAM", total_ram()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("PostgreSQL", postgres_version),
        ("Django", version("Django")),
        ("django-tenants", version("django-tenants")),
        ("uvicorn", version("uvicorn")),
    ]
