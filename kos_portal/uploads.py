"""Uploads: one check for every uploaded document, one reader for tabular files (CSV and
XLSX) and one store that keeps a parsed file between the steps of an import.

Document check: extension, size and first bytes.

The extension alone is the sender's claim; the first bytes show what the file is, so an
HTML page renamed to .pdf never reaches a coordinator or a club.
"""

import csv
import io
import json
import re
import secrets
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from kos_portal.models import ImportJob

PDF = (b"%PDF-",)
ZIP = (b"PK\x03\x04",)  # DOCX, XLSX, ODT and ODS are ZIP archives
JPEG = (b"\xff\xd8\xff",)
PNG = (b"\x89PNG\r\n\x1a\n",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # the old .doc


def upload_check(
    file,
    *,
    signatures: dict[str, tuple[bytes, ...]],
    max_bytes: int,
    type_message: str,
    content_message: str | None = None,
) -> str:
    """Refuse a file whose extension is not in `signatures`, that is empty or larger than
    `max_bytes`, or whose first bytes don't match its extension; return the lower-case
    extension without the dot. `type_message` may use %(name)s (the file's name) and
    `content_message` %(extension)s and %(type)s (e.g. "pdf" and "PDF")."""
    name = Path(file.name or "").name
    extension = Path(name).suffix.lower().lstrip(".")
    if extension not in signatures:
        raise ValidationError(type_message % {"name": name}, code="file_type")
    if file.size == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
    if file.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{file.size / 1024 / 1024:.1f}", "limit": max_bytes // 1024 // 1024},
            code="file_size",
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if not head.startswith(signatures[extension]):
        message = content_message or _("The file's contents are not a .%(extension)s file.")
        raise ValidationError(
            message % {"extension": extension, "type": extension.upper()}, code="file_content"
        )
    return extension


# --- Tabular files: one reader for every CSV/XLSX import ---------------------------------
# Read once, at upload; the later steps (mapping, dry run, confirmation, the background
# task) load the parsed table from the staged-upload store below and never decode again.

MAX_ROWS = 10_000  # rows per file unless an importer says otherwise (the roster, the forms)
MAX_CELL_CHARS = 2_000  # no register or roster has longer values; a longer one is a mistake
MAX_COLUMNS = 200
# A 110 KB XLSX can unpack to hundreds of MB of XML: refuse what unpacks larger than this.
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
SEPARATORS = (",", ";", "\t")


class TableError(Exception):
    """The file can't be read as a table (format, encoding, caps). Nothing was written."""


@dataclass
class Table:
    """A CSV or XLSX file read into text cells: the header and (line number, cells) per row.

    Cells are stripped of surrounding spaces; empty rows and empty columns at the right of
    the header are dropped. `line` is where the row starts in the file (a quoted value may
    span lines), or the spreadsheet row.
    """

    header: list[str]
    rows: list[tuple[int, list[str]]]
    kind: str  # "csv" or "xlsx"
    separator: str = ""
    encoding: str = ""

    def to_json(self) -> dict:
        return {
            "header": self.header,
            "rows": [[line, cells] for line, cells in self.rows],
            "kind": self.kind,
            "separator": self.separator,
            "encoding": self.encoding,
        }

    @classmethod
    def from_json(cls, value: dict) -> "Table":
        return cls(
            header=list(value["header"]),
            rows=[(int(line), list(cells)) for line, cells in value["rows"]],
            kind=value["kind"],
            separator=value.get("separator", ""),
            encoding=value.get("encoding", ""),
        )


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without a BOM, else Windows-1250 (Polish Excel)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250"), "cp1250"
    except UnicodeDecodeError as error:
        raise TableError(
            _("The file is neither UTF-8 nor Windows-1250 text. Save it as CSV (UTF-8) or XLSX.")
        ) from error


def sniff_separator(first_line: str) -> str:
    """`;` (Polish Excel, RSPO, TERC), tab or `,`: the one the header uses most, outside
    quotes. A header of one column is comma-separated."""
    outside, quoted = [], False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    text = "".join(outside)
    counts = {separator: text.count(separator) for separator in SEPARATORS}
    best = max(SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _too_many_rows(max_rows: int) -> TableError:
    return TableError(
        _("The file has more than %(max)s rows. Split it into files of at most %(max)s rows.")
        % {"max": f"{max_rows:,}".replace(",", "\u00a0")}
    )


def _check_cells(line: int, cells: list[str], max_cell: int) -> None:
    if len(cells) > MAX_COLUMNS:
        raise TableError(
            _("Line %(line)s has more than %(max)s columns.") % {"line": line, "max": MAX_COLUMNS}
        )
    for cell in cells:
        if len(cell) > max_cell:
            raise TableError(
                _("Line %(line)s: a value is longer than %(max)s characters.")
                % {"line": line, "max": max_cell}
            )


def _read_csv(data: bytes, max_rows: int, max_cell: int) -> Table:
    text, encoding = decode_text(data)
    if not text.strip():
        raise TableError(_("The file is empty."))
    separator = sniff_separator(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] = []
    last_line = 0
    try:
        for cells in reader:
            line = last_line + 1  # a quoted value may span lines: report where the row starts
            last_line = reader.line_num
            cells = [cell.strip() for cell in cells]
            _check_cells(line, cells, max_cell)
            if line == 1:
                header = cells
            elif any(cells):
                if len(rows) == max_rows:
                    raise _too_many_rows(max_rows)  # stop here: the rest is never read
                rows.append((line, cells))
    except csv.Error as error:
        raise TableError(
            _("Line %(line)s: the CSV can't be read (%(error)s).")
            % {"line": last_line + 1, "error": error}
        ) from error
    return Table(header=header, rows=rows, kind="csv", separator=separator, encoding=encoding)


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers and codes typed as numbers
    return str(value).strip()


def _count_sheet_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_rows: int) -> None:
    """Refuse a sheet with far more rows than the cap by counting its row tags, before
    openpyxl reads it: without a dimension element openpyxl scans the whole sheet first
    (10 s for 200,000 rows). Formatted empty rows count too, hence the margin; the exact
    cap is applied to the rows with values."""
    limit, count, tail = 2 * max_rows + 100, 0, b""
    with archive.open(info) as sheet:
        while chunk := sheet.read(1 << 20):
            text = tail + chunk
            count += text.count(b"<row ") + text.count(b":row ") - tail.count(b"<row ")
            count -= tail.count(b":row ")
            tail = chunk[-8:]
            if count > limit:
                raise _too_many_rows(max_rows)


def _read_xlsx(data: bytes, max_rows: int, max_cell: int) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise _too_many_rows(max_rows)
            for info in archive.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    _count_sheet_rows(archive, info, max_rows)
    except (zipfile.BadZipFile, OSError, ValueError, zlib.error) as error:
        raise TableError(_("The file is not a readable XLSX workbook.")) from error
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise TableError(_("The file is not a readable XLSX workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        # The sheet's own dimension answers before a single row is read, when it is there.
        if (sheet.max_row or 0) > max_rows + 1 and sheet.max_row != 1048576:
            raise _too_many_rows(max_rows)
        lines = sheet.iter_rows(values_only=True)
        header = [_xlsx_cell(cell) for cell in next(lines, ())]
        _check_cells(1, header, max_cell)
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(lines, start=2):
            cells = [_xlsx_cell(cell) for cell in values]
            if not any(cells):
                continue
            _check_cells(number, cells, max_cell)
            if len(rows) == max_rows:
                raise _too_many_rows(max_rows)
            rows.append((number, cells))
    finally:
        workbook.close()
    return Table(header=header, rows=rows, kind="xlsx")


def table_read(data: bytes, *, max_rows: int = MAX_ROWS, max_cell: int = MAX_CELL_CHARS) -> Table:
    """Read a CSV (UTF-8 with or without BOM, or cp1250; `,` `;` or tab; CRLF or LF; quoted
    values with line breaks) or an XLSX file (the first sheet); the content decides which.

    Refuses, with TableError and before reading the rest, a file of more than `max_rows`
    rows or with a value longer than `max_cell` characters. Raises TableError too when
    the file has no header or no rows.
    """
    reader = _read_xlsx if data[:4] == XLSX_MAGIC else _read_csv
    table = reader(data, max_rows, max_cell)
    while table.header and not table.header[-1]:
        table.header.pop()  # spreadsheets leave empty columns at the right
    if not any(table.header):
        raise TableError(_("The first line of the file should name the columns."))
    if not table.rows:
        raise TableError(_("The file has a header but no rows."))
    return table


# --- Staged uploads: a parsed file kept between the steps of an import -------------------

STAGE_DIR = "imports"  # in the default storage (never served: see kos_portal/urls.py)
STAGE_MAX_AGE = timedelta(hours=24)
STAGE_NAME = re.compile(rf"^{STAGE_DIR}/[0-9a-f]{{32}}\.json$")


class StagedUploadGone(Exception):
    """The token is forged, expired, someone else's, or its file is gone."""


def stage_save(*, table: Table, purpose: str, user, bound: dict | None = None) -> str:
    """Keep a parsed table under a random name; return a signed token naming it.

    The token is bound to `purpose` (salt), the user and `bound` (e.g. the club), so only
    the same user can continue the same import with it, for STAGE_MAX_AGE. The browser
    never sends a path. The storage is the default one, shared by web and workers.
    """
    payload = json.dumps(table.to_json(), ensure_ascii=False).encode()
    name = default_storage.save(f"{STAGE_DIR}/{secrets.token_hex(16)}.json", ContentFile(payload))
    user_pk = getattr(user, "pk", None)
    return signing.dumps({"name": name, "user": user_pk, **(bound or {})}, salt=purpose)


def stage_name(*, token: str, purpose: str, user, bound: dict | None = None) -> str:
    """The stored name a token names, after every check; StagedUploadGone otherwise."""
    try:
        payload = signing.loads(token, salt=purpose, max_age=STAGE_MAX_AGE.total_seconds())
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature
        raise StagedUploadGone from error
    name = str(payload.get("name", ""))
    if payload.get("user") != getattr(user, "pk", None) or not STAGE_NAME.match(name):
        raise StagedUploadGone
    if any(payload.get(key) != value for key, value in (bound or {}).items()):
        raise StagedUploadGone
    return name


def stage_load(*, token: str, purpose: str, user, bound: dict | None = None) -> Table:
    """The table kept by stage_save; StagedUploadGone when the token or file is not good."""
    name = stage_name(token=token, purpose=purpose, user=user, bound=bound)
    try:
        with default_storage.open(name, "rb") as staged:
            return Table.from_json(json.loads(staged.read()))
    except (FileNotFoundError, OSError, ValueError, KeyError) as error:
        raise StagedUploadGone from error


def stage_discard(*, token: str, purpose: str, user, bound: dict | None = None) -> None:
    """Delete a kept upload (after the import). Safe to run twice."""
    try:
        name = stage_name(token=token, purpose=purpose, user=user, bound=bound)
    except StagedUploadGone:
        return
    default_storage.delete(name)


def stage_cleanup(*, now: datetime | None = None) -> int:
    """Delete kept uploads older than STAGE_MAX_AGE; returns how many. Safe to run twice."""
    now = now or timezone.now()
    try:
        _dirs, files = default_storage.listdir(STAGE_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    deleted = 0
    for filename in files:
        name = f"{STAGE_DIR}/{filename}"
        if not STAGE_NAME.match(name):
            continue
        try:
            if now - default_storage.get_modified_time(name) > STAGE_MAX_AGE:
                default_storage.delete(name)
                deleted += 1
        except FileNotFoundError:
            continue  # another cleanup removed it
    from kos_portal.models import ImportJob

    # Their results name rows of the files (and, for rosters, errors quoting people's data).
    ImportJob.objects.filter(created_at__lt=now - STAGE_MAX_AGE).delete()
    return deleted


# --- Import jobs: large files are imported by a worker, with a progress bar ---------------
# A file of more than INLINE_ROWS rows never holds a web worker: the view stages it, starts
# a job and answers at once; the page polls the job (htmx) until the worker has finished.

INLINE_ROWS = 2_000


def job_start(*, user, purpose: str, token: str, total: int, options: dict, task) -> "ImportJob":
    """Record a job and queue `task(job_id)` once the transaction commits."""
    from kos_portal.models import ImportJob
    from kos_portal.tasks import enqueue_on_commit

    job = ImportJob.objects.create(
        user=user, purpose=purpose, token=token, total=total, options=options
    )
    enqueue_on_commit(task, job.pk)
    return job


def job_claim(job_id: int):
    """The job to run, marked running; None when it is gone or has already finished."""
    from kos_portal.models import ImportJob

    claimed = ImportJob.objects.filter(
        pk=job_id, state__in=[ImportJob.State.QUEUED, ImportJob.State.RUNNING]
    ).update(state=ImportJob.State.RUNNING)
    return ImportJob.objects.filter(pk=job_id).first() if claimed else None


def job_progress(job_id: int) -> Callable[[int, int], None]:
    """A callback for a service: stores how many rows are done (one UPDATE per call)."""
    from kos_portal.models import ImportJob

    def report(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(done=done, total=total)

    return report


def job_finish(job_id: int, *, result: dict | None = None, error: str = "") -> None:
    """Store the result (or the reason it failed) for the polling page."""
    from kos_portal.models import ImportJob

    state = ImportJob.State.FAILED if error else ImportJob.State.DONE
    ImportJob.objects.filter(pk=job_id).update(
        state=state, result=result, error=error, finished_at=timezone.now()
    )


def job_get_for(user, job_pk: int, purpose: str):
    """The user's own job of this purpose; Http404 for anyone else's."""
    from django.shortcuts import get_object_or_404

    from kos_portal.models import ImportJob

    return get_object_or_404(ImportJob, pk=job_pk, user=user, purpose=purpose)
