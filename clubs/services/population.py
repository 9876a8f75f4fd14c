"""Population per gmina from the GUS Local Data Bank (BDL) export or a plain file
(`manage.py import_population`). See docs/population.md.

- BDL CSV export: `"Kod";"Nazwa";"<variable>;<year>;[osoba]";…`, `;`-separated. "Kod" is
  the BDL unit code, 12 digits: macroregion (2), voivodeship (2), subregion (3), powiat
  (2), gmina (2), RODZ (1); "071412865011" is Warsaw, TERYT 1465011. A 7-digit TERYT code
  and the 10-digit form without the macroregion are read too. Rows of Poland, regions,
  powiats, town and rural parts and city districts are skipped (counted); the newest year
  column with a value is used.
- Plain: `teryt;population;year`.

All or nothing: every row is checked first, and only a file without errors is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clubs.gmina_index import GminaIndex
from clubs.models import Municipality, search_key
from kos_portal.uploads import Table, TableError, table_read

MAX_ROWS = 20_000  # BDL's gminas with their parts and districts are about 5,000 rows
VOIVODESHIPS = {f"{code:02d}" for code in range(2, 33, 2)}
YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")
PART_KINDS = {"4", "5", "8", "9"}  # town and rural parts, districts, delegations
PLAIN_COLUMNS = {
    "teryt": {"teryt", "kod teryt", "kod"},
    "population": {"population", "ludność", "ludnosc", "liczba ludności"},
    "year": {"year", "rok"},
}


class PopulationFileError(Exception):
    """The file can't be read at all (format, header). Nothing was written."""


@dataclass
class PopulationImportResult:
    """What an import did, or (dry run) would do. Nothing is written when `errors` is set."""

    layout: str = ""
    rows: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # BDL rows that are not gminas (totals, powiats, parts)
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def bdl_to_teryt(code: str) -> str | None:
    """The 7-digit TERYT code in a BDL unit code, or None when the unit is no gmina (or
    part of one): Poland, a region, a voivodeship or a powiat."""
    code = code.strip()
    if re.fullmatch(r"\d{12}", code) and code[2:4] == "00":
        return None  # Poland or a macroregion
    if re.fullmatch(r"\d{12}", code) and code[2:4] in VOIVODESHIPS:
        woj, pow_, gmi, rodz = code[2:4], code[7:9], code[9:11], code[11]
    elif re.fullmatch(r"\d{10}", code) and code[:2] in VOIVODESHIPS:
        woj, pow_, gmi, rodz = code[:2], code[5:7], code[7:9], code[9]
    elif re.fullmatch(r"\d{7}", code):
        woj, pow_, gmi, rodz = code[:2], code[2:4], code[4:6], code[6]
    else:
        raise ValidationError(
            _("“%(code)s” is neither a BDL unit code (12 digits) nor a TERYT code (7 digits).")
            % {"code": code}
        )
    if pow_ == "00" or gmi == "00" or rodz == "0":
        return None
    return woj + pow_ + gmi + rodz


def _number(value: str) -> int | None:
    text = value.replace("\u00a0", "").replace(" ", "").strip()
    if text in ("", "-", "–", "x", "."):
        return None
    if not text.isdigit():
        raise ValidationError(_("“%(value)s” is not a number of residents.") % {"value": value})
    return int(text)


def _bdl_columns(header: list[str]) -> list[tuple[int, int]] | None:
    """(year, column index) of a BDL export's value columns, newest first; None when the
    header is not a BDL export."""
    keys = [search_key(cell) for cell in header]
    if len(keys) < 3 or keys[0] != "kod" or keys[1] != "nazwa":
        return None
    columns = []
    for index, cell in enumerate(header[2:], start=2):
        years = YEAR.findall(cell)
        if years:
            columns.append((int(years[-1]), index))
    return sorted(columns, reverse=True) or None


def _plain_columns(header: list[str]) -> dict[str, int] | None:
    keys = [search_key(cell) for cell in header]
    found = {}
    for name, aliases in PLAIN_COLUMNS.items():
        for index, key in enumerate(keys):
            if key in aliases and index not in found.values():
                found[name] = index
                break
    return found if len(found) == 3 else None


def population_import(*, data: bytes, dry_run: bool = False) -> PopulationImportResult:
    """Set each gmina's population (and its year) from a BDL export or a plain file.

    All or nothing: with any row error nothing is written. A row for a gmina that changed
    kind resolves to it with a warning (clubs.gmina_index). Safe to run twice. Raises
    PopulationFileError when the file can't be read at all.
    """
    try:
        table = table_read(data, max_rows=MAX_ROWS)
    except TableError as error:
        raise PopulationFileError(str(error)) from error
    result = PopulationImportResult(dry_run=dry_run, rows=len(table.rows))
    values = _read(table, result)
    if result.errors:
        return result
    gminas = {
        m.pk: m
        for m in Municipality.objects.filter(pk__in=list(values)).only(
            "pk", "population", "population_year"
        )
    }
    changed = []
    for pk, (population, year) in values.items():
        gmina = gminas[pk]
        if (gmina.population, gmina.population_year) == (population, year):
            result.unchanged += 1
            continue
        gmina.population, gmina.population_year = population, year
        changed.append(gmina)
    result.updated = len(changed)
    if not dry_run:
        with transaction.atomic():
            Municipality.objects.bulk_update(
                changed, ["population", "population_year"], batch_size=500
            )
    return result


def _read(table: Table, result: PopulationImportResult) -> dict[int, tuple[int, int]]:
    """gmina pk -> (population, year); errors, warnings and skips go to `result`."""
    bdl = _bdl_columns(table.header)
    plain = None if bdl else _plain_columns(table.header)
    if bdl is None and plain is None:
        raise PopulationFileError(
            _(
                "Line 1: the file is neither a BDL export (columns Kod, Nazwa and one per "
                "year) nor a plain file with the columns teryt, population and year."
            )
        )
    result.layout = "bdl" if bdl else "plain"
    index = GminaIndex()
    found: dict[int, tuple[int, int]] = {}
    lines: dict[int, int] = {}
    for line, cells in table.rows:

        def cell(position: int, cells=cells) -> str:
            return cells[position] if position < len(cells) else ""

        try:
            if bdl:
                teryt = bdl_to_teryt(cell(0))
                if teryt is None or teryt[6] in PART_KINDS:
                    result.skipped += 1
                    continue
                population = year = None
                for column_year, position in bdl:
                    population = _number(cell(position))
                    if population is not None:
                        year = column_year
                        break
                if population is None:
                    raise ValidationError(_("The row has no population in any year."))
            else:
                teryt = cell(plain["teryt"]).strip()
                if re.fullmatch(r"\d{6,7}", teryt) and teryt.zfill(7)[6] in PART_KINDS:
                    raise ValidationError(
                        _("%(code)s is a part of a gmina; give the whole gmina's code.")
                        % {"code": teryt}
                    )
                population = _number(cell(plain["population"]))
                if population is None:
                    raise ValidationError(_("The population is empty."))
                year_text = cell(plain["year"]).strip()
                if not re.fullmatch(r"(19|20)\d\d", year_text):
                    raise ValidationError(_("“%(value)s” is not a year.") % {"value": year_text})
                year = int(year_text)
            resolved = index.resolve_code(teryt)
        except ValidationError as error:
            result.errors.extend((line, message) for message in error.messages)
            continue
        if resolved.warning:
            result.warnings.append((line, resolved.warning))
        pk = resolved.gmina.pk
        if pk in lines:
            result.errors.append(
                (
                    line,
                    _("%(gmina)s is already on line %(line)s.")
                    % {"gmina": resolved.gmina.label, "line": lines[pk]},
                )
            )
            continue
        lines[pk] = line
        found[pk] = (population, year)
    return found
