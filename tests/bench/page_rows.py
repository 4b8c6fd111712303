"""What the page benchmarks measure: a request (Case) and its timings for one user (Row)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    label: str
    path: str


@dataclass(frozen=True)
class Row:
    user: str
    case: Case
    samples: list[float]
    queries: int
    target: float  # the p95 this request must stay under, in seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    @property
    def target_met(self) -> bool:
        return self.percentile(0.95) < self.target
