"""Months and quarters: parsing "2026-11" / "2026-Q4", their bounds, neighbours and labels."""

import re
from dataclasses import dataclass
from datetime import date

from crm_apps.forecast.models import PeriodKind

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date

    @property
    def months(self) -> int:
        return 3 if self.kind == PeriodKind.QUARTER else 1

    @property
    def end(self) -> date:
        """The first day after the period (bounds are start <= day < end)."""
        return _add_months(self.start, self.months)

    @property
    def code(self) -> str:
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    def shifted(self, steps: int) -> "Period":
        return Period(self.kind, _add_months(self.start, steps * self.months))

    def month_starts(self) -> list[date]:
        return [_add_months(self.start, step) for step in range(self.months)]

    def __str__(self):
        return self.code


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def containing(day: date, kind: str = PeriodKind.MONTH) -> Period:
    """The month or quarter that contains ``day``."""
    if kind == PeriodKind.QUARTER:
        return Period(kind, date(day.year, (day.month - 1) // 3 * 3 + 1, 1))
    return Period(PeriodKind.MONTH, date(day.year, day.month, 1))


FIRST_YEAR, LAST_YEAR = 1900, 9998  # so the neighbours of a period are dates too


def parse(code: str) -> Period:
    """A period from "2026-11" or "2026-Q4"; ValueError for anything else."""
    code = (code or "").strip()
    year = code[:4]
    if not (year.isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR):
        raise ValueError(code)
    if match := _QUARTER.match(code):
        return Period(PeriodKind.QUARTER, date(int(match[1]), (int(match[2]) - 1) * 3 + 1, 1))
    if (match := _MONTH.match(code)) and 1 <= int(match[2]) <= 12:
        return Period(PeriodKind.MONTH, date(int(match[1]), int(match[2]), 1))
    raise ValueError(code)


def is_period_start(day: date, kind: str) -> bool:
    """Whether ``day`` is the first day of its month (or of its quarter)."""
    return day == containing(day, kind).start
