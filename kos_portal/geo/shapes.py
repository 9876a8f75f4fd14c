"""The shipped boundaries (data/boundaries.json), parsed once per process.

Voivodeships by their 2-digit TERYT code, powiats by their 4-digit one, each with its SVG
path in the frame of kos_portal.geo.projection, its bounding box and a point where a label
fits. The file is built by scripts/geo_build.py; data/README.md names sources and licences.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "boundaries.json"


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 in frame units
    label: tuple[int, int, int]  # x, y and the width of the inside stretch there
    d: str  # SVG path data

    @property
    def is_city(self) -> bool:
        """A city with powiat rights (TERYT powiat numbers 61 and up)."""
        return len(self.code) == 4 and self.code[2:] >= "61"


@dataclass(frozen=True)
class Boundaries:
    width: int
    height: int
    voivodeships: dict[str, Shape]
    powiats: dict[str, Shape]

    def powiats_of(self, voivodeship_code: str) -> list[Shape]:
        """The voivodeship's powiats, land powiats first so cities are drawn on top."""
        shapes = [s for code, s in self.powiats.items() if code[:2] == voivodeship_code]
        return sorted(shapes, key=lambda s: (s.is_city, s.code))


def _shape(row: dict) -> Shape:
    return Shape(
        code=row["code"],
        name=row["name"],
        bbox=tuple(row["bbox"]),
        label=tuple(row["label"]),
        d=row["d"],
    )


@lru_cache(maxsize=1)
def boundaries() -> Boundaries:
    """All shapes, read and parsed on first use and kept for the life of the process."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return Boundaries(
        width=data["width"],
        height=data["height"],
        voivodeships={row["code"]: _shape(row) for row in data["voivodeships"]},
        powiats={row["code"]: _shape(row) for row in data["powiats"]},
    )
