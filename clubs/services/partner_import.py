"""Bulk import of partners from the public registers' exports or any CSV/XLSX file (the
command `import_partners` and the web upload).

The file is read once (kos_portal.uploads). Its layout comes from its header: the OSP
register and RSPO exports are recognised and mapped with no questions, our own columns
too; any other file is mapped column by column first (clubs.services.partner_formats).
Every row is checked, with the gminas resolved from one in-memory index of the register
(clubs.gmina_index); only a file without errors is written, in one transaction, with bulk
inserts and updates. A partner is known by its register number (kind + `registry_ref`)
when the file gives one, else by gmina + kind + `name_key`, so a re-import creates no
duplicates and updates in place. See docs/partners.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clubs.gmina_index import GminaIndex
from clubs.models import Municipality, Partner, search_key
from clubs.services import partner_formats as formats
from kos_portal import access, uploads
from kos_portal.text import fold
from kos_portal.uploads import Table, TableError, table_read

COLUMNS = formats.OWN_COLUMNS
KINDS = tuple(Partner.Kind.values)
TRUE_WORDS = {"yes", "tak", "true", "t"}
FALSE_WORDS = {"no", "nie", "false", "n", ""}
NAME_MAX = Partner._meta.get_field("name").max_length
ADDRESS_MAX = Partner._meta.get_field("address").max_length
REF_MAX = Partner._meta.get_field("registry_ref").max_length
DETAIL_MAX = Partner._meta.get_field("detail").max_length
PREVIEW_ROWS = 200
MAX_ROWS = 30_000  # the national OSP register has about 16,000 units; the form says so
BATCH_SIZE = 1000
PROGRESS_EVERY = 1000  # rows between two progress reports
# Poland lies within these (WGS84); a point outside is a swapped or projected coordinate.
LATITUDES = (Decimal("48.9"), Decimal("55.0"))
LONGITUDES = (Decimal("14.0"), Decimal("24.2"))
UPDATED_FIELDS = [
    "name",
    "name_key",
    "municipality_id",
    "address",
    "is_ksrg",
    "registry_ref",
    "detail",
    "latitude",
    "longitude",
    "search_text",
]


class PartnerImportError(Exception):
    """The file can't be read at all (encoding, header). Nothing was written."""


class MappingNeeded(PartnerImportError):
    """The file is readable but its columns are not a known layout: map them first."""


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
    ref: str = ""
    detail: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    action: str = ""  # "create", "update" or "unchanged", set by the matching step


@dataclass
class PartnerImportResult:
    """What an import did, or (dry run) would do. Nothing is written when `errors` is set."""

    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    skipped_out_of_scope: int = 0
    layout: str = ""
    dry_run: bool = False
    # The first rows that create or update something, for the web preview.
    preview: list[ImportRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict:
        """What a background job stores for the page (the first 500 errors and warnings)."""
        return {
            "errors": self.errors[:500],
            "error_count": len(self.errors),
            "warnings": self.warnings[:500],
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rows": self.rows,
            "skipped_out_of_scope": self.skipped_out_of_scope,
            "layout": self.layout,
            "dry_run": self.dry_run,
            "preview": [
                {
                    "line": row.line,
                    "name": row.name,
                    "municipality_label": row.municipality_label,
                    "action": row.action,
                }
                for row in self.preview
            ],
        }


def partner_file_read(data: bytes) -> Table:
    """Read a partner file (CSV in any usual encoding and separator, or XLSX) with the one
    tabular reader; PartnerImportError when it can't be read or is over the caps."""
    try:
        return table_read(data, max_rows=MAX_ROWS)
    except TableError as error:
        raise PartnerImportError(str(error)) from error


def _own_header_problem(header: list[str]) -> str:
    """Why a header is not our own layout, in the words the command has always used."""
    named = [search_key(cell) for cell in header if search_key(cell)]
    unknown = [c for c in named if c not in formats.OWN_COLUMNS + formats.OWN_EXTRA]
    if unknown:
        return _("Line 1: unknown columns %(unknown)s. The columns are: %(columns)s.") % {
            "unknown": ", ".join(unknown),
            "columns": ", ".join(formats.OWN_COLUMNS + formats.OWN_EXTRA),
        }
    repeated = sorted({column for column in named if named.count(column) > 1})
    if repeated:
        return _("Line 1: the columns %(columns)s appear more than once.") % {
            "columns": ", ".join(repeated)
        }
    missing = [c for c in ("name", "kind") if c not in named]
    if not {"teryt", "gmina"} & set(named):
        missing.append("teryt / gmina")
    return _("Line 1: the header lacks the columns %(columns)s.") % {"columns": ", ".join(missing)}


def partner_layout(
    table: Table, mapping: dict[str, int] | None = None, default_kind: str = ""
) -> formats.Layout:
    """The layout to read `table` with: the chosen `mapping`, else the one its header is.
    MappingNeeded when the header is not a known layout and no mapping was chosen."""
    if mapping is not None:
        used = [index for index in mapping.values() if index is not None]
        problems = []
        if mapping.get("name") is None:
            problems.append(_("Choose the column with the partner's name."))
        if mapping.get("kind") is None and default_kind not in KINDS:
            problems.append(_("Choose the column with the kind, or one kind for every row."))
        if mapping.get("teryt") is None and mapping.get("gmina") is None:
            problems.append(_("Choose the column with the gmina's TERYT code or name."))
        if any(not 0 <= index < len(table.header) for index in used):
            problems.append(_("The mapping names a column the file does not have."))
        if len(used) != len(set(used)):
            problems.append(_("Each column can be used for one field only."))
        if problems:
            raise PartnerImportError(" ".join(problems))
        layout = formats.mapped_layout(table.header, mapping)
        layout.default_kind = default_kind
        return layout
    layout = formats.layout_for(table.header)
    if layout is None:
        raise MappingNeeded(_own_header_problem(table.header))
    return layout


def _parse_ksrg(value: str) -> bool:
    word = value.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(
        _("KSRG “%(value)s” is not one of yes/no, tak/nie, true/false.") % {"value": value}
    )


def _parse_coordinate(value: str, bounds: tuple[Decimal, Decimal], what: str) -> Decimal | None:
    if not value.strip():
        return None
    try:
        number = Decimal(value.strip().replace(",", "."))
    except InvalidOperation as error:
        raise ValidationError(
            _("The %(what)s “%(value)s” is not a number.") % {"what": what, "value": value}
        ) from error
    if not bounds[0] <= number <= bounds[1]:
        raise ValidationError(
            _("The %(what)s %(value)s is outside Poland (WGS84 degrees are expected).")
            % {"what": what, "value": value}
        )
    return number.quantize(Decimal("0.000001"))


def _allowed_gminas(user) -> set[int] | None:
    if user is None or access.is_national(user):
        return None
    return set(
        Municipality.objects.visible_to(user, access.RULES["clubs.import_partners"]).values_list(
            "pk", flat=True
        )
    )


def _check_row(line: int, values: formats.PartnerFields, index: GminaIndex, result):
    """(ImportRow or None, problems) for one row; warnings go to `result`."""
    problems: list[str] = []
    name = values.name
    if not name:
        problems.append(_("The name is empty."))
    elif len(name) > NAME_MAX:
        problems.append(_("The name is longer than %(max)s characters.") % {"max": NAME_MAX})
    kind = values.kind
    if kind not in KINDS:
        problems.append(
            _("Kind “%(value)s” is not one of %(kinds)s.")
            % {"value": values.kind, "kinds": ", ".join(KINDS)}
        )
    is_ksrg = None
    if values.ksrg is not None:
        try:
            is_ksrg = _parse_ksrg(values.ksrg)
        except ValidationError as error:
            problems.extend(error.messages)
    if values.address and len(values.address) > ADDRESS_MAX:
        problems.append(_("The address is longer than %(max)s characters.") % {"max": ADDRESS_MAX})
    if len(values.ref) > REF_MAX:
        problems.append(
            _("The register number is longer than %(max)s characters.") % {"max": REF_MAX}
        )
    detail = values.detail[:DETAIL_MAX] if values.detail is not None else None
    latitude = longitude = None
    try:
        latitude = _parse_coordinate(values.lat, LATITUDES, _("latitude"))
        longitude = _parse_coordinate(values.lon, LONGITUDES, _("longitude"))
    except ValidationError as error:
        problems.extend(error.messages)
    if (latitude is None) != (longitude is None):
        problems.append(_("Give both the latitude and the longitude, or neither."))
    resolved = None
    try:
        if values.teryt:
            resolved = index.resolve_code(values.teryt)
        else:
            resolved = index.resolve_name(
                gmina=values.gmina,
                powiat=values.powiat,
                voivodeship=values.voivodeship,
                locality=values.locality,
            )
    except ValidationError as error:
        problems.extend(error.messages)
    if problems or resolved is None:
        return None, problems
    if resolved.warning:
        result.warnings.append((line, resolved.warning))
    row = ImportRow(
        line=line,
        name=name,
        name_key=search_key(name),
        kind=kind,
        municipality_id=resolved.gmina.pk,
        municipality_label=resolved.gmina.label,
        address=values.address,
        is_ksrg=is_ksrg,
        ref=values.ref,
        detail=detail,
        latitude=latitude,
        longitude=longitude,
    )
    return row, []


def _parse(
    table: Table,
    layout: formats.Layout,
    *,
    allowed: set[int] | None,
    only_my_gminas: bool,
    result: PartnerImportResult,
    progress: Callable[[int, int], None] | None,
) -> list[ImportRow]:
    """The valid rows; errors, warnings and skipped rows go to `result`."""
    index = GminaIndex()
    rows: list[ImportRow] = []
    seen_keys: dict[tuple[int, str, str], int] = {}
    seen_refs: dict[tuple[str, str], int] = {}
    default_kind = getattr(layout, "default_kind", "")
    total = len(table.rows)
    for number, (line, cells) in enumerate(table.rows, start=1):
        if progress and number % PROGRESS_EVERY == 0:
            progress(number, total)
        values = layout.fields(cells)
        if not values.kind and default_kind:
            values.kind = default_kind
        if len(cells) > len(table.header) and any(cells[len(table.header) :]):
            result.errors.append((line, _("The row has more cells than the header has columns.")))
            continue
        row, problems = _check_row(line, values, index, result)
        if row is not None and allowed is not None and row.municipality_id not in allowed:
            if only_my_gminas:
                result.skipped_out_of_scope += 1
                continue
            problems = [
                _("You may not import partners into the gmina %(gmina)s.")
                % {"gmina": row.municipality_label}
            ]
        if row is not None and not problems:
            if row.ref:
                other = seen_refs.setdefault((row.kind, row.ref), line)
                if other != line:
                    problems.append(
                        _("The register number %(ref)s is already on line %(line)s.")
                        % {"ref": row.ref, "line": other}
                    )
            else:
                key = (row.municipality_id, row.kind, row.name_key)
                other = seen_keys.setdefault(key, line)
                if other != line:
                    problems.append(
                        _("The same partner (gmina, kind and name) is already on line %(line)s.")
                        % {"line": other}
                    )
        if problems:
            result.errors.extend((line, problem) for problem in problems)
            continue
        rows.append(row)
    result.rows = total
    return rows


def _existing(rows: list[ImportRow]) -> tuple[dict, dict]:
    """The stored partners the rows may match: by (kind, register number) and by (gmina,
    kind, name key) among partners without a number; a few queries in all."""
    only = ["pk", "kind", "contact_person", "municipality", "registry_ref"]
    only += ["name", "name_key", "address", "is_ksrg", "detail", "latitude", "longitude"]
    by_ref: dict[tuple[str, str], Partner] = {}
    for kind in sorted({row.kind for row in rows if row.ref}):
        refs = sorted({row.ref for row in rows if row.ref and row.kind == kind})
        for start in range(0, len(refs), BATCH_SIZE):
            chunk = refs[start : start + BATCH_SIZE]
            for partner in Partner.objects.filter(kind=kind, registry_ref__in=chunk).only(*only):
                by_ref[(kind, partner.registry_ref)] = partner
    by_key: dict[tuple[int, str, str], Partner] = {}
    gmina_ids = sorted({row.municipality_id for row in rows})
    for start in range(0, len(gmina_ids), BATCH_SIZE):
        chunk = gmina_ids[start : start + BATCH_SIZE]
        partners = Partner.objects.filter(municipality_id__in=chunk, registry_ref="").only(*only)
        for partner in partners:
            by_key[(partner.municipality_id, partner.kind, partner.name_key)] = partner
    return by_ref, by_key


def _changes(partner: Partner, row: ImportRow) -> bool:
    """Copy the row's values onto a stored partner; whether anything changed."""
    wanted = {
        "name": row.name,
        "name_key": row.name_key,
        "municipality_id": row.municipality_id,
        "registry_ref": row.ref or partner.registry_ref,
    }
    if row.address is not None:
        wanted["address"] = row.address
    if row.is_ksrg is not None:
        wanted["is_ksrg"] = row.is_ksrg
    if row.detail is not None:
        wanted["detail"] = row.detail
    if row.latitude is not None:
        wanted["latitude"], wanted["longitude"] = row.latitude, row.longitude
    changed = False
    for name, value in wanted.items():
        if getattr(partner, name) != value:
            setattr(partner, name, value)
            changed = True
    return changed


def partner_import(
    *,
    user,
    data: bytes | None = None,
    table: Table | None = None,
    mapping: dict[str, int] | None = None,
    default_kind: str = "",
    only_my_gminas: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PartnerImportResult:
    """Import partners from a file (`data`, or `table` parsed at upload), all or nothing,
    into the gminas `user` may import to.

    `user` None is operations work from the shell (`manage.py import_partners`): the whole
    country. With `only_my_gminas`, rows in gminas outside the user's scope are counted and
    skipped instead of being errors (a coordinator importing a national file). `mapping`
    (field -> column index) is the mapping step's choice for a file of unknown layout.
    Returns the result with errors per line (and nothing written) when any row is wrong.
    With `dry_run`, only says what would be created and updated. Safe to run twice: the
    second run finds every partner and reports it unchanged. Raises PartnerImportError
    when the file can't be read at all, MappingNeeded when its columns must be chosen.
    """
    if user is not None and not access.can(user, "clubs.import_partners"):
        raise ValidationError(_("You may not import partners."))
    table = table if table is not None else partner_file_read(data or b"")
    layout = partner_layout(table, mapping, default_kind)
    result = PartnerImportResult(dry_run=dry_run, layout=str(layout.label))
    allowed = _allowed_gminas(user)
    rows = _parse(
        table,
        layout,
        allowed=allowed,
        only_my_gminas=only_my_gminas,
        result=result,
        progress=progress,
    )
    if not rows and not result.errors and not result.skipped_out_of_scope:
        raise PartnerImportError(_("The file has a header but no rows."))
    if result.errors:
        return result
    by_ref, by_key = _existing(rows)
    # A register number adopts a partner entered by hand only when one row claims it.
    claims: dict[tuple[int, str, str], int] = {}
    for row in rows:
        key = (row.municipality_id, row.kind, row.name_key)
        claims[key] = claims.get(key, 0) + 1
    to_create: list[Partner] = []
    to_update: list[Partner] = []
    for row in rows:
        key = (row.municipality_id, row.kind, row.name_key)
        partner = by_ref.get((row.kind, row.ref)) if row.ref else None
        if partner is None and (not row.ref or claims[key] == 1):
            partner = by_key.pop(key, None)
        if partner is not None and allowed is not None and partner.municipality_id not in allowed:
            result.errors.append(
                (
                    row.line,
                    _(
                        "The register number %(ref)s belongs to a partner in a gmina outside your "
                        "scope."
                    )
                    % {"ref": row.ref},
                )
            )
            continue
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
                    registry_ref=row.ref,
                    detail=row.detail or "",
                    latitude=row.latitude,
                    longitude=row.longitude,
                    search_text=fold(row.name, row.address or ""),
                )
            )
            continue
        row.action = "update" if _changes(partner, row) else "unchanged"
        if row.action == "update":
            to_update.append(partner)
    if result.errors:
        return result
    result.created, result.updated = len(to_create), len(to_update)
    result.unchanged = len(rows) - result.created - result.updated
    result.preview = [row for row in rows if row.action != "unchanged"][:PREVIEW_ROWS]
    if dry_run:
        return result
    _write(to_create, to_update)
    if progress:
        progress(len(table.rows), len(table.rows))
    return result


@transaction.atomic
def _write(to_create: list[Partner], to_update: list[Partner]) -> None:
    """Insert and update in one transaction; a clash with a concurrent import changes nothing."""
    for partner in to_update:  # bulk_update skips save(), which keeps search_text current
        partner.search_text = fold(partner.name, partner.address, partner.contact_person)
    try:
        with transaction.atomic():
            Partner.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
            Partner.objects.bulk_update(to_update, UPDATED_FIELDS, batch_size=BATCH_SIZE)
    except IntegrityError as error:
        raise ValidationError(
            _("Another import added the same partners at the same time. Run the import again.")
        ) from error


# --- Keeping the uploaded file between the dry run and the confirmation ----------------

UPLOAD_SALT = "clubs.partner-import"


def import_upload_store(*, user, data: bytes | None = None, table: Table | None = None) -> str:
    """Keep an uploaded file, parsed, for the confirmation step; returns a signed token.

    The token is bound to the user and expires after a day; the browser never sends a
    path. Files left by abandoned imports are removed by the daily cleanup.
    """
    table = table if table is not None else partner_file_read(data or b"")
    return uploads.stage_save(table=table, purpose=UPLOAD_SALT, user=user)


def import_upload_load(*, token: str, user) -> Table:
    """The table a token from `import_upload_store` names; ValidationError if it is gone."""
    try:
        return uploads.stage_load(token=token, purpose=UPLOAD_SALT, user=user)
    except uploads.StagedUploadGone as error:
        raise ValidationError(_("This import has expired. Upload the file again.")) from error


def import_upload_discard(*, token: str, user) -> None:
    """Remove the kept file once the import is done. Safe to run twice."""
    uploads.stage_discard(token=token, purpose=UPLOAD_SALT, user=user)
