"""The map of Poland on the public directory: active clubs per voivodeship on the official
boundaries, and a pin per club whose location is known. kos_portal.geo draws it (the same
mechanism as the dashboards' maps); the counts are one aggregate query and the pins one
more (clubs.selectors.club_points), whatever the number of clubs."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kos_portal.geo.shapes import boundaries
from kos_portal.geo.svg import Point, Region, choropleth_svg, count_legend, shade_level

# TERYT code -> name, from the shipped boundaries (fixed since the 1999 reform).
VOIVODESHIPS: dict[str, str] = {
    code: shape.name for code, shape in sorted(boundaries().voivodeships.items())
}
MAX_PINS = 2000  # more would make a heavy page; the list below the map has every club


@dataclass(frozen=True)
class Row:
    code: str
    name: str
    count: int
    selected: bool


@dataclass(frozen=True)
class DirectoryMap:
    svg: SafeString
    rows: list[Row]  # in TERYT order (which is alphabetical), for the table under the map
    pins: int
    more_pins: bool  # some clubs with a location were left off the map

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)


def clubs_text(count: int) -> str:
    return ngettext("%(count)d club", "%(count)d clubs", count) % {"count": count}


def directory_map(
    counts: dict[str, int], selected: str | None = None, points: list[dict] = ()
) -> DirectoryMap:
    """Voivodeships shaded by their active clubs (relative to the busiest), each a link to
    the directory filtered on it; `points` (clubs.selectors.club_points rows) as pins."""
    directory = reverse("clubs:directory")
    highest = max(counts.values(), default=0)
    regions, rows = [], []
    for code, name in VOIVODESHIPS.items():
        count = counts.get(code, 0)
        regions.append(
            Region(
                shape=boundaries().voivodeships[code],
                level=shade_level(count, highest),
                text=str(count),
                label=f"{name}: {clubs_text(count)}",
                url=f"{directory}?voivodeship={code}",
                current=code == selected,
                show_name=True,
            )
        )
        rows.append(Row(code=code, name=name, count=count, selected=code == selected))
    shown = list(points)[:MAX_PINS]
    pins = [
        Point(
            lon=row["lon"],
            lat=row["lat"],
            label=_("%(club)s (gmina %(gmina)s)") % {"club": row["name"], "gmina": row["gmina"]},
            url=reverse("clubs:public-club", kwargs={"club_pk": row["pk"]}),
        )
        for row in shown
    ]
    svg = choropleth_svg(
        map_id="club-map",
        title=_("Active clubs by voivodeship"),
        description=_(
            "Map of Poland's 16 voivodeships shaded by their number of active clubs, with a "
            "point for each club whose location is known. Each voivodeship links to its "
            "clubs; the table next to the map has the same numbers."
        ),
        regions=regions,
        legend=count_legend(highest, zero=_("no clubs")),
        points=pins,
    )
    return DirectoryMap(svg=svg, rows=rows, pins=len(pins), more_pins=len(points) > MAX_PINS)
