"""The flat frame the boundary paths are drawn in, and lon/lat -> frame for points.

An equirectangular projection true at 52°N (Poland spans 49-55°N, so shapes stretch by at
most about 5 % at the edges): simple enough that a club's point is projected at request
time with two multiplications, the same way scripts/geo_build.py projected the borders.
"""

from __future__ import annotations

import math

PROJECTION = {
    "kind": "equirectangular",
    "standard_parallel": 52.0,
    "west": 14.0,
    "north": 55.0,
    "units_per_degree": 1576.8,  # the frame is about 10,000 units wide
}
_COS = math.cos(math.radians(PROJECTION["standard_parallel"]))


def project(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 longitude/latitude to frame x/y (y grows southwards, as in SVG)."""
    k = PROJECTION["units_per_degree"]
    return (
        (float(lon) - PROJECTION["west"]) * _COS * k,
        (PROJECTION["north"] - float(lat)) * k,
    )
