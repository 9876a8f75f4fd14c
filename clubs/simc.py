"""Import of the GUS SIMC register of localities (`manage.py import_simc`).

The file is `SIMC_Urzedowy_<date>.zip` or the CSV inside it: UTF-8 with a BOM, `;`, CRLF,
header `WOJ;POW;GMI;RODZ_GMI;RM;MZ;NAZWA;SYM;SYMPOD;STAN_NA`, rows in no particular
order. A locality's gmina is WOJ+POW+GMI+RODZ_GMI; RODZ_GMI 4 or 5 (the town or the rural
part of an urban-rural gmina) is that gmina (clubs.gmina_index). Every row is checked
before anything is written; the writes run in one transaction. See docs/teryt.md.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clubs.gmina_index import GminaIndex
from clubs.models import Locality
from kos_portal.uploads import TableError, table_read

SIMC_HEADER = ["WOJ", "POW", "GMI", "RODZ_GMI", "RM", "MZ", "NAZWA", "SYM", "SYMPOD", "STAN_NA"]
MAX_ROWS = 200_000  # the register has about 102,000 localities
BATCH_SIZE = 2000


class SimcFileError(Exception):
    """The file is not a SIMC file. Nothing was written."""


@dataclass
class SimcImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    marked_not_current: int = 0
    skipped_no_gmina: int = 0  # localities of gminas not in the portal's register
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False


def _read(data: bytes):
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if len(names) != 1:
                    raise SimcFileError(_("The ZIP should contain exactly one CSV file."))
                data = archive.read(names[0])
        except zipfile.BadZipFile as error:
            raise SimcFileError(_("The file is not a valid ZIP archive.")) from error
    try:
        table = table_read(data, max_rows=MAX_ROWS)
    except TableError as error:
        raise SimcFileError(str(error)) from error
    if [cell.upper() for cell in table.header] != SIMC_HEADER:
        raise SimcFileError(
            _("Line 1: not a SIMC file: the header should be %(expected)s.")
            % {"expected": ";".join(SIMC_HEADER)}
        )
    return table


def simc_import(*, data: bytes, dry_run: bool = False) -> SimcImportResult:
    """Make Locality hold the SIMC file's localities, all or nothing; safe to run twice.

    Localities missing from the file are marked not current, never deleted. Localities of
    gminas the portal doesn't have (a partial register) are counted and skipped.
    """
    table = _read(data)
    result = SimcImportResult(rows=len(table.rows), dry_run=dry_run)
    index = GminaIndex()
    wanted: dict[str, dict] = {}
    lines: dict[str, int] = {}
    for line, cells in table.rows:
        if len(cells) != len(SIMC_HEADER):
            result.errors.append(
                (line, _("expected %(count)d columns.") % {"count": len(SIMC_HEADER)})
            )
            continue
        woj, pow_, gmi, rodz, rm, _mz, name, sym, sympod, _stan_na = cells
        if not (re.fullmatch(r"\d{7}", sym) and re.fullmatch(r"\d{7}", sympod)):
            result.errors.append((line, _("SYM and SYMPOD must be 7 digits.")))
            continue
        if not name or len(name) > 100:
            result.errors.append((line, _("NAZWA is empty or longer than 100 characters.")))
            continue
        if sym in lines:
            result.errors.append(
                (
                    line,
                    _("SYM %(sym)s is already on line %(line)s.")
                    % {"sym": sym, "line": lines[sym]},
                )
            )
            continue
        lines[sym] = line
        code = woj + pow_ + gmi + rodz
        try:
            gmina = index.resolve_code(code).gmina
        except ValidationError:
            result.skipped_no_gmina += 1
            continue
        wanted[sym] = {
            "parent_sym": sympod,
            "municipality_id": gmina.pk,
            "name": name,
            "kind": rm[:2],
            "is_current": True,
        }
    if result.errors:
        return result
    existing = {locality.sym: locality for locality in Locality.objects.all()}
    to_create, to_update, gone = [], [], []
    for sym, values in wanted.items():
        locality = existing.get(sym)
        if locality is None:
            to_create.append(Locality(sym=sym, **values))
            continue
        changed = False
        for name, value in values.items():
            if getattr(locality, name) != value:
                setattr(locality, name, value)
                changed = True
        if changed:
            to_update.append(locality)
    for sym, locality in existing.items():
        if sym not in wanted and locality.is_current:
            locality.is_current = False
            gone.append(locality)
    result.created, result.updated = len(to_create), len(to_update)
    result.unchanged = len(wanted) - result.created - result.updated
    result.marked_not_current = len(gone)
    if not dry_run:
        with transaction.atomic():
            Locality.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
            fields = ["parent_sym", "municipality_id", "name", "kind", "is_current"]
            Locality.objects.bulk_update(to_update + gone, fields, batch_size=BATCH_SIZE)
    return result
