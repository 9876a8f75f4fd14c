"""Choropleth maps drawn on the server as inline SVG: the one map mechanism.

Regions are the shipped boundaries (kos_portal.geo.shapes); callers pass each region's
shade level, the value to print, its accessible name and its link, plus optional points
(clubs) by longitude and latitude. No JavaScript and no inline styles (the CSP allows
none): shapes carry CSS classes from static/css/kos.css ("Maps" block) and fill patterns
defined inside each SVG. Nothing rests on colour: shades differ by hatching too, every
region's value is printed where it fits and is in its link's accessible name and tooltip,
a legend names the shades in words, and the page shows the same numbers in a table.

The SVG is role="group" with a <title> and <desc> (role="img" would hide the region links
from screen readers); each region is a link (or, without a page, an image) with a name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kos_portal.geo.projection import project
from kos_portal.geo.shapes import Shape

WIDTH = 640  # screen units; the SVG scales to its container
PAD = 8
MAX_HEIGHT = 620
LEVELS = 4  # shades 1..LEVELS for values above zero; 0 is none, None is no data
LEGEND_ROW = 24
CHAR_PX = 8.3  # average width of a 15 px bold digit or letter, for "does the label fit"


@dataclass(frozen=True)
class Region:
    shape: Shape
    level: int | None  # 0..LEVELS, None: no data
    text: str  # the value printed on the region ("33.3%", "3")
    label: str  # the accessible name, with the value ("mazowieckie: 3 clubs")
    url: str | None = None  # None: drawn without a link
    current: bool = False  # the region the page is filtered on
    show_name: bool = False  # print the name above the value where it fits


@dataclass(frozen=True)
class Point:
    lon: float
    lat: float
    label: str  # accessible name ("KOS Złotokłos")
    url: str | None = None
    text: str = ""  # printed beside the pin (on maps with few pins)


def shade_level(value: float, top: float) -> int:
    """0 for nothing, otherwise 1..LEVELS by the share of `top` (a fixed 100 for
    percentages, or the busiest region for counts)."""
    if value <= 0 or top <= 0:
        return 0
    return max(1, min(LEVELS, math.ceil(LEVELS * value / top)))


def count_legend(top: int, zero: str) -> list[tuple[int | None, str]]:
    """Legend entries for whole counts shaded relative to the largest, `top`."""
    entries: list[tuple[int | None, str]] = [(0, zero)]
    for level in range(1, LEVELS + 1):
        low, high = math.floor(top * (level - 1) / LEVELS) + 1, math.floor(top * level / LEVELS)
        if top > 0 and low <= high:
            entries.append((level, str(low) if low == high else f"{low}–{high}"))
    return entries


def percent_legend(no_data: str | None = None) -> list[tuple[int | None, str]]:
    """Legend entries for percentages on the fixed scale (a quarter of 100 % per shade)."""
    step = 100 // LEVELS
    entries: list[tuple[int | None, str]] = [(0, "0%")]
    entries += [(k, f"> {step * (k - 1)}–{step * k}%") for k in range(1, LEVELS + 1)]
    if no_data:
        entries.append((None, no_data))
    return entries


def _css_level(level: int | None) -> str:
    return "none" if level is None else str(level)


def _patterns(map_id: str, scale: float) -> str:
    """One fill per shade: a colour (CSS) plus hatching that gets denser with the shade,
    kept the same size on screen whatever the zoom."""
    hatch = {
        "none": '<circle class="map-dot" cx="4" cy="4" r="1.2"/>',
        "0": "",
        "1": "",
        "2": '<path class="map-hatch" d="M-2 10L10 -2"/>',
        "3": '<path class="map-hatch" d="M-2 10L10 -2M-2 2L2 -2M6 10L10 6"/>',
        "4": '<path class="map-hatch" d="M-2 10L10 -2M-2 -2L10 10"/>',
    }
    parts = ["<defs>"]
    # "-l": inside the zoomed map group (scaled back to screen size); "-k": the legend.
    for prefix, factor in (("l", 1 / scale), ("k", 1.0)):
        for level, lines in hatch.items():
            parts.append(
                f'<pattern id="{map_id}-{prefix}{level}" patternUnits="userSpaceOnUse" '
                f'width="8" height="8" patternTransform="scale({factor:.5f})">'
                f'<rect class="map-fill-{level}" width="8" height="8"/>{lines}</pattern>'
            )
    parts.append("</defs>")
    return "".join(parts)


def choropleth_svg(
    *,
    map_id: str,
    title: str,
    description: str,
    regions: Sequence[Region],
    legend: Sequence[tuple[int | None, str]] = (),
    points: Sequence[Point] = (),
    context: Sequence[Shape] = (),
    margin: float = 0.0,
) -> SafeString:
    """The map: `regions` shaded and linked, `points` as pins, `context` shapes (the
    neighbours) in grey behind them, fitted to the regions with `margin` (a fraction of
    their size) around. Every piece of text is escaped."""
    fitted = [region.shape for region in regions]
    x0 = min(s.bbox[0] for s in fitted)
    y0 = min(s.bbox[1] for s in fitted)
    x1 = max(s.bbox[2] for s in fitted)
    y1 = max(s.bbox[3] for s in fitted)
    extra = margin * max(x1 - x0, y1 - y0)
    x0, y0, x1, y1 = x0 - extra, y0 - extra, x1 + extra, y1 + extra
    scale = min((WIDTH - 2 * PAD) / max(x1 - x0, 1), (MAX_HEIGHT - 2 * PAD) / max(y1 - y0, 1))
    map_height = math.ceil((y1 - y0) * scale) + 2 * PAD
    legend_height = LEGEND_ROW * math.ceil(len(legend) / 3) + 8 if legend else 0
    height = map_height + legend_height

    def screen(x: float, y: float) -> tuple[float, float]:
        return PAD + (x - x0) * scale, PAD + (y - y0) * scale

    mid = escape(map_id)
    parts = [
        f'<svg class="geo-map" viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg"'
        f' role="group" aria-labelledby="{mid}-title" aria-describedby="{mid}-desc">',
        f'<title id="{mid}-title">{escape(title)}</title>',
        f'<desc id="{mid}-desc">{escape(description)}</desc>',
        _patterns(mid, scale),
        f'<g transform="translate({PAD} {PAD}) scale({scale:.6f}) translate({-x0} {-y0})">',
    ]
    parts += [f'<path class="map-context" d="{shape.d}" fill-rule="evenodd"/>' for shape in context]
    labels = []
    # The current region last, so no neighbour covers its outline.
    for region in sorted(regions, key=lambda region: region.current):
        level = _css_level(region.level)
        css = f"map-region map-level-{level}" + (" map-current" if region.current else "")
        label = escape(region.label)
        shape = (
            f'<path d="{region.shape.d}" fill="url(#{mid}-l{level})" fill-rule="evenodd">'
            f"<title>{label}</title></path>"
        )
        if region.url:
            current = ' aria-current="true"' if region.current else ""
            parts.append(
                f'<a href="{escape(region.url)}" aria-label="{label}" class="{css}"{current}>'
                f"{shape}</a>"
            )
        else:
            parts.append(f'<g role="img" aria-label="{label}" class="{css}">{shape}</g>')
        labels.append(_label(region, screen, scale))
    parts.append("</g>")
    parts.append(f'<g class="map-labels" aria-hidden="true">{"".join(labels)}</g>')
    if points:
        parts.append('<g class="map-pins">')
        for point in points:
            px, py = screen(*project(point.lon, point.lat))
            pin = (
                f'<circle class="map-pin" cx="{px:.1f}" cy="{py:.1f}" r="5">'
                f"<title>{escape(point.label)}</title></circle>"
            )
            if point.url:
                pin = f'<a href="{escape(point.url)}" aria-label="{escape(point.label)}">{pin}</a>'
            if point.text:
                pin += (
                    f'<text class="map-pin-text" x="{px + 8:.1f}" y="{py + 4:.1f}" '
                    f'aria-hidden="true">{escape(point.text)}</text>'
                )
            parts.append(pin)
        parts.append("</g>")
    if legend:
        parts.append(_legend(mid, legend, map_height))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every piece of text above went through escape()


def _label(region: Region, screen, scale: float) -> str:
    """The value (and the name, when asked and it fits) at the region's label point;
    nothing where the region is too narrow on screen (its value is in the table)."""
    x, y, width = region.shape.label
    room = width * scale
    name_fits = region.show_name and room >= len(region.shape.name) * 6.8 + 4
    value_fits = bool(region.text) and room >= len(region.text) * CHAR_PX + 4
    sx, sy = screen(x, y)
    parts = []
    if name_fits and (value_fits or not region.text):
        parts.append(
            f'<text class="map-name" x="{sx:.1f}" y="{sy - 3:.1f}" text-anchor="middle">'
            f"{escape(region.shape.name)}</text>"
        )
        sy += 12
    if value_fits:
        parts.append(
            f'<text class="map-value" x="{sx:.1f}" y="{sy + 4:.1f}" text-anchor="middle">'
            f"{escape(region.text)}</text>"
        )
    return "".join(parts)


def _legend(map_id: str, legend: Sequence[tuple[int | None, str]], top: int) -> str:
    """Swatches with the same fills as the map and what each shade means, three a row."""
    parts = ['<g class="map-legend">']
    column_width = (WIDTH - 2 * PAD) / 3
    for index, (level, text) in enumerate(legend):
        row, column = divmod(index, 3)
        x = PAD + column * column_width
        y = top + 4 + row * LEGEND_ROW
        parts.append(
            f'<rect class="map-swatch" x="{x:.1f}" y="{y}" width="26" height="16" '
            f'fill="url(#{map_id}-k{_css_level(level)})"/>'
            f'<text class="map-legend-text" x="{x + 34:.1f}" y="{y + 13}">{escape(text)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
