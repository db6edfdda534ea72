"""Rows of the one table `python -m benchmarks` prints, and the statistics behind them."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    benchmark: str
    figure: str  # what was measured, with its unit
    baseline: str  # what it is compared with, measured in the same run
    ratio: str
    target: str
    passed: bool | None  # None: no target for this row (context for another row)

    @property
    def result(self) -> str:
        return {True: "pass", False: "FAIL", None: "-"}[self.passed]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """The 95th percentile, interpolated between the two nearest samples."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs"


def mib(size: float) -> str:
    return f"{size / MiB:.1f} MiB"


def times(ratio: float) -> str:
    return f"{ratio:.2f}x"


def progress(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def table(rows: Sequence[Row]) -> str:
    """A Markdown table: readable in a terminal, and pasted as it is into the README."""
    header = ("benchmark", "figure", "baseline", "ratio", "target", "result")
    cells = [header] + [
        (r.benchmark, r.figure, r.baseline, r.ratio, r.target, r.result) for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(header), rule, *(line(row) for row in cells[1:])])
