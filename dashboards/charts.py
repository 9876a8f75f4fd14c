"""Bar and time-series charts for the dashboards, drawn on the server as inline SVG.

No JavaScript, no CDN and no inline styles (the CSP allows none): every shape carries a CSS
class from static/css/kos.css ("Dashboards: charts" block). Nothing rests on colour: each
value is printed on the chart, series differ by fill pattern (solid, hatched, dotted...) or,
in time series, by marker shape and dash style, and a legend names them in words. Each
`Chart` also carries the table behind it (`header`, `rows`) and a one-sentence `summary`
used as the SVG's description; templates/dashboards/includes/chart.html shows them all.

resilience/charts.py draws single line charts; this module adds bars and several series.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.utils import translation
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

Number = int | float | Decimal

WIDTH = 640
FONT_PX = 13
# Series styles: solid, hatched, dotted, light, cross-hatched, striped. Patterns (1, 2, 4, 5)
# are <pattern> defs inside each SVG, so the ids are prefixed with the chart's id.
STYLES = 6
PATTERNED = {1, 2, 4, 5}
# Time series: marker shapes and dash styles, one per series.
MARKERS = ("circle", "square", "triangle", "diamond")
# More points than this and the labels would overlap: every n-th month is labelled, counted
# back from the latest; values print there and at each series' highest point, zeros (on the
# axis) not at all. The table behind the chart has every value.
MAX_LABELS = 8
# Bar labels: two lines of this many characters fit the 210 px left of the bars at 13 px
# (a longer single line was clipped at the SVG's left edge); the legend has room for more.
LABEL_CHARS = 24
LEGEND_CHARS = 48


@dataclass(frozen=True)
class Chart:
    title: str
    svg: SafeString
    header: list[str]
    rows: list[list] = field(default_factory=list)
    summary: str = ""
    id: str = ""  # the chart's HTML id prefix (unique per title and data)

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def table_html(self) -> SafeString:
        """The table behind the chart (built here, not in a template loop: it is faster)."""
        return table_html(
            caption=self.title,
            caption_id=f"{self.id}-table-caption",
            header=self.header,
            rows=self.rows,
        )


def _cell_text(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return fmt(value, 2)
    return str(value)


def _is_number(value) -> bool:
    return value is None or (
        isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    )


def table_html(
    *,
    caption: str,
    caption_id: str,
    header: Sequence[str],
    rows: Sequence[Sequence],
    links: Sequence[str | None] = (),
    css: str = "chart-table",
) -> SafeString:
    """An accessible HTML table: a caption, column headers, the first cell of each row a
    row header (a link when `links` gives one), number columns aligned right. Every piece
    of text is escaped."""
    numeric = [bool(rows) and all(_is_number(row[i]) for row in rows) for i in range(len(header))]
    numeric[0] = False
    parts = [
        f'<div class="table-wrap" role="region" aria-labelledby="{escape(caption_id)}" '
        f'tabindex="0"><table class="{escape(css)}"><caption id="{escape(caption_id)}">'
        f"{escape(caption)}</caption><thead><tr>"
    ]
    for index, heading in enumerate(header):
        num = ' class="num"' if numeric[index] else ""
        parts.append(f'<th scope="col"{num}>{escape(heading)}</th>')
    parts.append("</tr></thead><tbody>")
    for row_index, row in enumerate(rows):
        link = links[row_index] if row_index < len(links) else None
        label = escape(_cell_text(row[0]))
        if link:
            label = f'<a href="{escape(link)}">{label}</a>'
        parts.append(f'<tr><th scope="row">{label}</th>')
        for index, value in enumerate(row[1:], start=1):
            num = ' class="num"' if numeric[index] else ""
            parts.append(f"<td{num}>{escape(_cell_text(value))}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table></div>")
    return mark_safe("".join(parts))  # every piece of text above went through escape()


@lru_cache(maxsize=16)
def _separators(language: str | None) -> tuple[str, str]:
    """The language's decimal and thousand separators (Django's formats; grouping by 3)."""
    with translation.override(language):
        decimal = str(get_format("DECIMAL_SEPARATOR"))
        thousand = str(get_format("THOUSAND_SEPARATOR"))
    # A plain space in Polish would let a number break across lines.
    return decimal, thousand.replace(" ", "\u00a0")


def fmt(value: Number | None, decimals: int = 1) -> str:
    """A number as people read it in the active language: thousands grouped, whole numbers
    without decimals, others with up to `decimals` (no trailing zeros). Tables print
    hundreds of numbers, so this avoids number_format's per-call settings lookups."""
    if value is None:
        return "–"
    number = round(float(value), decimals)
    decimal, thousand = _separators(translation.get_language())
    if number.is_integer():
        return f"{int(number):,}".replace(",", thousand)
    places = next(k for k in range(1, decimals + 1) if round(number, k) == number)
    whole, _dot, fraction = f"{number:,.{places}f}".partition(".")
    return whole.replace(",", thousand) + decimal + fraction


def _cell(value: Number) -> int | float:
    """A table cell: ints stay ints, others are rounded to one decimal."""
    number = float(value)
    return int(number) if number.is_integer() else round(number, 1)


def _with_unit(value: Number, unit: str) -> str:
    if not unit:
        return fmt(value)
    return f"{fmt(value)}{unit}" if unit == "%" else f"{fmt(value)} {unit}"


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _label_lines(label: str, limit: int = LABEL_CHARS) -> list[str]:
    """A bar label on at most two lines, broken between words, shortened only past that."""
    if len(label) <= limit:
        return [label]
    words, first = label.split(), ""
    while words and len(f"{first} {words[0]}".strip()) <= limit:
        first = f"{first} {words.pop(0)}".strip()
    if not first:  # one word longer than a line
        first, rest = label[:limit], label[limit:]
    else:
        rest = " ".join(words)
    return [first, _short(rest, limit)]


def _bar_label(x: float, y_middle: float, label: str) -> str:
    """The label left of a bar, right-aligned at `x`, centred on the bar's middle."""
    lines = _label_lines(label)
    if len(lines) == 1:
        return (
            f'<text class="chart-label" x="{x}" y="{y_middle + 4.5:.1f}" '
            f'text-anchor="end">{escape(lines[0])}</text>'
        )
    return (
        f'<text class="chart-label" x="{x}" y="{y_middle - 2.5:.1f}" text-anchor="end">'
        f"<tspan>{escape(lines[0])}</tspan>"
        f'<tspan x="{x}" dy="14">{escape(lines[1])}</tspan></text>'
    )


def _nice_scale(peak: float, intervals: int = 4) -> tuple[float, float]:
    """The axis top and gridline step for values up to `peak`: a step of 1, 2 or 5
    times a power of ten, whole numbers for counts, so every gridline has its own value
    (0, 1, 2, 2, 3 was printed before) and a point with that value lies on it."""
    if peak <= 0:
        return 1.0, 0.25 if peak < 0 else 1.0
    raw = peak / intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if step >= raw and (step >= 1 or peak < 1):
            break
    step = max(step, 1.0) if peak >= 1 else step
    return step * math.ceil(peak / step), step


def _chart_id(title: str, data: object) -> str:
    digest = hashlib.sha1(f"{title}|{data!r}".encode()).hexdigest()[:10]
    return f"chart-{digest}"


def _open_svg(cid: str, height: int, title: str, summary: str, css: str) -> list[str]:
    return [
        f'<svg class="dash-chart {css}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" focusable="false">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(summary)}</desc>',
    ]


def _pattern_defs(cid: str, count: int) -> str:
    """<pattern> fills for the series styles that need one (shapes styled by CSS)."""
    shapes = {
        1: '<path class="chart-hatch" d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4"/>',
        2: '<circle class="chart-dot" cx="4" cy="4" r="1.8"/>',
        4: '<path class="chart-hatch" d="M0,0 l8,8 M8,0 l-8,8"/>',
        5: '<path class="chart-hatch" d="M0,2 h8 M0,6 h8"/>',
    }
    parts = ["<defs>"]
    for index in range(min(count, STYLES)):
        if index in shapes:
            parts.append(
                f'<pattern id="{cid}-p{index}" patternUnits="userSpaceOnUse" '
                f'width="8" height="8"><rect class="chart-pattern-bg" width="8" height="8"/>'
                f"{shapes[index]}</pattern>"
            )
    parts.append("</defs>")
    return "".join(parts)


def _bar_rect(cid: str, index: int, x: float, y: float, w: float, h: float, tip: str) -> str:
    style = index % STYLES
    fill = f' fill="url(#{cid}-p{style})"' if style in PATTERNED else ""
    return (
        f'<rect class="chart-bar chart-s{style}" x="{x:.1f}" y="{y:.1f}" '
        f'width="{max(w, 0):.1f}" height="{h:.1f}"{fill}><title>{escape(tip)}</title></rect>'
    )


def _legend(cid: str, names: Sequence[str], y: int, kind: str = "bar") -> tuple[list[str], int]:
    """Legend swatches with the series names, wrapped over lines; returns parts and height."""
    parts: list[str] = []
    x, line = 8, 0
    for index, name in enumerate(names):
        text = _short(name, LEGEND_CHARS)
        width = 28 + len(text) * 7 + 18
        if x + width > WIDTH and x > 8:
            x, line = 8, line + 1
        top = y + line * 22
        if kind == "bar":
            parts.append(_bar_rect(cid, index, x, top, 18, 14, name))
        else:
            style = index % len(MARKERS)
            parts.append(
                f'<line class="chart-series-line chart-l{style}" x1="{x}" y1="{top + 7}" '
                f'x2="{x + 22}" y2="{top + 7}"/>' + _marker(style, x + 11, top + 7, name)
            )
        parts.append(
            f'<text class="chart-legend" x="{x + 28}" y="{top + 12}">{escape(text)}</text>'
        )
        x += int(width)
    return parts, (line + 1) * 22


def _marker(style: int, x: float, y: float, tip: str) -> str:
    shape = MARKERS[style % len(MARKERS)]
    title = f"<title>{escape(tip)}</title>"
    css = f'class="chart-marker chart-m{style}"'
    if shape == "circle":
        return f'<circle {css} cx="{x:.1f}" cy="{y:.1f}" r="4.5">{title}</circle>'
    if shape == "square":
        return f'<rect {css} x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8">{title}</rect>'
    if shape == "triangle":
        points = f"{x:.1f},{y - 5.5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
    else:
        points = (
            f"{x:.1f},{y - 5.5:.1f} {x + 5.5:.1f},{y:.1f} "
            f"{x:.1f},{y + 5.5:.1f} {x - 5.5:.1f},{y:.1f}"
        )
    return f'<polygon {css} points="{points}">{title}</polygon>'


def _empty(title: str, header: list[str]) -> Chart:
    return Chart(
        title=title,
        svg=mark_safe(""),
        header=header,
        rows=[],
        summary=_("%(title)s: no data yet.") % {"title": title},
        id=_chart_id(title, None),
    )


def bar_chart(
    *,
    title: str,
    rows: list[tuple[str, Number]],
    unit: str = "",
    label_header: str | None = None,
    value_header: str | None = None,
) -> Chart:
    """Horizontal bars, one per row, the value printed at the end of each bar."""
    value_title = value_header or _("Value")
    if unit:
        value_title = f"{value_title} ({unit})"
    header = [label_header or _("Item"), value_title]
    if not rows:
        return _empty(title, header)
    cid = _chart_id(title, rows)
    label_w, value_w, bar_h, gap, top = 210, 90, 22, 10, 8
    plot_w = WIDTH - label_w - value_w
    height = top + len(rows) * (bar_h + gap) + 4
    peak = max(float(value) for _label, value in rows)
    highest = max(rows, key=lambda row: float(row[1]))
    lowest = min(rows, key=lambda row: float(row[1]))
    summary = _(
        "%(title)s: %(count)s items, highest %(high)s (%(high_value)s), "
        "lowest %(low)s (%(low_value)s)."
    ) % {
        "title": title,
        "count": len(rows),
        "high": highest[0],
        "high_value": _with_unit(highest[1], unit),
        "low": lowest[0],
        "low_value": _with_unit(lowest[1], unit),
    }
    parts = _open_svg(cid, height, title, summary, "bar-chart")
    parts.append(
        f'<line class="chart-axis" x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{height - 4}"/>'
    )
    for index, (label, value) in enumerate(rows):
        y = top + index * (bar_h + gap)
        width = plot_w * float(value) / peak if peak > 0 else 0
        text = _with_unit(value, unit)
        parts.append(_bar_label(label_w - 8, y + bar_h / 2, label))
        parts.append(_bar_rect(cid, 0, label_w, y, width, bar_h, f"{label}: {text}"))
        parts.append(
            f'<text class="chart-value" x="{label_w + width + 6:.1f}" '
            f'y="{y + bar_h / 2 + 4.5:.1f}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Chart(
        title=title,
        svg=mark_safe("".join(parts)),  # every piece of text above went through escape()
        header=header,
        rows=[[label, _cell(value)] for label, value in rows],
        summary=summary,
        id=cid,
    )


def grouped_bar_chart(
    *,
    title: str,
    categories: list[str],
    series: list[tuple[str, list[Number]]],
    stacked: bool = False,
    label_header: str | None = None,
) -> Chart:
    """Horizontal bars per category: side by side per series, or stacked with a total.

    Each series has its own fill pattern, named in the legend; every value is printed (on a
    stacked bar, inside its segment when it fits, and the total at the end).
    """
    header = [label_header or _("Item")] + [name for name, _values in series]
    if stacked:
        header.append(_("Total"))
    if not categories or not series:
        return _empty(title, header)
    cid = _chart_id(title, (categories, series, stacked))
    names = [name for name, _values in series]
    legend, legend_h = _legend(cid, names, 6)
    label_w, value_w, bar_h, gap = 210, 80, 18, 14
    plot_w = WIDTH - label_w - value_w
    top = 6 + legend_h + 8
    group_h = bar_h if stacked else bar_h * len(series)
    height = top + len(categories) * (group_h + gap) + 4
    totals = [sum(float(values[i]) for _name, values in series) for i in range(len(categories))]
    if stacked:
        peak = max(totals, default=0)
    else:
        peak = max((float(v) for _name, values in series for v in values), default=0)

    def scale(value: float) -> float:
        return plot_w * value / peak if peak > 0 else 0

    best = max(range(len(categories)), key=lambda i: totals[i])
    summary = _(
        "%(title)s: %(count)s items in %(series_count)s series (%(series)s); "
        "highest total %(high)s (%(high_value)s)."
    ) % {
        "title": title,
        "count": len(categories),
        "series_count": len(series),
        "series": ", ".join(names),
        "high": categories[best],
        "high_value": fmt(totals[best]),
    }
    parts = _open_svg(cid, height, title, summary, "bar-chart")
    parts.append(_pattern_defs(cid, len(series)))
    parts.extend(legend)
    parts.append(
        f'<line class="chart-axis" x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{height - 4}"/>'
    )
    for row, category in enumerate(categories):
        y = top + row * (group_h + gap)
        parts.append(_bar_label(label_w - 8, y + group_h / 2, category))
        x = float(label_w)
        for index, (name, values) in enumerate(series):
            value = values[row]
            width = scale(float(value))
            tip = f"{category}, {name}: {fmt(value)}"
            if stacked:
                parts.append(_bar_rect(cid, index, x, y, width, bar_h, tip))
                if width >= len(fmt(value)) * 8 + 6 and float(value) > 0:
                    parts.append(
                        f'<text class="chart-value chart-value-inside" '
                        f'x="{x + width / 2:.1f}" y="{y + bar_h / 2 + 4.5:.1f}" '
                        f'text-anchor="middle">{escape(fmt(value))}</text>'
                    )
                x += width
            else:
                bar_y = y + index * bar_h
                parts.append(_bar_rect(cid, index, label_w, bar_y, width, bar_h - 2, tip))
                parts.append(
                    f'<text class="chart-value" x="{label_w + width + 6:.1f}" '
                    f'y="{bar_y + bar_h / 2 + 3.5:.1f}">{escape(fmt(value))}</text>'
                )
        if stacked:
            parts.append(
                f'<text class="chart-value" x="{x + 6:.1f}" y="{y + bar_h / 2 + 4.5:.1f}">'
                f"{escape(fmt(totals[row]))}</text>"
            )
    parts.append("</svg>")
    rows = []
    for row, category in enumerate(categories):
        cells: list = [category] + [_cell(values[row]) for _name, values in series]
        if stacked:
            cells.append(_cell(totals[row]))
        rows.append(cells)
    return Chart(
        title=title,
        svg=mark_safe("".join(parts)),  # every piece of text above went through escape()
        header=header,
        rows=rows,
        summary=summary,
        id=cid,
    )


def time_series_chart(
    *,
    title: str,
    months: list[date],
    series: list[tuple[str, list[Number]]],
) -> Chart:
    """Lines over months; series differ by marker shape and dash style, named in a legend."""
    header = [_("Month")] + [name for name, _values in series]
    if not months or not series:
        return _empty(title, header)
    cid = _chart_id(title, (months, series))
    names = [name for name, _values in series]
    legend, legend_h = _legend(cid, names, 6, kind="line")
    left, right, bottom = 56, 24, 40
    top = 6 + legend_h + 18
    height = top + 200 + bottom
    plot_w, plot_h = WIDTH - left - right, 200
    peak = max((float(v) for _name, values in series for v in values), default=0)
    y_max, y_step = _nice_scale(peak)

    def sx(index: int) -> float:
        if len(months) == 1:
            return left + plot_w / 2
        return left + plot_w * index / (len(months) - 1)

    def sy(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    labels = [f"{month:%Y-%m}" for month in months]
    totals = [sum(float(v) for v in values) for _name, values in series]
    summary = _("%(title)s, %(first)s to %(last)s: %(totals)s.") % {
        "title": title,
        "first": labels[0],
        "last": labels[-1],
        "totals": "; ".join(
            _("%(name)s %(total)s in total, %(latest)s in the last month")
            % {"name": name, "total": fmt(total), "latest": fmt(values[-1])}
            for (name, values), total in zip(series, totals, strict=True)
        ),
    }
    parts = _open_svg(cid, height, title, summary, "series-chart")
    parts.extend(legend)
    for i in range(round(y_max / y_step) + 1):
        value = y_step * i
        y = sy(value)
        parts.append(
            f'<line class="chart-gridline" x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" '
            f'y2="{y:.1f}"/><text class="chart-tick" x="{left - 8}" y="{y + 4:.1f}" '
            f'text-anchor="end">{escape(fmt(value))}</text>'
        )
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" '
        f'y2="{top + plot_h}"/>'
    )
    step = max(1, -(-len(months) // MAX_LABELS))
    last = len(months) - 1
    # Counted back from the latest month, so the latest is always labelled and never crowded.
    labelled = {index for index in range(len(months)) if (last - index) % step == 0}
    for index, label in enumerate(labels):
        if index in labelled:
            parts.append(
                f'<text class="chart-tick" x="{sx(index):.1f}" y="{height - bottom + 18}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for style, (name, values) in enumerate(series):
        style %= len(MARKERS)
        points = " ".join(f"{sx(i):.1f},{sy(float(v)):.1f}" for i, v in enumerate(values))
        if len(values) > 1:
            parts.append(f'<polyline class="chart-series-line chart-l{style}" points="{points}"/>')
        highest = max(range(len(values)), key=lambda i: float(values[i]))
        for index, value in enumerate(values):
            x, y = sx(index), sy(float(value))
            parts.append(_marker(style, x, y, f"{name}, {labels[index]}: {fmt(value)}"))
            # Zeros lie on the axis and are not printed (the table has them); the others are
            # at the labelled months and at each series' highest point.
            if float(value) and (index in labelled or index == highest):
                # Even series above their points, odd ones below (above when that would
                # reach the axis), so two lines rarely collide.
                below = style % 2 == 1 and y + 18 < top + plot_h - 4
                dy = 18 if below else -9
                parts.append(
                    f'<text class="chart-value" x="{x:.1f}" y="{y + dy:.1f}" '
                    f'text-anchor="middle">{escape(fmt(value))}</text>'
                )
    parts.append("</svg>")
    rows = [
        [labels[i]] + [_cell(values[i]) for _name, values in series] for i in range(len(months))
    ]
    return Chart(
        title=title,
        svg=mark_safe("".join(parts)),  # every piece of text above went through escape()
        header=header,
        rows=rows,
        summary=summary,
        id=cid,
    )
