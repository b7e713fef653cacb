"""Bar charts as plain geometry for server-side SVG (pure: numbers in, rectangles out).

The template draws the SVG with a <title> and a <desc>, and the same figures as an HTML table
(RGAA: a chart is never the only way to read the data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 640
HEIGHT = 220
MARGIN_BOTTOM = 30
MARGIN_TOP = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    width: int
    height: int
    baseline: float
    maximum: float


def bar_chart(
    series: Sequence[Mapping[str, Any]],
    key: str,
    label_key: str = "month",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> BarChart:
    """One bar per entry of `series`, scaled to the largest positive value of `key`."""
    values = [max(float(entry.get(key) or 0.0), 0.0) for entry in series]
    maximum = max(values, default=0.0)
    plot = height - MARGIN_BOTTOM - MARGIN_TOP
    baseline = float(height - MARGIN_BOTTOM)
    slot = width / max(len(values), 1)
    bars = []
    for index, (entry, value) in enumerate(zip(series, values, strict=True)):
        bar_height = plot * value / maximum if maximum else 0.0
        bars.append(
            Bar(
                x=round(index * slot + slot * 0.15, 1),
                y=round(baseline - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=round(bar_height, 1),
                label=str(entry.get(label_key, "")),
                value=value,
            )
        )
    return BarChart(tuple(bars), width, height, baseline, maximum)
