"""The layouts of partner files: the official registers' exports, recognised by their
headers and mapped with no questions, our own columns, and a mapping for any other file.

- The OSP register (KSRG/PSP export): `Numer,Nazwa,KSRG,Rodzaj,Kategoria,Kraj,Województwo,
  Powiat,Gmina,Miejscowość,Kod pocztowy,Adres,Nazwa obiektu,Długość,Szerokość,x,y`.
- The RSPO school register: `"Numer RSPO";Typ;Nazwa;Ulica;…;"Kod terytorialny gmina";…`.
- Our own: `name,kind,teryt,gmina,powiat,voivodeship,address,ksrg` (+ `ref`, `lat`, `lon`).

A layout turns a row's cells into the fields below (`PartnerFields`); the import checks
them. See docs/partners.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from clubs.models import search_key

# (field, label) that a column can be mapped to, in the order of our own layout.
TARGET_FIELDS: list[tuple[str, object]] = [
    ("name", gettext_lazy("Name")),
    ("kind", gettext_lazy("Kind (osp, school, ngo, business, police, government, other)")),
    ("teryt", gettext_lazy("Gmina's TERYT code")),
    ("gmina", gettext_lazy("Gmina")),
    ("powiat", gettext_lazy("Powiat")),
    ("voivodeship", gettext_lazy("Voivodeship")),
    ("address", gettext_lazy("Address")),
    ("ksrg", gettext_lazy("KSRG member (yes/no, tak/nie)")),
    ("ref", gettext_lazy("Number in a public register")),
    ("lat", gettext_lazy("Latitude (WGS84)")),
    ("lon", gettext_lazy("Longitude (WGS84)")),
]
FIELDS = [name for name, _label in TARGET_FIELDS]
OWN_COLUMNS = ("name", "kind", "teryt", "gmina", "powiat", "voivodeship", "address", "ksrg")
OWN_EXTRA = ("ref", "lat", "lon")
# Headers people write for our fields (compared as search keys).
ALIASES: dict[str, set[str]] = {
    "name": {"nazwa", "nazwa jednostki", "partner"},
    "kind": {"rodzaj partnera", "typ partnera"},
    "teryt": {"kod teryt", "teryt gminy", "kod terytorialny gmina"},
    "gmina": {"gmina"},
    "powiat": {"powiat"},
    "voivodeship": {"województwo", "wojewodztwo"},
    "address": {"adres"},
    "ksrg": {"w ksrg"},
    "ref": {"numer", "numer w rejestrze", "nr"},
    "lat": {"latitude", "szerokość", "szerokosc"},
    "lon": {"longitude", "długość", "dlugosc"},
}

OSP_HEADER = [
    "Numer",
    "Nazwa",
    "KSRG",
    "Rodzaj",
    "Kategoria",
    "Kraj",
    "Województwo",
    "Powiat",
    "Gmina",
    "Miejscowość",
    "Kod pocztowy",
    "Adres",
    "Nazwa obiektu",
    "Długość",
    "Szerokość",
    "x",
    "y",
]
RSPO_REQUIRED = ("numer rspo", "typ", "nazwa", "kod terytorialny gmina")


@dataclass
class PartnerFields:
    """One row's values, as text, before any check."""

    name: str = ""
    kind: str = ""
    teryt: str = ""
    gmina: str = ""
    powiat: str = ""
    voivodeship: str = ""
    locality: str = ""
    address: str | None = None  # None: the file has no address, keep the stored one
    ksrg: str | None = None  # None: the file says nothing of KSRG
    ref: str = ""
    lat: str = ""
    lon: str = ""
    detail: str | None = None  # the register's own type (RSPO "Typ"); None: keep


def _keys(header: list[str]) -> list[str]:
    return [search_key(cell).replace("_", " ") for cell in header]


class Layout:
    """How to read one kind of file: `fields(cells)` gives a row's PartnerFields."""

    code = ""
    label = gettext_lazy("our own columns")

    def __init__(self, header: list[str], mapping: dict[str, int]) -> None:
        self.header = header
        self.mapping = mapping

    def _cell(self, cells: list[str], index: int | None) -> str:
        return " ".join(cells[index].split()) if index is not None and index < len(cells) else ""

    def fields(self, cells: list[str]) -> PartnerFields:
        got = {name: self._cell(cells, index) for name, index in self.mapping.items()}
        return PartnerFields(
            name=got.get("name", ""),
            kind=got.get("kind", "").casefold(),
            teryt=got.get("teryt", ""),
            gmina=got.get("gmina", ""),
            powiat=got.get("powiat", ""),
            voivodeship=got.get("voivodeship", ""),
            address=got.get("address") or None,
            ksrg=got.get("ksrg"),
            ref=got.get("ref", ""),
            lat=got.get("lat", ""),
            lon=got.get("lon", ""),
        )


class OspLayout(Layout):
    code = "osp"
    label = gettext_lazy("the OSP register (KSRG) export")

    def __init__(self, header: list[str]) -> None:
        keys = _keys(header)
        super().__init__(
            header, {search_key(name): keys.index(search_key(name)) for name in OSP_HEADER}
        )

    def fields(self, cells: list[str]) -> PartnerFields:
        def get(name: str) -> str:
            return self._cell(cells, self.mapping[search_key(name)])

        locality = get("Miejscowość")
        place = " ".join(part for part in (get("Kod pocztowy"), locality) if part)
        address = ", ".join(part for part in (get("Adres"), place) if part)
        return PartnerFields(
            name=get("Nazwa"),
            kind="osp",
            gmina=get("Gmina"),
            powiat=get("Powiat"),
            voivodeship=get("Województwo"),
            locality=locality,
            address=address or None,
            ksrg=get("KSRG"),
            ref=get("Numer"),
            lat=get("Szerokość"),
            lon=get("Długość"),
        )


class RspoLayout(Layout):
    code = "rspo"
    label = gettext_lazy("the RSPO school register export")

    def __init__(self, header: list[str]) -> None:
        keys = _keys(header)
        super().__init__(header, {key: index for index, key in enumerate(keys) if key})

    def fields(self, cells: list[str]) -> PartnerFields:
        def get(key: str) -> str:
            return self._cell(cells, self.mapping.get(key))

        street = get("ulica")
        number = get("numer budynku")
        if get("numer lokalu"):
            number = f"{number}/{get('numer lokalu')}" if number else get("numer lokalu")
        street_line = " ".join(part for part in (street, number) if part)
        locality = get("miejscowość")
        place = " ".join(part for part in (get("kod pocztowy"), get("poczta") or locality) if part)
        if not street:  # villages have no streets: "Złotokłos 12"
            street_line = " ".join(part for part in (locality, number) if part)
        address = ", ".join(part for part in (street_line, place) if part)
        return PartnerFields(
            name=get("nazwa"),
            kind="school",
            teryt=get("kod terytorialny gmina"),
            gmina=get("gmina"),
            powiat=get("powiat"),
            voivodeship=get("województwo"),
            locality=locality,
            address=address or None,
            ref=get("numer rspo"),
            lat=get("geolokalizacja latitude") or get("szerokość geograficzna"),
            lon=get("geolokalizacja longitude") or get("długość geograficzna"),
            detail=get("typ"),
        )


def layout_for(header: list[str]) -> Layout | None:
    """The layout a header is, or None when it needs the column-mapping step."""
    keys = _keys(header)
    if keys[: len(OSP_HEADER)] == _keys(OSP_HEADER):
        return OspLayout(header)
    if all(key in keys for key in RSPO_REQUIRED):
        return RspoLayout(header)
    named = [key for key in keys if key]
    if (
        named
        and all(key in OWN_COLUMNS + OWN_EXTRA for key in named)
        and len(named) == len(set(named))
        and {"name", "kind"} <= set(named)
        and {"teryt", "gmina"} & set(named)
    ):
        return Layout(header, {key: index for index, key in enumerate(keys) if key})
    return None


def default_mapping(header: list[str]) -> dict[str, int]:
    """Field -> column index for the columns whose names match a field or its aliases:
    the suggestion the mapping step starts from."""
    keys = _keys(header)
    mapping: dict[str, int] = {}
    for name in FIELDS:
        wanted = {name} | ALIASES.get(name, set())
        for index, key in enumerate(keys):
            if key in wanted and index not in mapping.values():
                mapping[name] = index
                break
    return mapping


def mapped_layout(header: list[str], mapping: dict[str, int]) -> Layout:
    """A layout from a mapping chosen in the mapping step (checked by the import)."""
    return Layout(header, {name: index for name, index in mapping.items() if index is not None})
