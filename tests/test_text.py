"""The one folding rule of every search box (kos_portal/text.py)."""

import pytest

from kos_portal.text import fold


@pytest.mark.parametrize(
    ("parts", "folded"),
    [
        (("Złotokłos",), "zlotoklos"),
        (("ŻÓŁKIEWSKA", "  Anna "), "zolkiewska anna"),
        (("Gęślą jaźń", None, ""), "gesla jazn"),
        (("Straße",), "strasse"),
    ],
)
def test_fold(parts, folded):
    assert fold(*parts) == folded
