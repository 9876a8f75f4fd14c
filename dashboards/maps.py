"""The area dashboards' maps (kos_portal.geo draws them): the country by voivodeship, a
voivodeship by powiat, each shaded by coverage and each region a link one level down, and
a powiat's shape with its clubs as points. The numbers are the rollups the page already
read; the points are the one query of powiat_dashboard()."""

from __future__ import annotations

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from dashboards.charts import fmt
from dashboards.models import AreaStat
from kos_portal.geo.shapes import boundaries
from kos_portal.geo.svg import Point, Region, choropleth_svg, percent_legend, shade_level

MAX_PIN_LABELS = 12  # more club names beside their points would overlap


def _coverage(stat: AreaStat | None) -> float | None:
    if stat is None or not stat.gminas:
        return None
    return round(100 * stat.gminas_with_active_club / stat.gminas, 1)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{fmt(value)}%"


def _region(shape, stat: AreaStat | None, url_name: str, show_name: bool = False) -> Region:
    coverage = _coverage(stat)
    if stat is None:
        return Region(
            shape=shape,
            level=None,
            text="",
            label=_("%(name)s: no numbers") % {"name": shape.name},
        )
    return Region(
        shape=shape,
        level=shade_level(coverage or 0, 100),  # a fixed scale: a quarter of 100% a shade
        text=_percent(coverage),
        label=_("%(name)s: coverage %(coverage)s, %(clubs)s active clubs")
        % {"name": shape.name, "coverage": _percent(coverage), "clubs": fmt(stat.clubs_active)},
        url=reverse(url_name, args=[shape.code]),
        show_name=show_name,
    )


def area_map(dashboard) -> SafeString | None:
    """The map for a country, voivodeship or powiat dashboard (None for a gmina)."""
    level = dashboard.level
    by_code = {child.code: child for child in dashboard.children}
    shapes = boundaries()
    legend = percent_legend(no_data=_("no numbers"))
    if level == AreaStat.Level.COUNTRY:
        regions = [
            _region(shape, by_code.get(code), "dashboards:voivodeship", show_name=True)
            for code, shape in sorted(shapes.voivodeships.items())
        ]
        return choropleth_svg(
            map_id="area-map",
            title=_("Coverage by voivodeship"),
            description=_(
                "Map of Poland's 16 voivodeships shaded by the share of their gminas with an "
                "active club; each voivodeship links to its dashboard. The table below has "
                "the same numbers."
            ),
            regions=regions,
            legend=legend,
        )
    if level == AreaStat.Level.VOIVODESHIP:
        regions = [
            _region(shape, by_code.get(shape.code), "dashboards:powiat")
            for shape in shapes.powiats_of(dashboard.code)
        ]
        if not regions:
            return None
        return choropleth_svg(
            map_id="area-map",
            title=_("Coverage by powiat: %(name)s") % {"name": dashboard.name},
            description=_(
                "Map of the voivodeship's powiats shaded by the share of their gminas with "
                "an active club; each powiat links to its dashboard. The table below has the "
                "same numbers."
            ),
            regions=regions,
            legend=legend,
        )
    if level == AreaStat.Level.POWIAT:
        shape = shapes.powiats.get(dashboard.code)
        if shape is None:
            return None
        # One plain area (its coverage is in the key numbers) so that the points stand out.
        label = _region(shape, dashboard.stat, "dashboards:powiat").label
        region = Region(shape=shape, level=1, text="", label=label)
        points = [
            Point(
                lon=row["lon"],
                lat=row["lat"],
                label=_("%(club)s (gmina %(gmina)s)")
                % {"club": row["name"], "gmina": row["gmina"]},
                url=reverse("dashboards:club", args=[row["pk"]]),
                text=row["name"] if len(dashboard.points) <= MAX_PIN_LABELS else "",
            )
            for row in dashboard.points
        ]
        neighbours = [s for s in shapes.powiats_of(shape.code[:2]) if s.code != shape.code]
        return choropleth_svg(
            map_id="area-map",
            title=_("Clubs in powiat %(name)s") % {"name": dashboard.name},
            description=_(
                "Map of the powiat with its clubs as points where their location is known "
                "(%(count)s); each point links to the club's dashboard."
            )
            % {"count": fmt(len(points))},
            regions=[region],
            points=points,
            context=neighbours,
            margin=0.08,
        )
    return None
