"""The map of Poland on the public directory: a tile grid, one tile per voivodeship.

A tile grid (cartogram) instead of real borders: it needs no map library, no CDN and no
boundary data, renders as plain inline SVG under our strict CSP, and every voivodeship
gets a tile big enough to click and to read a number on. Shading is never the only
carrier of the count: each tile shows the number, and a table below repeats it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import ngettext

# TERYT code -> name. Fixed since the 1999 reform; hard-coded so the map needs no query
# beyond the one count per voivodeship.
VOIVODESHIPS: dict[str, str] = {
    "02": "dolnośląskie",
    "04": "kujawsko-pomorskie",
    "06": "lubelskie",
    "08": "lubuskie",
    "10": "łódzkie",
    "12": "małopolskie",
    "14": "mazowieckie",
    "16": "opolskie",
    "18": "podkarpackie",
    "20": "podlaskie",
    "22": "pomorskie",
    "24": "śląskie",
    "26": "świętokrzyskie",
    "28": "warmińsko-mazurskie",
    "30": "wielkopolskie",
    "32": "zachodniopomorskie",
}

# Rows north to south, columns west to east: roughly where each voivodeship lies.
GRID: list[list[str]] = [
    ["32", "22", "28", "20"],  # zachodniopomorskie, pomorskie, warmińsko-mazurskie, podlaskie
    ["08", "30", "04", "14"],  # lubuskie, wielkopolskie, kujawsko-pomorskie, mazowieckie
    ["02", "10", "26", "06"],  # dolnośląskie, łódzkie, świętokrzyskie, lubelskie
    ["16", "24", "12", "18"],  # opolskie, śląskie, małopolskie, podkarpackie
]

TILE_WIDTH = 150
TILE_HEIGHT = 100
GAP = 6
SHADES = 4  # levels 1..4 for clubs > 0; level 0 means none


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    count: int
    level: int  # 0 (no clubs) .. SHADES (the most clubs)
    x: int
    y: int
    selected: bool

    @property
    def name_lines(self) -> list[str]:
        """The name on one line, or two at the hyphen (the longer names don't fit one)."""
        if "-" in self.name:
            first, rest = self.name.split("-", 1)
            return [f"{first}-", rest]
        return [self.name]

    @property
    def label(self) -> str:
        """The tile's accessible name, e.g. "mazowieckie: 3 clubs"."""
        clubs = ngettext("%(count)d club", "%(count)d clubs", self.count) % {"count": self.count}
        return f"{self.name}: {clubs}"

    @property
    def center_x(self) -> int:
        return self.x + TILE_WIDTH // 2


@dataclass(frozen=True)
class TileMap:
    tiles: list[Tile]
    width: int
    height: int
    tile_width: int = TILE_WIDTH
    tile_height: int = TILE_HEIGHT

    @property
    def rows(self) -> list[Tile]:
        """The tiles in TERYT order (which is alphabetical), for the table under the map."""
        return sorted(self.tiles, key=lambda tile: tile.code)

    @property
    def total(self) -> int:
        return sum(tile.count for tile in self.tiles)


def shade_level(count: int, highest: int) -> int:
    """0 for no clubs, otherwise 1..SHADES relative to the busiest voivodeship."""
    if count <= 0 or highest <= 0:
        return 0
    return max(1, min(SHADES, math.ceil(SHADES * count / highest)))


def tile_map(counts: dict[str, int], selected: str | None = None) -> TileMap:
    """Lay out the 16 tiles with their counts; `selected` is the voivodeship filtered on."""
    highest = max(counts.values(), default=0)
    tiles = []
    for row_index, row in enumerate(GRID):
        for column_index, code in enumerate(row):
            count = counts.get(code, 0)
            tiles.append(
                Tile(
                    code=code,
                    name=VOIVODESHIPS[code],
                    count=count,
                    level=shade_level(count, highest),
                    x=GAP + column_index * (TILE_WIDTH + GAP),
                    y=GAP + row_index * (TILE_HEIGHT + GAP),
                    selected=code == selected,
                )
            )
    columns = max(len(row) for row in GRID)
    return TileMap(
        tiles=tiles,
        width=GAP + columns * (TILE_WIDTH + GAP),
        height=GAP + len(GRID) * (TILE_HEIGHT + GAP),
    )
