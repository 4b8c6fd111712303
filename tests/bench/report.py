"""Summary statistics and docs/benchmarks.md: each benchmark owns one marked section.

A section sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``; writing it
replaces only that span, so other benchmarks (and hand-written text) keep their place.
"""

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

REPORT_PATH = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
REPORT_HEADER = """# Benchmarks

Measured by `make bench` (`tests/bench/run.py`) in its own database (`crm_bench`), never
against a development or test database. Each section below is written by one benchmark,
between `<!-- bench:NAME -->` markers, and replaced as a whole when that benchmark runs again.
"""


@dataclass(frozen=True)
class Summary:
    """The distribution of one benchmark's samples, in seconds."""

    count: int
    median: float
    p95: float
    maximum: float
    minimum: float

    @classmethod
    def of(cls, samples: list[float]) -> "Summary":
        if not samples:
            raise ValueError("No samples to summarise")
        p95 = (statistics.quantiles(samples, n=20, method="inclusive")[18]
               if len(samples) > 1 else samples[0])
        return cls(count=len(samples), median=statistics.median(samples), p95=p95,
                   maximum=max(samples), minimum=min(samples))


def seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def milliseconds(value: float) -> str:
    return f"{value * 1000:.3f} ms"


def verdict(met: bool) -> str:
    return "yes" if met else "**no**"


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(name: str, body: str, path: Path = REPORT_PATH) -> None:
    """Put ``body`` between the markers of section ``name``, appending the section if new."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else REPORT_HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
