"""The dashboard's SVG charts: pure functions, well-formed and named (issue 13, item 6)."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree

from triage.dashboard.charts import (
    Series,
    bar_chart,
    line_chart,
    nice_max,
    stacked_bar_chart,
    ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup: str):
    root = ElementTree.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


@pytest.mark.parametrize("draw", [bar_chart, stacked_bar_chart, line_chart])
def test_every_chart_is_well_formed_and_escapes_its_text(draw):
    root = parsed(
        draw(
            "c1",
            "A <title> & more",
            "Desc with \"quotes\" and 'apostrophes' </svg>",
            ["<b>one</b>", "two & three"],
            [Series("A&B", [1, 2]), Series("<C>", [3, 0])],
        )
    )
    assert root.find(f"{SVG}title").text == "A <title> & more"
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"A&B", "<C>"} <= texts


@pytest.mark.parametrize("draw", [bar_chart, stacked_bar_chart, line_chart])
def test_empty_charts_are_well_formed(draw):
    parsed(draw("c2", "Nothing", "No numbers yet.", [], []))
    parsed(draw("c3", "Zeros", "All zero.", ["a", "b"], [Series("s", [0, 0])]))


def test_bar_lengths_are_proportional_to_the_values():
    root = parsed(bar_chart("c4", "T", "D", ["a", "b"], [Series("s", [10, 5])]))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_a_stacked_bar_is_as_tall_as_its_parts_together():
    root = parsed(stacked_bar_chart("c5", "T", "D", ["a"], [Series("x", [2]), Series("y", [3])]))
    heights = [
        float(r.get("height")) for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None
    ]
    assert heights[1] == pytest.approx(1.5 * heights[0])


def test_a_line_has_one_point_per_category():
    root = parsed(line_chart("c6", "T", "D", list("abcd"), [Series("s", [1, 2, 3, 4])]))
    assert len(list(root.iter(f"{SVG}circle"))) == 4


def test_mismatched_or_negative_numbers_are_refused():
    with pytest.raises(ValueError):
        bar_chart("c7", "T", "D", ["a", "b"], [Series("s", [1])])
    with pytest.raises(ValueError):
        line_chart("c8", "T", "D", ["a"], [Series("s", [-1])])


@pytest.mark.parametrize(
    ("peak", "expected"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (2500, [0, 1000, 2000, 3000]),
        (15000, [0, 5000, 10000, 15000]),
        (16, [0, 5, 10, 15, 20]),
    ],
)
def test_grid_lines_are_round_whole_numbers(peak, expected):
    assert ticks(peak) == expected


@pytest.mark.parametrize(("value", "expected"), [(0, 1), (1, 1), (30, 30), (0.3, 0.3), (93.6, 100)])
def test_bar_axes_end_on_a_round_number(value, expected):
    assert nice_max(value) == pytest.approx(expected)
