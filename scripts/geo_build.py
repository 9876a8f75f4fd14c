"""Build kos_portal/geo/data/boundaries.json from the public boundary files.

    python scripts/geo_build.py [--source ../shared/geo]

Reads voivodeships.geojson (PRG, TERYT codes) and powiats.geojson (names only) from the
source folder, gives every powiat its TERYT code from kos_portal/geo/data/powiat_codes.csv
(by name within the voivodeship whose polygon contains it: ten names occur twice, and
"jeleniogórski" is "karkonoski" since 2021), projects lon/lat to a flat frame, simplifies
each layer keeping shared borders shared, and writes SVG path strings with whole-number
coordinates. Run it again when the source files change; the output is committed.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "kos_portal" / "geo" / "data"
sys.path.insert(0, str(ROOT))

from kos_portal.geo.projection import PROJECTION, project  # noqa: E402

# Simplification tolerance in frame units (the frame is 10,000 units wide; the national map
# is drawn about 640 px wide, a voivodeship about 4x and a powiat about 15x larger).
TOLERANCE = {"voivodeships": 12.0, "powiats": 4.0}
RENAMED = {"jeleniogórski": "karkonoski"}  # TERC 2021: same code 0206


def rings_of(geometry: dict) -> list[list[list[tuple[float, float]]]]:
    """Polygons as lists of rings, each ring a list of projected points."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [[[project(lon, lat) for lon, lat in ring] for ring in polygon] for polygon in polygons]


def point_in_ring(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def contains(polygons, x: float, y: float) -> bool:
    for rings in polygons:
        if point_in_ring(x, y, rings[0]) and not any(point_in_ring(x, y, r) for r in rings[1:]):
            return True
    return False


def interior_span(polygons, y: float) -> tuple[float, float]:
    """The widest stretch inside the shape along the horizontal line at `y`."""
    xs: list[float] = []
    for rings in polygons:
        for ring in rings:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (y1 > y) != (y2 > y):
                    xs.append(x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    xs.sort()
    spans = [(xs[i], xs[i + 1]) for i in range(0, len(xs) - 1, 2)]
    return max(spans, key=lambda span: span[1] - span[0], default=(0.0, 0.0))


def label_point(polygons) -> tuple[int, int, int]:
    """Where a label fits: the middle of the widest inside stretch on a few lines through
    the largest polygon; returns x, y and that stretch's width."""
    outer = max((rings[0] for rings in polygons), key=lambda ring: abs(area(ring)))
    ys = [y for _x, y in outer]
    top, bottom = min(ys), max(ys)
    best = (0.0, 0.0, -1.0)
    for fraction in (0.5, 0.4, 0.6, 0.3, 0.7):
        y = top + (bottom - top) * fraction + 0.01
        left, right = interior_span(polygons, y)
        if right - left > best[2] * 1.15:  # prefer the middle line unless much wider
            best = ((left + right) / 2, y, right - left)
    return round(best[0]), round(best[1]), round(best[2])


def area(ring) -> float:
    return (
        sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True))
        / 2
    )


def douglas_peucker(points, tolerance: float) -> list:
    """Keep the first and last point and the points farther than `tolerance` from the
    simplified line (iterative, so long borders do not hit the recursion limit)."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        far, index = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if length:
                distance = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / length
            else:
                distance = math.hypot(px - x1, py - y1)
            if distance > far:
                far, index = distance, i
        if far > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def simplify_layer(shapes: dict[str, list], tolerance: float) -> dict[str, list]:
    """Simplify every ring, keeping fixed the points where the set of shapes that share a
    point changes: a border shared by two shapes is cut at the same points on both sides
    and simplified the same way, so neighbours keep touching."""
    owners: dict[tuple[float, float], set[str]] = defaultdict(set)
    for code, polygons in shapes.items():
        for rings in polygons:
            for ring in rings:
                for point in ring:
                    owners[point].add(code)
    result = {}
    for code, polygons in shapes.items():
        simplified_polygons = []
        for rings in polygons:
            simplified_rings = []
            for ring in rings:
                ring = ring[:-1] if ring[0] == ring[-1] else ring
                n = len(ring)
                fixed = [
                    i
                    for i in range(n)
                    if owners[ring[i]] != owners[ring[i - 1]]
                    or owners[ring[i]] != owners[ring[(i + 1) % n]]
                ]
                if len(fixed) < 2:  # an island or a ring inside one shape
                    fixed = [0, max(range(n), key=lambda i: math.dist(ring[0], ring[i]))]
                out = []
                for a, b in zip(fixed, [*fixed[1:], fixed[0] + n], strict=True):
                    piece = [ring[i % n] for i in range(a, b + 1)]
                    out.extend(douglas_peucker(piece, tolerance)[:-1])
                if len(out) >= 3 and abs(area(out)) > tolerance**2:
                    simplified_rings.append(out)
            if simplified_rings:
                simplified_polygons.append(simplified_rings)
        result[code] = simplified_polygons
    return result


def path_d(polygons) -> str:
    """An SVG path with whole-number coordinates: absolute moves, relative lines."""
    parts = []
    for rings in polygons:
        for ring in rings:
            points = [(round(x), round(y)) for x, y in ring]
            deduped = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
            x, y = deduped[0]
            steps = []
            for nx, ny in deduped[1:]:
                steps.append(f"{nx - x} {ny - y}".replace(" -", "-"))
                x, y = nx, ny
            parts.append(f"M{deduped[0][0]} {deduped[0][1]}l" + " ".join(steps) + "z")
    return "".join(parts).replace("l ", "l")


def bbox(polygons) -> list[int]:
    xs = [x for rings in polygons for ring in rings for x, _y in ring]
    ys = [y for rings in polygons for ring in rings for _x, y in ring]
    return [math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys))]


def build(source: Path) -> dict:
    voivodeships = json.loads((source / "voivodeships.geojson").read_text(encoding="utf-8"))
    powiats = json.loads((source / "powiats.geojson").read_text(encoding="utf-8"))
    with (DATA / "powiat_codes.csv").open(encoding="utf-8") as handle:
        codes = list(csv.DictReader(handle, delimiter=";"))

    v_shapes, v_names = {}, {}
    for feature in voivodeships["features"]:
        code = feature["properties"]["JPT_KOD_JE"]
        v_shapes[code] = rings_of(feature["geometry"])
        v_names[code] = feature["properties"]["JPT_NAZWA_"]

    by_name: dict[str, list[str]] = defaultdict(list)
    names = {}
    for row in codes:
        by_name[row["name"]].append(row["code"])
        names[row["code"]] = row["name"]
    p_shapes: dict[str, list] = {}
    for feature in powiats["features"]:
        name = feature["properties"]["nazwa"].removeprefix("powiat ")
        name = RENAMED.get(name, name)
        polygons = rings_of(feature["geometry"])
        candidates = by_name.get(name, [])
        if len(candidates) > 1:  # the same name in two voivodeships: which one holds it
            x, y, _width = label_point(polygons)
            candidates = [c for c in candidates if contains(v_shapes[c[:2]], x, y)]
        if len(candidates) != 1:
            raise SystemExit(f"powiat {name!r}: {len(candidates)} TERYT codes match")
        if candidates[0] in p_shapes:
            raise SystemExit(f"powiat {name!r} ({candidates[0]}): two shapes")
        p_shapes[candidates[0]] = polygons
    missing = sorted(set(names) - set(p_shapes))
    if missing:
        raise SystemExit(f"no shape for powiats {missing}")

    layers = {}
    for layer, shapes, layer_names in (
        ("voivodeships", v_shapes, v_names),
        ("powiats", p_shapes, names),
    ):
        simplified = simplify_layer(shapes, TOLERANCE[layer])
        layers[layer] = [
            {
                "code": code,
                "name": layer_names[code],
                "bbox": bbox(simplified[code]),
                "label": list(label_point(simplified[code])),
                "d": path_d(simplified[code]),
            }
            for code in sorted(simplified)
        ]
    everything = [ring for shapes in v_shapes.values() for rings in shapes for ring in rings]
    width = math.ceil(max(x for ring in everything for x, _y in ring))
    height = math.ceil(max(y for ring in everything for _x, y in ring))
    return {
        "about": "Derived by scripts/geo_build.py; see README.md here for sources and licences.",
        "projection": PROJECTION,
        "width": width,
        "height": height,
        **layers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "geo")
    args = parser.parse_args()
    data = build(args.source)
    out = DATA / "boundaries.json"
    out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    sizes = {layer: len(json.dumps(data[layer])) for layer in ("voivodeships", "powiats")}
    print(f"wrote {out.relative_to(ROOT)}: {out.stat().st_size:,} bytes {sizes}")


if __name__ == "__main__":
    main()
