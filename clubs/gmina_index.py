"""The gminas of the register in memory, to resolve the codes and names that files give.

One query loads every gmina (about 2,500) and one more their former codes and names (from
TERC imports, see clubs.teryt). Bulk imports (partners, population) resolve thousands of
rows against it without a query per row. See docs/partners.md and docs/population.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from clubs.models import Municipality, MunicipalityChange, search_key

# The register's qualifier for a powiat that has an urban and a rural gmina of one name.
QUALIFIED_NAME = re.compile(
    r"^(?P<name>.+?)\s*\((?P<kind>gmina miejsko-wiejska|gmina miejska|gmina wiejska)\)$",
    re.IGNORECASE,
)
QUALIFIER_KINDS = {
    "gmina miejska": Municipality.Kind.URBAN,
    "gmina wiejska": Municipality.Kind.RURAL,
    "gmina miejsko-wiejska": Municipality.Kind.URBAN_RURAL,
}
PART_KINDS = {"4", "5"}  # the town and the rural part of an urban-rural gmina


@dataclass(frozen=True)
class Gmina:
    pk: int
    code: str
    name: str
    kind: str
    powiat: str  # search keys, without "powiat " / "województwo "
    voivodeship: str
    is_current: bool

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass(frozen=True)
class Resolved:
    """The gmina a row means, and a warning to report when it was found indirectly."""

    gmina: Gmina
    warning: str = ""


def powiat_key(name: str) -> str:
    return search_key(name or "").removeprefix("powiat ").strip()


def voivodeship_key(name: str) -> str:
    key = search_key(name or "")
    return key.removeprefix("województwo ").removeprefix("woj. ").strip()


def normalise_code(value: str) -> str:
    """Seven digits; a spreadsheet that dropped the leading zero (voivodeship 02) is fixed."""
    code = value.strip()
    return "0" + code if re.fullmatch(r"\d{6}", code) else code


class GminaIndex:
    """Every gmina, by code, by the first six digits of the code and by name."""

    def __init__(self) -> None:
        self.by_code: dict[str, Gmina] = {}
        self.by_pk: dict[int, Gmina] = {}
        self.current_by_prefix: dict[str, list[Gmina]] = {}
        self.by_name: dict[str, list[Gmina]] = {}
        rows = Municipality.objects.values_list(
            "pk", "code", "name", "kind", "is_current", "powiat__name", "powiat__voivodeship__name"
        )
        for pk, code, name, kind, is_current, powiat, voivodeship in rows.iterator(2000):
            gmina = Gmina(
                pk, code, name, kind, powiat_key(powiat), voivodeship_key(voivodeship), is_current
            )
            self.by_code[code] = gmina
            self.by_pk[pk] = gmina
            if is_current:  # names and prefixes answer for the current register only
                self.by_name.setdefault(search_key(name), []).append(gmina)
                self.current_by_prefix.setdefault(code[:6], []).append(gmina)
        self.former_codes: dict[str, Gmina] = {}
        self.former_names: dict[str, list[tuple[str, Gmina]]] = {}
        changes = MunicipalityChange.objects.order_by("recorded_at", "pk").values_list(
            "former_code", "former_name", "municipality_id"
        )
        for former_code, former_name, pk in changes:
            now = self.by_pk.get(pk)
            if now is None:
                continue
            self.former_codes[former_code] = now
            if search_key(former_name) != search_key(now.name):
                self.former_names.setdefault(search_key(former_name), []).append((former_name, now))

    def resolve_code(self, value: str) -> Resolved:
        """The current gmina a 7-digit TERYT code means; ValidationError when none.

        - RODZ 4 or 5 (a town or rural part, as RSPO writes it) is its gmina (RODZ 3).
        - A code the register no longer has, whose gmina changed kind (and so RODZ), is
          the one current gmina with the same first six digits, with a warning.
        """
        code = normalise_code(value)
        if not re.fullmatch(r"\d{7}", code):
            raise ValidationError(_("The TERYT code “%(code)s” is not 7 digits.") % {"code": value})
        found = self.by_code.get(code)
        if found is not None and found.is_current:
            return Resolved(found)
        same_six = self.current_by_prefix.get(code[:6], [])
        if found is None and code[6] in PART_KINDS:
            whole = [g for g in same_six if g.kind == Municipality.Kind.URBAN_RURAL]
            if len(whole) == 1:
                return Resolved(whole[0])  # the part of an urban-rural gmina: no warning
        former = self.former_codes.get(code)
        if former is not None and former.is_current:
            return Resolved(
                former,
                _("TERYT code %(code)s is now %(now)s.") % {"code": code, "now": former.label},
            )
        if len(same_six) == 1:
            return Resolved(
                same_six[0],
                _(
                    "No gmina has the TERYT code %(code)s; it was read as %(now)s, the one "
                    "gmina with the same first six digits (its kind changed)."
                )
                % {"code": code, "now": same_six[0].label},
            )
        if found is not None:
            raise ValidationError(
                _("The gmina with TERYT code %(code)s is no longer in the register.")
                % {"code": code}
            )
        raise ValidationError(_("No gmina has the TERYT code %(code)s.") % {"code": code})

    def resolve_name(
        self, *, gmina: str, powiat: str = "", voivodeship: str = "", locality: str = ""
    ) -> Resolved:
        """The one current gmina a name (with its powiat and voivodeship) means.

        When a powiat has an urban and a rural gmina of one name (Sieradz), `locality`
        decides: a unit in the town itself is in the urban gmina, any other in the rural
        one. A name the register no longer has is an error that says what it is now when
        an earlier TERC import recorded the change.
        """
        name, kind = gmina.strip(), None
        if not name:
            raise ValidationError(_("Give the gmina: its TERYT code, or its name."))
        qualified = QUALIFIED_NAME.match(name)
        if qualified:
            name = qualified["name"]
            kind = QUALIFIER_KINDS[qualified["kind"].casefold()]
        where = ", ".join(p.strip() for p in (powiat, voivodeship) if p.strip())
        shown = f"{gmina.strip()} ({where})" if where else gmina.strip()
        candidates = self._narrow(self.by_name.get(search_key(name), []), powiat, voivodeship)
        if kind:
            candidates = [g for g in candidates if g.kind == kind]
        if len(candidates) == 2 and locality.strip() and not kind:
            kinds = {g.kind for g in candidates}
            if kinds == {Municipality.Kind.URBAN, Municipality.Kind.RURAL}:
                in_town = search_key(locality) == search_key(name)
                wanted = Municipality.Kind.URBAN if in_town else Municipality.Kind.RURAL
                candidates = [g for g in candidates if g.kind == wanted]
        if len(candidates) == 1:
            return Resolved(candidates[0])
        if len(candidates) > 1:
            codes = ", ".join(sorted(g.code for g in candidates))
            raise ValidationError(
                _(
                    "“%(name)s” matches %(count)s gminas (TERYT %(codes)s): give the powiat and "
                    "voivodeship, the register's qualifier, or the TERYT code."
                )
                % {"name": shown, "count": len(candidates), "codes": codes}
            )
        renamed = [
            (former, now)
            for former, now in self.former_names.get(search_key(name), [])
            if now.is_current
        ]
        renamed = [
            (former, now) for former, now in renamed if self._narrow([now], powiat, voivodeship)
        ]
        if renamed:
            _former, now = renamed[-1]
            raise ValidationError(
                _(
                    "The gmina “%(name)s” is no longer in the register: it is now %(now)s. "
                    "Write the new name or the TERYT code."
                )
                % {"name": shown, "now": now.label}
            )
        raise ValidationError(_("No gmina in the register matches “%(name)s”.") % {"name": shown})

    @staticmethod
    def _narrow(candidates: list[Gmina], powiat: str, voivodeship: str) -> list[Gmina]:
        if powiat.strip():
            candidates = [g for g in candidates if g.powiat == powiat_key(powiat)]
        if voivodeship.strip():
            candidates = [g for g in candidates if g.voivodeship == voivodeship_key(voivodeship)]
        return candidates
