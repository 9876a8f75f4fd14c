"""Small line charts drawn on the server as inline SVG.

No JavaScript, no CDN and no inline styles (the CSP allows none): shapes carry CSS classes
from static/css/kos.css. Every chart is shown next to a table with the same numbers, and
the values are printed on the chart itself, so nothing rests on colour or on seeing lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 56, 128, 24, 44
# More points than this and the value labels would overlap: every n-th point is labelled.
MAX_LABELS = 12


@dataclass(frozen=True)
class ChartPoint:
    x: date
    y: Decimal | float | None  # None: nothing may be shown here (a hidden group)
    label: str  # the x-axis label, e.g. "2026-03" or "2026 Q1"


@dataclass(frozen=True)
class ReferenceLine:
    label: str  # printed at the right end of the line, e.g. "Target: 5"
    y: Decimal | float
    css: str  # "chart-baseline" or "chart-target": dashes differ, not only colours


def _fmt(value: float, decimals: int) -> str:
    return number_format(round(value, decimals), decimal_pos=decimals)


def _y_bounds(values: list[float], y_range: tuple[float, float] | None) -> tuple[float, float]:
    if y_range is not None:
        return y_range
    low, high = min(values, default=0.0), max(values, default=1.0)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    return low - pad, high + pad


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[ChartPoint],
    references: Sequence[ReferenceLine] = (),
    y_range: tuple[float, float] | None = None,
    decimals: int = 2,
) -> SafeString:
    """An SVG line chart of `points` over time; a None value breaks the line.

    x positions follow the dates (a gap in time looks like one), y the values; the
    reference lines (baseline, target) are dashed and labelled with words and numbers.
    """
    values = [float(p.y) for p in points if p.y is not None]
    values += [float(r.y) for r in references]
    y_min, y_max = _y_bounds(values, y_range)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(day: date) -> float:
        first, last = points[0].x, points[-1].x
        span = (last - first).days
        if span <= 0:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (day - first).days / span

    def sy(value: float) -> float:
        return TOP + plot_h * (1 - (value - y_min) / (y_max - y_min))

    parts: list[str] = [
        f'<svg class="line-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    # y axis: five gridlines with their values
    for i in range(5):
        value = y_min + (y_max - y_min) * i / 4
        y = sy(value)
        parts.append(
            f'<line class="chart-gridline" x1="{LEFT}" y1="{y:.1f}" '
            f'x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
            f'<text class="chart-tick" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_fmt(value, 1))}</text>"
        )
    parts.append(
        f'<line class="chart-axis" x1="{LEFT}" y1="{TOP + plot_h}" '
        f'x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>'
    )
    for reference in references:
        y = sy(float(reference.y))
        parts.append(
            f'<line class="chart-reference {reference.css}" x1="{LEFT}" y1="{y:.1f}" '
            f'x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
            f'<text class="chart-reference-label" x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}">'
            f"{escape(reference.label)}</text>"
        )
    # the line, broken where a value is missing
    segment: list[str] = []
    segments: list[list[str]] = []
    for point in points:
        if point.y is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{sx(point.x):.1f},{sy(float(point.y)):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline class="chart-line" points="{" ".join(seg)}"/>')
    step = max(1, -(-len(points) // MAX_LABELS))
    for index, point in enumerate(points):
        x = sx(point.x)
        labelled = index % step == 0 or index == len(points) - 1
        if labelled:
            parts.append(
                f'<text class="chart-tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="middle">{escape(point.label)}</text>'
            )
        if point.y is None:
            continue
        y = sy(float(point.y))
        value = _fmt(float(point.y), decimals)
        parts.append(
            f'<circle class="chart-point" cx="{x:.1f}" cy="{y:.1f}" r="4">'
            f"<title>{escape(point.label)}: {escape(value)}</title></circle>"
        )
        if labelled:
            parts.append(
                f'<text class="chart-value" x="{x:.1f}" y="{y - 9:.1f}" '
                f'text-anchor="middle">{escape(value)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every piece of text above went through escape()
