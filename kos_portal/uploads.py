"""One check for every uploaded document: extension, size and first bytes.

The extension alone is the sender's claim; the first bytes show what the file is, so an
HTML page renamed to .pdf never reaches a coordinator or a club.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
