"""Server-side bar charts: scale, geometry, zero bars, long labels, a single value."""

from __future__ import annotations

import pytest

from web.charts import CHAR_WIDTH, ZERO_BAR, ChartItem, bar_chart, fit_label, nice_scale


@pytest.mark.parametrize("maximum, top, step", [
    (0, 1, 1), (1, 1, 1), (3, 3, 1), (7, 8, 2), (10, 10, 2), (23, 25, 5), (99, 100, 20), (25840, 30000, 10000),
    (0.3, 0.3, 0.1),
])
def test_nice_scale_covers_the_maximum_in_round_steps(maximum, top, step):
    assert nice_scale(maximum) == (top, step)
    assert top >= maximum and round(top / step) <= 5


def test_bar_heights_are_proportional_and_share_the_baseline():
    chart = bar_chart([ChartItem("1", 10), ChartItem("2", 5), ChartItem("3", 0)], width=300, height=200)
    plot = chart.bottom - chart.top
    tall, half, zero = chart.bars
    assert tall.height == pytest.approx(plot) and half.height == pytest.approx(plot / 2)
    assert {round(b.y + b.height, 2) for b in chart.bars} == {chart.bottom}
    assert zero.zero and zero.height == ZERO_BAR  # a zero stays visible
    assert tall.x < half.x < zero.x and all(b.width > 0 for b in chart.bars)
    assert chart.bars[-1].x + chart.bars[-1].width <= chart.right
    assert [t.value for t in chart.ticks] == [0, 2, 4, 6, 8, 10]
    assert chart.ticks[0].y == chart.bottom and chart.ticks[-1].y == chart.top


def test_all_zero_and_empty_charts_still_draw():
    chart = bar_chart([ChartItem(str(n), 0) for n in range(23)])
    assert len(chart.bars) == 23 and all(b.height == ZERO_BAR for b in chart.bars)
    assert [t.value for t in chart.ticks] == [0, 1]
    assert bar_chart([]).bars == ()


def test_one_value_fills_the_plot():
    chart = bar_chart([ChartItem("only", 7)])
    (bar,) = chart.bars
    assert bar.y == pytest.approx(chart.top + (chart.bottom - chart.top) * (1 - 7 / 8))
    assert bar.label == "only"


def test_long_labels_are_cut_to_their_slot_with_an_ellipsis():
    long = "Halt Species Extinction, Protect Genetic Diversity"
    chart = bar_chart([ChartItem(long, 1, title=long)] + [ChartItem(str(n), n) for n in range(22)])
    slot = (chart.right - chart.left) / 23
    assert chart.bars[0].label.endswith("…") and len(chart.bars[0].label) * CHAR_WIDTH <= slot
    assert chart.bars[0].item.title == long  # the full text stays for the tooltip and the table
    assert fit_label("12", 20) == "12" and fit_label("abcdef", 3) == "a…"
