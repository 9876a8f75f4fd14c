"""The shipped boundaries (kos_portal/geo) and the one map mechanism that draws them."""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kos_portal.geo.projection import project
from kos_portal.geo.shapes import DATA, boundaries
from kos_portal.geo.svg import (
    Point,
    Region,
    choropleth_svg,
    count_legend,
    percent_legend,
    shade_level,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Path(os.environ.get("KOS_GEO_SOURCE", ROOT.parent / "shared" / "geo"))
CODES = DATA.parent / "powiat_codes.csv"
# Ten powiat names occur in two voivodeships each (TERC codes of both).
DUPLICATES = {
    "bielski": {"2003", "2402"},
    "brzeski": {"1202", "1601"},
    "grodziski": {"1405", "3005"},
    "krośnieński": {"0802", "1807"},
    "nowodworski": {"1414", "2210"},
    "opolski": {"0612", "1609"},
    "ostrowski": {"1416", "3017"},
    "średzki": {"0218", "3025"},
    "świdnicki": {"0219", "0617"},
    "tomaszowski": {"0618", "1016"},
}


def terc_powiats() -> dict[str, str]:
    with CODES.open(encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle, delimiter=";")}


def inside(point, shape) -> bool:
    x0, y0, x1, y1 = shape.bbox
    return x0 <= point[0] <= x1 and y0 <= point[1] <= y1


# --- The data ----------------------------------------------------------------------------


def test_every_powiat_of_the_terc_register_has_exactly_one_shape():
    terc = terc_powiats()
    shapes = boundaries().powiats

    assert len(terc) == 380
    assert set(shapes) == set(terc)  # a dict: one shape per code
    assert all(re.fullmatch(r"\d{4}", code) for code in shapes)
    assert {code[:2] for code in shapes} == set(boundaries().voivodeships)
    assert len(boundaries().voivodeships) == 16
    assert all(shapes[code].name == name for code, name in terc.items())


def test_powiats_with_the_same_name_got_the_code_of_the_voivodeship_holding_them():
    shapes = boundaries().powiats
    for name, codes in DUPLICATES.items():
        assert {code for code, shape in shapes.items() if shape.name == name} == codes
        for code in codes:
            voivodeship = boundaries().voivodeships[code[:2]]
            assert inside(shapes[code].label, voivodeship), (name, code)


def test_every_powiat_lies_in_its_voivodeship_and_the_renamed_one_is_karkonoski():
    for code, shape in boundaries().powiats.items():
        assert inside(shape.label, boundaries().voivodeships[code[:2]]), code
    assert boundaries().powiats["0206"].name == "karkonoski"


def test_the_shipped_file_is_small_and_parsed_once_per_process():
    assert DATA.stat().st_size < 300_000
    assert boundaries() is boundaries()
    licence = DATA.parent / "LICENSE-powiats-MIT.txt"
    readme = (DATA.parent / "README.md").read_text(encoding="utf-8")
    assert licence.exists() and "MIT" in licence.read_text(encoding="utf-8")
    assert "PRG" in readme and "public domain" in readme and "MIT" in readme


@pytest.mark.skipif(not SOURCE.exists(), reason="the source boundary files are not beside")
def test_the_build_script_reproduces_the_shipped_file(tmp_path):
    shipped = DATA.read_bytes()
    try:
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "geo_build.py"), "--source", str(SOURCE)],
            check=True,
            capture_output=True,
        )
        assert DATA.read_bytes() == shipped
    finally:
        DATA.write_bytes(shipped)


def test_a_known_point_projects_into_its_powiat_and_voivodeship():
    zlotoklos = project(20.962, 52.076)  # KOS Złotokłos, gmina Piaseczno
    assert inside(zlotoklos, boundaries().powiats["1418"])
    assert inside(zlotoklos, boundaries().voivodeships["14"])
    assert not inside(zlotoklos, boundaries().voivodeships["12"])


# --- Drawing -------------------------------------------------------------------------------


def test_shades_go_up_by_quarters_of_the_top_and_zero_is_none():
    assert [shade_level(v, 8) for v in (0, 1, 2, 3, 8)] == [0, 1, 1, 2, 4]
    assert shade_level(33.3, 100) == 2 and shade_level(5, 0) == 0
    assert count_legend(8, zero="no clubs") == [
        (0, "no clubs"), (1, "1–2"), (2, "3–4"), (3, "5–6"), (4, "7–8"),
    ]  # fmt: skip
    assert count_legend(2, zero="none") == [(0, "none"), (2, "1"), (4, "2")]
    assert percent_legend("no data")[-1] == (None, "no data")


def voivodeship_regions(**overrides):
    shapes = boundaries().voivodeships
    return [
        Region(
            shape=shape,
            level=2 if code == "14" else None,
            text="12" if code == "14" else "",
            label=f"{shape.name}: 12 clubs" if code == "14" else f"{shape.name}: no numbers",
            url=f"/v/{code}/" if code == "14" else None,
            show_name=True,
            **overrides,
        )
        for code, shape in sorted(shapes.items())
    ]


def test_the_map_has_a_path_per_region_links_names_and_printed_values():
    svg = choropleth_svg(
        map_id="m",
        title="Clubs <by> voivodeship",
        description="Sixteen areas.",
        regions=voivodeship_regions(),
        legend=count_legend(12, zero="none"),
    )

    assert svg.startswith('<svg class="geo-map"')
    assert 'role="group" aria-labelledby="m-title" aria-describedby="m-desc"' in svg
    assert '<title id="m-title">Clubs &lt;by&gt; voivodeship</title>' in svg  # escaped
    assert svg.count("<path d=") == 16
    assert '<a href="/v/14/" aria-label="mazowieckie: 12 clubs" class="map-region map-level-2"' in (
        svg
    )
    assert (
        '<g role="img" aria-label="podlaskie: no numbers" class="map-region map-level-none">'
        in (svg)
    )
    assert "<title>mazowieckie: 12 clubs</title>" in svg
    assert '<text class="map-value"' in svg and ">12</text>" in svg
    assert ">mazowieckie</text>" in svg  # the name printed above the value
    assert 'fill="url(#m-l2)"' in svg and '<pattern id="m-l2"' in svg
    assert "7–9</text>" in svg  # the legend says what a shade means
    assert "style=" not in svg  # the CSP allows no inline styles


def test_the_current_region_is_marked_and_pins_are_links_inside_the_frame():
    regions = [
        Region(
            shape=boundaries().voivodeships["14"],
            level=1,
            text="1",
            label="mazowieckie: 1 club",
            url="/v/14/",
            current=True,
        )
    ]
    svg = choropleth_svg(
        map_id="p",
        title="t",
        description="d",
        regions=regions,
        points=[Point(lon=20.962, lat=52.076, label="KOS Złotokłos", url="/c/1/")],
    )

    assert 'class="map-region map-level-1 map-current" aria-current="true"' in svg
    pin = re.search(r'<a href="/c/1/" aria-label="KOS Złotokłos"><circle class="map-pin" '
                    r'cx="([\d.]+)" cy="([\d.]+)"', svg)  # fmt: skip
    width, height = map(float, re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
    assert pin and 0 < float(pin[1]) < width and 0 < float(pin[2]) < height


def test_labels_are_left_off_regions_too_small_for_them():
    shapes = boundaries().powiats_of("24")  # śląskie: many small city powiats
    regions = [
        Region(shape=s, level=1, text="100.0%", label=s.name, url=f"/p/{s.code}/") for s in shapes
    ]
    svg = choropleth_svg(map_id="s", title="t", description="d", regions=regions)
    printed = svg.count('class="map-value"')

    assert svg.count("<path d=") == 36
    assert 0 < printed < 36
    assert [s.is_city for s in shapes] == sorted(s.is_city for s in shapes)  # cities on top


def test_the_voivodeship_and_powiat_names_come_from_the_data():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    assert data["projection"]["kind"] == "equirectangular"
    assert {row["name"] for row in data["voivodeships"]} >= {"mazowieckie", "śląskie"}
