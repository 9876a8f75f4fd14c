"""Bulk import of partners from a CSV file (the command `import_partners` and the web upload).

Every row is read and checked first, with the gminas resolved from one in-memory index of
the register; only a file without errors is written, in one transaction, with bulk
inserts and updates. A re-import matches partners on gmina + kind + `name_key`, so it
creates no duplicates and updates address and KSRG membership in place. See docs/partners.md.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clubs.models import Municipality, Partner, search_key
from kos_portal import access
from kos_portal.text import fold

COLUMNS = ("name", "kind", "teryt", "gmina", "powiat", "voivodeship", "address", "ksrg")
KINDS = tuple(Partner.Kind.values)
TRUE_WORDS = {"yes", "tak", "true"}
FALSE_WORDS = {"no", "nie", "false", ""}
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
NAME_MAX = Partner._meta.get_field("name").max_length
ADDRESS_MAX = Partner._meta.get_field("address").max_length
PREVIEW_ROWS = 200
BATCH_SIZE = 500


class PartnerImportError(Exception):
    """The file can't be read at all (encoding, header). Nothing was written."""


@dataclass
class ImportRow:
    """One valid row of the file, with its gmina resolved."""

    line: int
    name: str
    name_key: str
    kind: str
    municipality_id: int
    municipality_label: str
    address: str | None  # None: leave the stored address as it is
    is_ksrg: bool | None  # None: no ksrg column, leave as it is
    action: str = ""  # "create", "update" or "unchanged", set by the matching step


@dataclass
class PartnerImportResult:
    """What an import did, or (dry run) would do. Nothing is written when `errors` is set."""

    errors: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    dry_run: bool = False
    # The first rows that create or update something, for the web preview.
    preview: list[ImportRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Gmina:
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


class _Register:
    """The gminas of the register, loaded with one query, indexed by code and by name."""

    def __init__(self) -> None:
        self.by_code: dict[str, _Gmina] = {}
        self.by_name: dict[str, list[_Gmina]] = {}
        rows = Municipality.objects.values_list(
            "pk", "code", "name", "kind", "is_current", "powiat__name", "powiat__voivodeship__name"
        )
        for pk, code, name, kind, is_current, powiat, voivodeship in rows.iterator(2000):
            gmina = _Gmina(
                pk, code, name, kind, _powiat_key(powiat), _voivodeship_key(voivodeship), is_current
            )
            self.by_code[code] = gmina
            if is_current:  # names answer for the current register only
                self.by_name.setdefault(search_key(name), []).append(gmina)

    def resolve(self, *, teryt: str, gmina: str, powiat: str, voivodeship: str) -> _Gmina:
        """The one gmina a row means; ValidationError when there is none, or several."""
        if teryt:
            code = teryt.strip()
            if re.fullmatch(r"\d{6}", code):
                code = "0" + code  # a spreadsheet dropped the leading zero (voivodeship 02)
            if not re.fullmatch(r"\d{7}", code):
                raise ValidationError(
                    _("The TERYT code “%(code)s” is not 7 digits.") % {"code": teryt}
                )
            found = self.by_code.get(code)
            if found is None:
                raise ValidationError(_("No gmina has the TERYT code %(code)s.") % {"code": code})
            if not found.is_current:
                raise ValidationError(
                    _("The gmina with TERYT code %(code)s is no longer in the register.")
                    % {"code": code}
                )
            return found
        if not gmina.strip():
            raise ValidationError(_("Give the gmina: its TERYT code, or its name."))
        name, kind = gmina.strip(), None
        qualified = QUALIFIED_NAME.match(name)
        if qualified:
            name = qualified["name"]
            kind = QUALIFIER_KINDS[qualified["kind"].casefold()]
        candidates = self.by_name.get(search_key(name), [])
        if kind:
            candidates = [g for g in candidates if g.kind == kind]
        if powiat.strip():
            candidates = [g for g in candidates if g.powiat == _powiat_key(powiat)]
        if voivodeship.strip():
            candidates = [g for g in candidates if g.voivodeship == _voivodeship_key(voivodeship)]
        where = ", ".join(p.strip() for p in (powiat, voivodeship) if p.strip())
        shown = f"{gmina.strip()} ({where})" if where else gmina.strip()
        if not candidates:
            raise ValidationError(
                _("No gmina in the register matches “%(name)s”.") % {"name": shown}
            )
        if len(candidates) > 1:
            codes = ", ".join(sorted(g.code for g in candidates))
            raise ValidationError(
                _(
                    "“%(name)s” matches %(count)s gminas (TERYT %(codes)s): give the powiat and "
                    "voivodeship, the register's qualifier, or the TERYT code."
                )
                % {"name": shown, "count": len(candidates), "codes": codes}
            )
        return candidates[0]


def _powiat_key(name: str) -> str:
    key = search_key(name or "")
    return key.removeprefix("powiat ").strip()


def _voivodeship_key(name: str) -> str:
    key = search_key(name or "")
    return key.removeprefix("województwo ").removeprefix("woj. ").strip()


def decode_csv(data: bytes) -> str:
    """Text of the file: UTF-8 (with or without a BOM), else Windows-1250 from Polish Excel."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250")
    except UnicodeDecodeError as error:
        raise PartnerImportError(
            _("The file is neither UTF-8 nor Windows-1250 text. Save it as CSV (UTF-8).")
        ) from error


def _sniff_delimiter(header_line: str) -> str:
    """Polish Excel separates with `;`, everything else with `,`; the header tells which."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _read_rows(text: str) -> Iterable[tuple[int, dict[str, str]]]:
    """(line number, row as column -> value) for every non-empty row after the header."""
    if not text.strip():
        raise PartnerImportError(_("The file is empty."))
    first_line = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line))
    header = [search_key(cell) for cell in next(reader)]
    named = [column for column in header if column]
    unknown = [column for column in named if column not in COLUMNS]
    if unknown:
        raise PartnerImportError(
            _("Line 1: unknown columns %(unknown)s. The columns are: %(columns)s.")
            % {"unknown": ", ".join(unknown), "columns": ", ".join(COLUMNS)}
        )
    repeated = sorted({column for column in named if named.count(column) > 1})
    if repeated:
        raise PartnerImportError(
            _("Line 1: the columns %(columns)s appear more than once.")
            % {"columns": ", ".join(repeated)}
        )
    missing = [c for c in ("name", "kind") if c not in named]
    if not {"teryt", "gmina"} & set(named):
        missing.append("teryt / gmina")
    if missing:
        raise PartnerImportError(
            _("Line 1: the header lacks the columns %(columns)s.") % {"columns": ", ".join(missing)}
        )
    last_line = reader.line_num
    for cells in reader:
        line = last_line + 1  # a quoted value may span lines: report where the row starts
        last_line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # spreadsheets leave empty rows at the end
        row = {column: "" for column in named}
        for column, cell in zip(header, cells, strict=False):
            if column:
                row[column] = cell.strip()
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            row["__extra__"] = "1"
        yield line, row


def _parse_ksrg(value: str) -> bool:
    word = value.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(
        _("KSRG “%(value)s” is not one of yes/no, tak/nie, true/false.") % {"value": value}
    )


def _parse(
    text: str, *, user, register: _Register
) -> tuple[list[ImportRow], list[tuple[int, str]], int]:
    """Valid rows, errors per line, and the number of data rows."""
    allowed: set[int] | None = None
    if user is not None and not access.is_national(user):
        allowed = set(
            Municipality.objects.visible_to(
                user, access.RULES["clubs.import_partners"]
            ).values_list("pk", flat=True)
        )
    rows: list[ImportRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[tuple[int, str, str], int] = {}
    count = 0
    for line, row in _read_rows(text):
        count += 1
        problems: list[str] = []
        if row.get("__extra__"):
            problems.append(_("The row has more cells than the header has columns."))
        name = " ".join(row.get("name", "").split())
        if not name:
            problems.append(_("The name is empty."))
        elif len(name) > NAME_MAX:
            problems.append(_("The name is longer than %(max)s characters.") % {"max": NAME_MAX})
        kind = row.get("kind", "").casefold()
        if kind not in KINDS:
            problems.append(
                _("Kind “%(value)s” is not one of %(kinds)s.")
                % {"value": row.get("kind", ""), "kinds": ", ".join(KINDS)}
            )
        is_ksrg: bool | None = None
        if "ksrg" in row:
            try:
                is_ksrg = _parse_ksrg(row["ksrg"])
            except ValidationError as error:
                problems.extend(error.messages)
        address: str | None = row.get("address") or None  # empty: keep what is stored
        if address and len(address) > ADDRESS_MAX:
            problems.append(
                _("The address is longer than %(max)s characters.") % {"max": ADDRESS_MAX}
            )
        gmina = None
        try:
            gmina = register.resolve(
                teryt=row.get("teryt", ""),
                gmina=row.get("gmina", ""),
                powiat=row.get("powiat", ""),
                voivodeship=row.get("voivodeship", ""),
            )
        except ValidationError as error:
            problems.extend(error.messages)
        if gmina is not None and allowed is not None and gmina.pk not in allowed:
            problems.append(
                _("You may not import partners into the gmina %(gmina)s.") % {"gmina": gmina.label}
            )
        if not problems and gmina is not None:
            key = (gmina.pk, kind, search_key(name))
            if key in seen:
                problems.append(
                    _("The same partner (gmina, kind and name) is already on line %(line)s.")
                    % {"line": seen[key]}
                )
            else:
                seen[key] = line
        if problems:
            errors.extend((line, problem) for problem in problems)
            continue
        rows.append(
            ImportRow(
                line=line,
                name=name,
                name_key=search_key(name),
                kind=kind,
                municipality_id=gmina.pk,
                municipality_label=gmina.label,
                address=address,
                is_ksrg=is_ksrg,
            )
        )
    if count == 0:
        raise PartnerImportError(_("The file has a header but no rows."))
    return rows, errors, count


def _existing(rows: list[ImportRow]) -> dict[tuple[int, str, str], Partner]:
    """The stored partners the rows may match, read in a few queries."""
    gmina_ids = sorted({row.municipality_id for row in rows})
    found: dict[tuple[int, str, str], Partner] = {}
    only = (
        "pk",
        "municipality_id",
        "kind",
        "name",
        "name_key",
        "address",
        "is_ksrg",
        "contact_person",
    )
    for start in range(0, len(gmina_ids), BATCH_SIZE):
        chunk = gmina_ids[start : start + BATCH_SIZE]
        for partner in Partner.objects.filter(municipality_id__in=chunk).only(*only):
            found[(partner.municipality_id, partner.kind, partner.name_key)] = partner
    return found


def partner_import(*, data: bytes, user, dry_run: bool = False) -> PartnerImportResult:
    """Import partners from CSV bytes, all or nothing, into the gminas `user` may import to.

    `user` None is operations work from the shell (`manage.py import_partners`): the whole
    country.
    Returns the result with errors per line (and nothing written) when any row is wrong.
    With `dry_run`, only says what would be created and updated. Safe to run twice: the
    second run finds every partner and reports it unchanged. Raises PartnerImportError
    when the file can't be read at all.
    """
    if user is not None and not access.can(user, "clubs.import_partners"):
        raise ValidationError(_("You may not import partners."))
    text = decode_csv(data)
    register = _Register()
    rows, errors, count = _parse(text, user=user, register=register)
    result = PartnerImportResult(errors=errors, rows=count, dry_run=dry_run)
    if errors:
        return result
    existing = _existing(rows)
    to_create: list[Partner] = []
    to_update: list[Partner] = []
    for row in rows:
        partner = existing.get((row.municipality_id, row.kind, row.name_key))
        if partner is None:
            row.action = "create"
            to_create.append(
                Partner(
                    name=row.name,
                    name_key=row.name_key,
                    kind=row.kind,
                    municipality_id=row.municipality_id,
                    address=row.address or "",
                    is_ksrg=bool(row.is_ksrg),
                    search_text=fold(row.name, row.address or ""),
                )
            )
            continue
        changed = False
        if row.address is not None and row.address != partner.address:
            partner.address = row.address
            changed = True
        if row.is_ksrg is not None and row.is_ksrg != partner.is_ksrg:
            partner.is_ksrg = row.is_ksrg
            changed = True
        row.action = "update" if changed else "unchanged"
        if changed:
            to_update.append(partner)
    result.created, result.updated = len(to_create), len(to_update)
    result.unchanged = len(rows) - result.created - result.updated
    result.preview = [row for row in rows if row.action != "unchanged"][:PREVIEW_ROWS]
    if dry_run:
        return result
    _write(to_create, to_update)
    return result


@transaction.atomic
def _write(to_create: list[Partner], to_update: list[Partner]) -> None:
    """Insert and update in one transaction; a clash with a concurrent import changes nothing."""
    for partner in to_update:  # bulk_update skips save(), which keeps search_text current
        partner.search_text = fold(partner.name, partner.address, partner.contact_person)
    try:
        with transaction.atomic():
            Partner.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
            Partner.objects.bulk_update(
                to_update, ["address", "is_ksrg", "search_text"], batch_size=BATCH_SIZE
            )
    except IntegrityError as error:
        raise ValidationError(
            _("Another import added the same partners at the same time. Run the import again.")
        ) from error


# --- Keeping the uploaded file between the dry run and the confirmation ----------------

UPLOAD_SALT = "clubs.partner-import"
UPLOAD_MAX_AGE = 3600  # seconds between the dry run and the confirmation


def _upload_storage():
    from django.core.files.storage import FileSystemStorage

    # Outside MEDIA_ROOT: nothing uploaded here is ever served.
    location = getattr(settings, "PARTNER_IMPORT_DIR", None) or os.path.join(
        tempfile.gettempdir(), "kos-partner-imports"
    )
    return FileSystemStorage(location=location)


def import_upload_store(*, data: bytes, user) -> str:
    """Keep an uploaded file for the confirmation step; returns a signed token naming it.

    The token is bound to the user and expires after an hour; the browser never sends a
    path. Files left by abandoned imports are removed after a day.
    """
    storage = _upload_storage()
    _remove_stale_uploads(storage)
    name = storage.save(f"{secrets.token_urlsafe(24)}.csv", ContentFile(data))
    return signing.dumps({"name": name, "user": user.pk}, salt=UPLOAD_SALT)


def import_upload_load(*, token: str, user) -> bytes:
    """The file a token from `import_upload_store` names; ValidationError if it is gone."""
    try:
        value = signing.loads(token, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature as error:
        raise ValidationError(_("This import has expired. Upload the file again.")) from error
    name = value.get("name", "")
    if value.get("user") != user.pk or not re.fullmatch(r"[A-Za-z0-9_-]+\.csv", name):
        raise ValidationError(_("This import has expired. Upload the file again."))
    try:
        with _upload_storage().open(name, "rb") as upload:
            return upload.read()
    except FileNotFoundError as error:
        raise ValidationError(_("This import has expired. Upload the file again.")) from error


def import_upload_discard(*, token: str) -> None:
    """Remove the kept file once the import is done. Safe to run twice."""
    try:
        name = signing.loads(token, salt=UPLOAD_SALT).get("name", "")
    except signing.BadSignature:
        return
    if re.fullmatch(r"[A-Za-z0-9_-]+\.csv", name):
        _upload_storage().delete(name)


def _remove_stale_uploads(storage) -> None:
    cutoff = timezone.now() - timedelta(days=1)
    try:
        _dirs, files = storage.listdir("")
    except FileNotFoundError:
        return
    for name in files:
        try:
            if storage.get_modified_time(name) < cutoff:
                storage.delete(name)
        except FileNotFoundError:
            continue  # another request removed it
