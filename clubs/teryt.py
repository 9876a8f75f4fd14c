"""Import of the official GUS TERC register (voivodeships, powiats, gminas).

The file comes from GUS eTERYT as `TERC_Urzedowy_<date>.zip` or the CSV inside it: UTF-8
with a byte-order mark, `;` separated, CRLF line ends, header
`WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA`. The whole file is read and checked before
anything is written, and the writes run in one transaction, so a bad file changes nothing.
See docs/teryt.md.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import Count, Model
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clubs.models import Municipality, MunicipalityChange, Powiat, Voivodeship

TERC_HEADER = ["WOJ", "POW", "GMI", "RODZ", "NAZWA", "NAZWA_DOD", "STAN_NA"]
GMINA_KINDS = {"1", "2", "3"}  # urban, rural, urban-rural: the gminas we store
# Town and rural parts of urban-rural gminas, Warsaw districts, delegations of big cities:
# parts of a gmina, not gminas of their own.
PART_KINDS = {"4", "5", "8", "9"}
URBAN_RURAL_PARTS = {"4", "5"}  # the town and the rural part of an urban-rural gmina
# A whole register has about 700 urban-rural gminas; a file of this many gminas without
# any is not the official variant.
FULL_REGISTER_GMINAS = 100
RETIRE_WITHOUT_CONFIRM = 5  # more gminas leaving the register at once need --confirm
REPORT_ITEMS = 50  # entries of each diff list printed
CITY_POW_FROM = 61  # powiat codes 61+ are cities with powiat rights
NAME_MAX_LENGTH = 100  # the models' name fields


class TerytFileError(Exception):
    """The file is not a TERC file, or is damaged. `line` is 1-based, or None."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class LevelCounts:
    """What an import did to one level of the register."""

    in_file: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    marked_not_current: int = 0
    # The diff, for the report before anything is written: "code name" per unit.
    new: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)  # "code old → new"
    changed_kind: list[str] = field(default_factory=list)  # "old code → new code name"
    retired: list[str] = field(default_factory=list)


@dataclass
class TerytImportResult:
    """Counts from one run of `teryt_import`."""

    stan_na: str = ""
    voivodeships: LevelCounts = field(default_factory=LevelCounts)
    powiats: LevelCounts = field(default_factory=LevelCounts)
    municipalities: LevelCounts = field(default_factory=LevelCounts)
    skipped_parts: int = 0
    # Gminas this run marked not current while clubs still use them: "code name (N clubs)".
    not_current_in_use: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        """Whether the run wrote anything."""
        return any(
            level.created or level.updated or level.marked_not_current
            for level in (self.voivodeships, self.powiats, self.municipalities)
        )


@dataclass(frozen=True)
class _Unit:
    line: int
    code: str
    name: str
    kind: str = ""  # gminas only
    is_city: bool = False  # powiats only


@dataclass
class TercRegister:
    """The checked contents of a TERC file."""

    stan_na: str = ""
    voivodeships: dict[str, _Unit] = field(default_factory=dict)
    powiats: dict[str, _Unit] = field(default_factory=dict)
    gminas: dict[str, _Unit] = field(default_factory=dict)  # by WOJ+POW+GMI (6 digits)
    skipped_parts: int = 0


# --- Reading and checking ----------------------------------------------------------------


def _read_bytes(path_or_file: str | os.PathLike | IO[bytes]) -> tuple[bytes, str]:
    """The raw bytes and a name to use in messages."""
    if isinstance(path_or_file, str | os.PathLike):
        path = Path(path_or_file)
        try:
            return path.read_bytes(), path.name
        except OSError as exc:
            raise TerytFileError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}
            ) from exc
    data = path_or_file.read()
    if isinstance(data, str):  # a file opened in text mode
        data = data.encode("utf-8")
    return data, Path(getattr(path_or_file, "name", "") or "TERC").name


def _unzip(data: bytes, name: str) -> tuple[bytes, str]:
    """The CSV inside a TERC ZIP archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise TerytFileError(
                    _("%(name)s should contain exactly one CSV file, it contains %(count)d.")
                    % {"name": name, "count": len(members)}
                )
            return archive.read(members[0]), members[0]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as exc:
        raise TerytFileError(
            _("%(name)s is not a valid ZIP archive (%(error)s).") % {"name": name, "error": exc}
        ) from exc


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")  # the BOM is optional here
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TerytFileError(
            _(
                "%(name)s, line %(line)d: the file is not UTF-8 text. Use the TERC file as "
                "downloaded from GUS eTERYT."
            )
            % {"name": name, "line": line},
            line=line,
        ) from exc


def _check_code(value: str, column: str, *, required: bool) -> str | None:
    """A problem with one code column, or None. Codes are zero-padded digits."""
    width = 1 if column == "RODZ" else 2
    if value == "" and not required:
        return None
    if len(value) != width or not value.isdigit():
        return _("%(column)s must be %(width)d digit(s), found %(value)r.") % {
            "column": column,
            "width": width,
            "value": value,
        }
    return None


def _row_problem(row: list[str]) -> str | None:
    """What is wrong with one data row, or None."""
    if len(row) != len(TERC_HEADER):
        return _("expected %(expected)d columns separated by ';', found %(found)d.") % {
            "expected": len(TERC_HEADER),
            "found": len(row),
        }
    woj, pow_, gmi, rodz, name = row[:5]
    for value, column, required in (
        (woj, "WOJ", True),
        (pow_, "POW", False),
        (gmi, "GMI", False),
        (rodz, "RODZ", False),
    ):
        problem = _check_code(value, column, required=required)
        if problem:
            return problem
    if pow_ == "" and (gmi or rodz):
        return _("a row without POW cannot have GMI or RODZ.")
    if gmi == "" and rodz:
        return _("a row without GMI cannot have RODZ.")
    if gmi and not rodz:
        return _("a gmina row needs RODZ.")
    if rodz and rodz not in GMINA_KINDS | PART_KINDS:
        return _("unknown RODZ %(rodz)r.") % {"rodz": rodz}
    if not name.strip():
        return _("NAZWA is empty.")
    if len(name.strip()) > NAME_MAX_LENGTH:
        return _("NAZWA is longer than %(max)d characters.") % {"max": NAME_MAX_LENGTH}
    return None


def _parse(text: str, name: str) -> TercRegister:
    """Check every row and collect the units; raise TerytFileError on the first problem."""

    def fail(line: int, problem: str) -> TerytFileError:
        return TerytFileError(
            _("%(name)s, line %(line)d: %(problem)s")
            % {"name": name, "line": line, "problem": problem},
            line=line,
        )

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise fail(1, str(exc)) from exc
    if header is None or [h.strip() for h in header] != TERC_HEADER:
        raise fail(
            1,
            _("not a TERC file: the header should be %(expected)s.")
            % {"expected": ";".join(TERC_HEADER)},
        )
    register = TercRegister()
    gmina_lines: list[_Unit] = []
    parts: dict[str, int] = {}  # WOJ+POW+GMI of town and rural parts -> first line
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line, e.g. at the end of the file
            row = [cell.strip() for cell in row]
            problem = _row_problem(row)
            if problem:
                raise fail(line, problem)
            woj, pow_, gmi, rodz, nazwa, nazwa_dod, stan_na = row
            register.stan_na = max(register.stan_na, stan_na)  # the newest date in the file
            if not pow_:
                level, code = register.voivodeships, woj
                # TERC writes voivodeships in capitals; Polish writes them in lower case,
                # like the powiats ("województwo mazowieckie", "powiat piaseczyński").
                unit = _Unit(line=line, code=code, name=nazwa.lower())
            elif not gmi:
                level, code = register.powiats, woj + pow_
                is_city = int(pow_) >= CITY_POW_FROM or "na prawach powiatu" in nazwa_dod
                unit = _Unit(line=line, code=code, name=nazwa, is_city=is_city)
            elif rodz in PART_KINDS:
                register.skipped_parts += 1
                if rodz in URBAN_RURAL_PARTS:
                    parts.setdefault(woj + pow_ + gmi, line)
                continue
            else:
                level, code = register.gminas, woj + pow_ + gmi
                unit = _Unit(line=line, code=code + rodz, name=nazwa, kind=rodz)
                gmina_lines.append(unit)
            if code in level:
                raise fail(
                    line,
                    _("unit %(code)s already appears on line %(other)d.")
                    % {"code": unit.code, "other": level[code].line},
                )
            level[code] = unit
    except csv.Error as exc:
        raise fail(reader.line_num, str(exc)) from exc

    if not register.voivodeships:
        raise fail(reader.line_num or 1, _("the file contains no voivodeships."))
    for powiat in register.powiats.values():
        if powiat.code[:2] not in register.voivodeships:
            raise fail(
                powiat.line,
                _("powiat %(code)s %(name)s has no voivodeship %(parent)s in the file.")
                % {"code": powiat.code, "name": powiat.name, "parent": powiat.code[:2]},
            )
    _check_variant(register, parts, fail)
    for gmina in gmina_lines:
        if gmina.code[:4] not in register.powiats:
            raise fail(
                gmina.line,
                _("gmina %(code)s %(name)s has no powiat %(parent)s in the file.")
                % {"code": gmina.code, "name": gmina.name, "parent": gmina.code[:4]},
            )
    return register


def _check_variant(register: TercRegister, parts: dict[str, int], fail) -> None:
    """Refuse the "adresowy" variant and any file without the urban-rural gmina rows:
    imported, it would make their town and rural parts disappear from the register and
    mark hundreds of gminas with clubs not current."""
    orphans = [
        (line, code)
        for code, line in parts.items()
        if code not in register.gminas or register.gminas[code].kind != "3"
    ]
    if orphans:
        line, code = min(orphans)
        raise fail(
            line,
            _(
                "this is not the official (urzędowy) TERC file: %(count)d urban-rural gminas "
                "appear only as their town and rural parts (RODZ 4 and 5), without their "
                "gmina row (RODZ 3), the first is %(code)s. This is how the “adresowy” "
                "variant looks. Download TERC_Urzedowy from GUS eTERYT. Nothing was changed."
            )
            % {"count": len(orphans), "code": code},
        )
    urban_rural = sum(1 for unit in register.gminas.values() if unit.kind == "3")
    if len(register.gminas) >= FULL_REGISTER_GMINAS and not urban_rural:
        raise fail(
            1,
            _(
                "the file has %(count)d gminas but no urban-rural gmina (RODZ 3): it is not "
                "the official (urzędowy) TERC file. Download TERC_Urzedowy from GUS eTERYT. "
                "Nothing was changed."
            )
            % {"count": len(register.gminas)},
        )


def teryt_parse(*, path_or_file: str | os.PathLike | IO[bytes]) -> TercRegister:
    """Read and check a TERC file (CSV or ZIP) without touching the database."""
    data, name = _read_bytes(path_or_file)
    if data.startswith(b"PK") or name.lower().endswith(".zip"):
        data, name = _unzip(data, name)
    return _parse(_decode(data, name), name)


# --- Writing ------------------------------------------------------------------------------


def _sync(
    *,
    model: type[Model],
    existing: Iterable[Model],
    wanted: dict[str, dict[str, Any]],
    counts: LevelCounts,
    match_key: Callable[[str], str] = str,
    former: list | None = None,
) -> list[Model]:
    """Make the table hold `wanted` ({code: field values}); return the rows marked not current.

    Rows are matched on `match_key(code)`, so a gmina whose RODZ changed keeps its row.
    Rows missing from `wanted` are marked not current, never deleted. The diff goes into
    `counts`; (row, former code, former name, former kind) of every renamed or recoded row
    into `former`.
    """
    former = [] if former is None else former
    by_code: dict[str, Model] = {}
    by_key: dict[str, Model] = {}
    for obj in existing:
        by_code[obj.code] = obj
        # A current row wins the key over an old one with the same key.
        if obj.is_current or match_key(obj.code) not in by_key:
            by_key[match_key(obj.code)] = obj
    counts.in_file = len(wanted)
    seen: set[int] = set()
    to_create, to_update = [], []
    changed_fields: set[str] = set()
    for code, values in wanted.items():
        obj = by_code.get(code)
        if obj is None or obj.pk in seen:
            obj = by_key.get(match_key(code))
        if obj is None or obj.pk in seen:
            to_create.append(model(code=code, is_current=True, **values))
            continue
        seen.add(obj.pk)
        changed = {
            name: value
            for name, value in {"code": code, "is_current": True, **values}.items()
            if getattr(obj, name) != value
        }
        if not changed:
            counts.unchanged += 1
            continue
        if "code" in changed:
            counts.changed_kind.append(f"{obj.code} → {code} {values['name']}")
        if "name" in changed:
            counts.renamed.append(f"{code} {obj.name} → {values['name']}")
        if "code" in changed or "name" in changed:
            former.append((obj, obj.code, obj.name, getattr(obj, "kind", "")))
        for name, value in changed.items():
            setattr(obj, name, value)
        changed_fields.update(changed)
        to_update.append(obj)
    gone = [o for o in by_code.values() if o.pk not in seen and o.is_current]
    counts.new = [f"{obj.code} {obj.name}" for obj in to_create]
    counts.retired = [f"{obj.code} {obj.name}" for obj in gone]
    for obj in gone:
        obj.is_current = False
    # Only the fields that changed: bulk_update's CASE per row and field is what costs.
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields), batch_size=500)
    if gone:
        model.objects.bulk_update(gone, ["is_current"], batch_size=500)
    model.objects.bulk_create(to_create, batch_size=500)
    counts.created = len(to_create)
    counts.updated = len(to_update)
    counts.marked_not_current = len(gone)
    return gone


def _write(register: TercRegister) -> TerytImportResult:
    result = TerytImportResult(stan_na=register.stan_na, skipped_parts=register.skipped_parts)
    _sync(
        model=Voivodeship,
        existing=Voivodeship.objects.all(),
        wanted={code: {"name": u.name} for code, u in register.voivodeships.items()},
        counts=result.voivodeships,
    )
    voivodeship_ids = dict(Voivodeship.objects.values_list("code", "pk"))
    _sync(
        model=Powiat,
        existing=Powiat.objects.all(),
        wanted={
            code: {
                "name": u.name,
                "is_city": u.is_city,
                "voivodeship_id": voivodeship_ids[code[:2]],
            }
            for code, u in register.powiats.items()
        },
        counts=result.powiats,
    )
    powiat_ids = dict(Powiat.objects.values_list("code", "pk"))
    former: list = []
    gone = _sync(
        former=former,
        model=Municipality,
        existing=Municipality.objects.all(),
        wanted={
            u.code: {"name": u.name, "kind": u.kind, "powiat_id": powiat_ids[u.code[:4]]}
            for u in register.gminas.values()
        },
        counts=result.municipalities,
        match_key=lambda code: code[:6],  # WOJ+POW+GMI: RODZ may change
    )
    # The row stays (clubs, partners and members keep pointing at it); its former code
    # and name are kept so that files still using them can be understood.
    MunicipalityChange.objects.bulk_create(
        [
            MunicipalityChange(
                municipality=obj,
                former_code=code,
                former_name=name,
                former_kind=kind,
                register_date=register.stan_na,
            )
            for obj, code, name, kind in former
        ]
    )
    in_use = (
        Municipality.objects.filter(pk__in=[m.pk for m in gone])
        .annotate(club_count=Count("clubs"))
        .filter(club_count__gt=0)
        .order_by("code")
    )
    result.not_current_in_use = [
        ngettext(
            "%(code)s %(name)s (%(count)d club)",
            "%(code)s %(name)s (%(count)d clubs)",
            m.club_count,
        )
        % {"code": m.code, "name": m.name, "count": m.club_count}
        for m in in_use
    ]
    return result


def _report(result: TerytImportResult, stdout: IO[str]) -> None:
    lines = [_("TERC register as of %(date)s.") % {"date": result.stan_na or "?"}]
    for label, counts in (
        (_("Voivodeships"), result.voivodeships),
        (_("Powiats"), result.powiats),
        (_("Gminas"), result.municipalities),
    ):
        lines.append(
            _(
                "%(label)s: %(total)d in the file; %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged, %(gone)d marked not current."
            )
            % {
                "label": label,
                "total": counts.in_file,
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "gone": counts.marked_not_current,
            }
        )
    lines.append(
        _("Skipped %(count)d parts of gminas and city districts (RODZ 4, 5, 8, 9).")
        % {"count": result.skipped_parts}
    )
    for label, entries in (
        (_("New gminas"), result.municipalities.new),
        (_("Renamed gminas"), result.municipalities.renamed),
        (_("Gminas whose kind (and code) changed"), result.municipalities.changed_kind),
        (_("Gminas leaving the register"), result.municipalities.retired),
        (_("Renamed powiats"), result.powiats.renamed),
        (_("Powiats leaving the register"), result.powiats.retired),
    ):
        if entries:
            lines.append(f"{label} ({len(entries)}):")
            lines.extend(f"  {entry}" for entry in entries[:REPORT_ITEMS])
            if len(entries) > REPORT_ITEMS:
                lines.append(
                    "  " + _("… and %(count)d more") % {"count": len(entries) - REPORT_ITEMS}
                )
    if result.dry_run:
        lines.append(_("Dry run: nothing was written."))
    if result.not_current_in_use:
        lines.append(_("Gminas no longer in the register but still used by clubs:"))
        lines.extend(f"  {entry}" for entry in result.not_current_in_use)
    for line in lines:
        stdout.write(line + "\n")


class TerytRefused(TerytFileError):
    """The file is valid but the import would retire too many gminas without --confirm."""


def teryt_import(
    *,
    path_or_file: str | os.PathLike | IO[bytes],
    stdout: IO[str] | None = None,
    dry_run: bool = False,
    confirm: bool = False,
) -> TerytImportResult:
    """Import a GUS TERC file (CSV or ZIP) into Voivodeship, Powiat and Municipality.

    Safe to run twice: units are matched by code (gminas by WOJ+POW+GMI) and updated in
    place; units missing from the file are marked not current, never deleted. A gmina
    whose kind (and so code) changed keeps its row, with its former code and name
    recorded (MunicipalityChange). The whole file is checked first and written in one
    transaction: on TerytFileError nothing changed. With `dry_run` the diff is computed
    and reported and nothing is written. Retiring more than RETIRE_WITHOUT_CONFIRM
    gminas needs `confirm`; without it TerytRefused is raised and nothing is written.
    """
    register = teryt_parse(path_or_file=path_or_file)
    with transaction.atomic():
        result = _write(register)
        result.dry_run = dry_run
        retired = len(result.municipalities.retired)
        refused = retired > RETIRE_WITHOUT_CONFIRM and not confirm
        if dry_run or refused:
            transaction.set_rollback(True)  # the diff was computed on the real tables
    if stdout is not None:
        _report(result, stdout)
    if refused and not dry_run:
        raise TerytRefused(
            _(
                "The file would retire %(count)d gminas (mark them not current); more than "
                "%(limit)d at once needs --confirm. Check the list above. Nothing was changed."
            )
            % {"count": retired, "limit": RETIRE_WITHOUT_CONFIRM}
        )
    return result
