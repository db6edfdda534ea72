"""Small server-rendered SVG charts for the leads' dashboard: no JavaScript, no CDN.

Pure functions (no Flask, no database): numbers in, one `<svg>` element out, as Markup
for a template. Each chart is an image with a name (`role="img"`, `<title>`, `<desc>`,
`aria-labelledby`); the page puts a table of the same numbers beside it, for screen
readers and for anyone who wants the exact values. Every text is escaped, so the output is
well-formed XML whatever a label says. Colours are presentation attributes (the page CSP
allows no inline `style`); the palette tells series apart for the common colour-vision
deficiencies, and the legend names each series in text too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# Blue, orange, green-teal, purple, grey: the Okabe-Ito / Tableau-like colour-blind-safe set,
# dark enough for 3:1 contrast against white.
PALETTE = ("#0b57d0", "#c2410c", "#0f766e", "#7e22ce", "#4b5563", "#a16207")
FONT = 12
INK = "#1b1f24"
GRID = "#c9ced6"


@dataclass(frozen=True)
class Series:
    """One named row of numbers, one number per category."""

    name: str
    values: Sequence[float]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _number(value: float) -> str:
    """A compact label: 3, 2.5, 1,234."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def nice_step(value: float) -> float:
    """The smallest "round" number (1, 2, 2.5 or 5 times a power of ten) at or above
    `value` (>0); 1 for anything else."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value * (1 - 1e-9):
            return float(candidate)
    return float(10 ** (exponent + 1))  # pragma: no cover - the loop always returns


def ticks(peak: float, integer: bool = True) -> list[float]:
    """Grid values from 0 to at least `peak`, at most about 5 lines, each a round number
    (whole numbers when `integer`: counts are never drawn at 2.5)."""
    step = nice_step(peak / 4)
    if integer:
        step = max(step, 1.0)
    count = max(math.ceil(peak / step - 1e-9), 1)
    return [step * i for i in range(count + 1)]


def nice_max(value: float) -> float:
    """The axis maximum for bars whose largest value is `value`: the top grid line."""
    return ticks(value, integer=False)[-1]


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_e(chart_id)}" '
        f'role="img" aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="system-ui, sans-serif" font-size="{FONT}">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-desc">{_e(description)}</desc>',
    ]


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    parts = []
    for index, item in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        top = y + index * (FONT + 6)
        parts.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{FONT}" height="{FONT}" fill="{colour}"/>'
            f'<text x="{x + FONT + 4:.1f}" y="{top + FONT - 2:.1f}" fill="{INK}">'
            f"{_e(item.name)}</text>"
        )
    return parts


def _check(categories: Sequence[str], series: Sequence[Series]) -> None:
    for item in series:
        if len(item.values) != len(categories):
            raise ValueError(f"series {item.name!r} has {len(item.values)} values")
        if any(v < 0 or math.isnan(v) for v in item.values):
            raise ValueError(f"series {item.name!r} has a negative or missing value")


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    width: int = 640,
) -> Markup:
    """Horizontal bars, one group per category and one bar per series (long labels fit).

    `unit` follows each value's label ("h" for hours). An empty `categories` draws the
    frame with "No data".
    """
    _check(categories, series)
    label_width, value_width, bar, gap = 190, 70, 14, 10
    legend_height = (FONT + 6) * len(series) if len(series) > 1 else 0
    group = bar * max(len(series), 1) + gap
    height = 20 + legend_height + max(len(categories), 1) * group + 10
    plot = width - label_width - value_width
    top = 10 + legend_height
    peak = nice_max(max((v for s in series for v in s.values), default=0))
    parts = _open(chart_id, title, description, width, height)
    if len(series) > 1:
        parts += _legend(series, label_width, 8)
    if not categories:
        parts.append(
            f'<text x="{width / 2:.1f}" y="{top + 20}" text-anchor="middle">No data</text>'
        )
    for row, category in enumerate(categories):
        y0 = top + row * group
        parts.append(
            f'<text x="{label_width - 8}" y="{y0 + bar * len(series) / 2 + FONT / 2 - 1:.1f}" '
            f'text-anchor="end" fill="{INK}">{_e(category)}</text>'
        )
        for index, item in enumerate(series):
            value = item.values[row]
            length = plot * value / peak
            y = y0 + index * bar
            colour = PALETTE[index % len(PALETTE)]
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{colour}"><title>{_e(item.name)}, {_e(category)}: '
                f"{_e(_number(value))}{_e(unit)}</title></rect>"
                f'<text x="{label_width + length + 4:.1f}" y="{y + bar - 4}" fill="{INK}">'
                f"{_e(_number(value))}{_e(unit)}</text>"
            )
    parts.append(
        f'<line x1="{label_width}" y1="{top - 2}" x2="{label_width}" y2="{height - 8}" '
        f'stroke="{INK}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _vertical_frame(
    parts: list[str],
    categories: Sequence[str],
    grid: Sequence[float],
    left: float,
    top: float,
    plot_w: float,
    plot_h: float,
    every: int,
) -> None:
    """Grid lines with their values, and the category labels (every `every`-th one)."""
    peak = grid[-1]
    for value in grid:
        y = top + plot_h - plot_h * value / peak
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{INK}">{_e(_number(value))}</text>'
        )
    step = plot_w / max(len(categories), 1)
    for index, category in enumerate(categories):
        if index % every:
            continue
        x = left + step * (index + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + FONT + 4:.1f}" text-anchor="middle" '
            f'fill="{INK}">{_e(category)}</text>'
        )


def stacked_bar_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """Vertical bars, one per category, each split by series (stacked, bottom first)."""
    _check(categories, series)
    left, right, legend_w = 48, 10, 170
    top, bottom = 24, 26  # room above the tallest bar for its total
    plot_w = width - left - right - legend_w
    plot_h = height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    grid = ticks(max(totals, default=0))
    peak = grid[-1]
    parts = _open(chart_id, title, description, width, height)
    _vertical_frame(parts, categories, grid, left, top, plot_w, plot_h, 1)
    step = plot_w / max(len(categories), 1)
    bar_w = step * 0.6
    for index, category in enumerate(categories):
        x = left + step * index + (step - bar_w) / 2
        base = top + plot_h
        for number, item in enumerate(series):
            value = item.values[index]
            if not value:
                continue
            h = plot_h * value / peak
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[number % len(PALETTE)]}"><title>{_e(item.name)}, '
                f"{_e(category)}: {_e(_number(value))}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{base - 4:.1f}" text-anchor="middle" '
            f'fill="{INK}">{_e(_number(totals[index]))}</text>'
        )
    parts += _legend(series, width - legend_w + 10, top)
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 640,
    height: int = 260,
    label_every: int = 5,
) -> Markup:
    """One line per series over the categories (days), a dot at each point."""
    _check(categories, series)
    left, right, legend_w = 48, 10, 170
    top, bottom = 12, 26
    plot_w = width - left - right - legend_w
    plot_h = height - top - bottom
    grid = ticks(max((v for s in series for v in s.values), default=0))
    peak = grid[-1]
    parts = _open(chart_id, title, description, width, height)
    _vertical_frame(parts, categories, grid, left, top, plot_w, plot_h, max(label_every, 1))
    step = plot_w / max(len(categories), 1)
    for number, item in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = [
            (left + step * (i + 0.5), top + plot_h - plot_h * v / peak)
            for i, v in enumerate(item.values)
        ]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for (x, y), category, value in zip(points, categories, item.values, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>'
                f"{_e(item.name)}, {_e(category)}: {_e(_number(value))}</title></circle>"
            )
    parts += _legend(series, width - legend_w + 10, top)
    parts.append("</svg>")
    return Markup("".join(parts))
