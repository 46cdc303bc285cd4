"""Bar charts drawn on the server: data in, geometry out; ``templates/_charts.html`` turns it into SVG.

No JavaScript and no library: a page with a chart renders offline and in any browser, and the
geometry is plain numbers that tests check. :func:`bar_chart` lays out vertical bars with a "nice"
value axis (steps of 1, 2 or 5 × 10ⁿ); a zero still gets a thin visible bar, so "no project" shows
as a gap in the data rather than a missing column. Short labels go under the bars (cut to fit their
slot, with an ellipsis); the full title of each bar is its tooltip and its row in the data table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

#: Width of one label character, in SVG units, at the chart's 12px font (a safe average).
CHAR_WIDTH = 7.0
#: Height of a bar drawn for a zero value, so that it stays visible.
ZERO_BAR = 2.0


@dataclass(frozen=True)
class ChartItem:
    """One bar's data: the short label under it, its value, where it links, its full title."""

    label: str
    value: int | float
    href: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Bar:
    item: ChartItem
    x: float
    y: float
    width: float
    height: float
    label: str  # the label as drawn (cut to fit)
    label_x: float  # centre of the bar

    @property
    def zero(self) -> bool:
        return not self.item.value


@dataclass(frozen=True)
class Tick:
    value: int | float
    y: float


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    left: float  # the plot area
    top: float
    right: float
    bottom: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    scale_max: float

    @property
    def label_y(self) -> float:
        return self.bottom + 16


def nice_scale(maximum: float, max_ticks: int = 5) -> tuple[float, float]:
    """The top of the value axis and its step: the smallest "nice" step (1, 2, 5 × 10ⁿ) that covers
    ``maximum`` in at most ``max_ticks`` intervals. Integers stay integers (counts have no halves)."""
    if maximum <= 0:
        return 1, 1
    raw = maximum / max_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if step * max_ticks >= maximum:
            break
    if float(maximum).is_integer():
        step = max(1, step)
    step = float(f"{step:.12g}")
    top = float(f"{step * math.ceil(maximum / step - 1e-9):.12g}")
    if float(step).is_integer():
        step, top = int(step), int(top)
    return top, step


def fit_label(label: str, room: float) -> str:
    """``label`` cut to fit ``room`` SVG units at the chart font (an ellipsis marks the cut)."""
    most = max(1, int(room // CHAR_WIDTH))
    if len(label) <= most:
        return label
    return label[: max(1, most - 1)] + "…"


def bar_chart(
    items: Sequence[ChartItem],
    *,
    width: float = 720,
    height: float = 240,
    gap: float = 0.25,
    margin_left: float = 40,
    margin_top: float = 10,
    margin_right: float = 8,
    margin_bottom: float = 28,
) -> BarChart:
    """Vertical bars for ``items``, in order, over a nice value axis starting at zero.

    ``gap`` is the share of each slot left empty between bars.
    """
    left, top = margin_left, margin_top
    right, bottom = width - margin_right, height - margin_bottom
    plot_h = bottom - top
    scale_max, step = nice_scale(max((i.value for i in items), default=0))
    slot = (right - left) / max(1, len(items))
    bar_w = slot * (1 - gap)
    bars = []
    for n, item in enumerate(items):
        value_h = plot_h * (item.value / scale_max) if item.value > 0 else 0.0
        h = max(ZERO_BAR, value_h)
        x = left + n * slot + (slot - bar_w) / 2
        bars.append(Bar(item, round(x, 2), round(bottom - h, 2), round(bar_w, 2), round(h, 2),
                        fit_label(item.label, slot), round(left + n * slot + slot / 2, 2)))
    ticks = []
    value = 0
    while value <= scale_max + 1e-9:
        ticks.append(Tick(value, round(bottom - plot_h * value / scale_max, 2)))
        value = float(f"{value + step:.12g}") if isinstance(step, float) else value + step
    return BarChart(width, height, left, top, right, bottom, tuple(bars), tuple(ticks), scale_max)
