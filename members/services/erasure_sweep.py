"""After a person's own rows are cleared, find what still names them anywhere else.

Erasure (services/erasure.py) clears the person's rows through their foreign keys. Copies
made elsewhere are found by value: every text column of every model (including other
apps' and future tables: email outboxes, admin history, invitations, reminders, contact
messages) is searched for the person's full name, emails and phone numbers, and each
occurrence is replaced. Staged roster uploads that mention the person are deleted.

Only whole identifiers are searched (the full name, not "Anna" alone), so other people's
rows are not touched. Cost: one query per model that has text columns (about 50), plus
the matching rows; see docs/rodo.md.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Q

REDACTED = "***"
ERASED_EMAIL_DOMAIN = "erased.invalid"
MIN_IDENTIFIER_LENGTH = 5  # shorter strings would match unrelated text
# Cleared through their foreign keys by member_erase (and other people's rows live here:
# another Member or User with the same name must keep it).
SKIPPED_MODELS = frozenset(
    {
        "members.Member",
        "members.PersonalDataAccess",
        "kos_portal.User",
        "sessions.Session",
        "contenttypes.ContentType",
        "auth.Permission",
        "auth.Group",
    }
)


def identifiers_of(*values: str) -> list[str]:
    """The distinct, long-enough identifiers to search for (longest first, so a full
    name is replaced before a part of it)."""
    found = {" ".join((v or "").split()) for v in values}
    kept = {v for v in found if len(v) >= MIN_IDENTIFIER_LENGTH}
    return sorted(kept, key=lambda v: (-len(v), v))


def phone_variants(phone: str) -> list[str]:
    """An E.164 number as stored and as people type it without the country code."""
    if not phone:
        return []
    digits = re.sub(r"\D", "", phone)
    return [phone, digits[-9:]] if len(digits) >= 9 else [phone]


def redact(text: str, identifiers: list[str]) -> str:
    """`text` with every identifier (any letter case) replaced by ***."""
    for identifier in identifiers:
        text = re.sub(re.escape(identifier), REDACTED, text, flags=re.IGNORECASE)
    return text


def _erased_email() -> str:
    return f"erased-{secrets.token_hex(6)}@{ERASED_EMAIL_DOMAIN}"


def _text_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField))
        and not f.primary_key
        and not f.unique
        and not f.choices
    ]


def rows_redact(model, fields: list[models.Field], identifiers: list[str], base=None) -> int:
    """Replace the identifiers in `fields` of `model` (optionally within `base`); returns
    how many rows changed. Emails become an undeliverable address. Uses update(), so
    append-only models (save() refuses) are scrubbed too."""
    if not fields or not identifiers:
        return 0
    query = Q()
    for field in fields:
        for identifier in identifiers:
            query |= Q(**{f"{field.attname}__icontains": identifier})
    queryset = (base if base is not None else model._default_manager).filter(query)
    changed = 0
    for row in queryset.only("pk", *[f.attname for f in fields]).iterator(chunk_size=500):
        updates = {}
        for field in fields:
            value = getattr(row, field.attname) or ""
            new = redact(value, identifiers)
            if new != value:
                if isinstance(field, models.EmailField):
                    new = _erased_email()
                updates[field.attname] = new[: field.max_length] if field.max_length else new
        if updates:
            model._default_manager.filter(pk=row.pk).update(**updates)
            changed += 1
    return changed


def everywhere_redact(identifiers: list[str]) -> dict[str, int]:
    """Redact the identifiers in every text column of every model not in SKIPPED_MODELS;
    returns {model label: rows changed} for the models where something changed."""
    changed = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in SKIPPED_MODELS or model._meta.proxy or not model._meta.managed:
            continue
        count = rows_redact(model, _text_fields(model), identifiers)
        if count:
            changed[label] = count
    return changed


def _file_text(data: bytes) -> str:
    """The text of a staged CSV or XLSX (the XML parts of the archive), for searching."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                parts = [archive.read(n) for n in archive.namelist() if n.endswith(".xml")]
        except zipfile.BadZipFile:
            return ""
        data = b"\n".join(parts)
    for encoding in ("utf-8", "cp1250"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="ignore")


def _names_person(text: str, identifiers: list[str], names: tuple[str, str]) -> bool:
    if any(identifier in text for identifier in identifiers):
        return True
    first, last = names  # a spreadsheet row keeps them in separate cells
    return bool(first and last) and any(first in line and last in line for line in text.split("\n"))


def staged_uploads_forget(identifiers: list[str], names: tuple[str, str] = ("", "")) -> int:
    """Delete the staged roster uploads (waiting for the import's second step) that name
    the person (an identifier, or first and last name in one row); returns how many. The
    leader is asked to upload the file again."""
    from kos_portal.uploads import STAGE_DIR, STAGE_NAME

    try:
        _dirs, files = default_storage.listdir(STAGE_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    lowered = [i.lower() for i in identifiers]
    lowered_names = (names[0].strip().lower(), names[1].strip().lower())
    deleted = 0
    for filename in files:
        name = f"{STAGE_DIR}/{filename}"
        if not STAGE_NAME.match(name):
            continue
        try:
            with default_storage.open(name, "rb") as upload:
                text = _file_text(upload.read()).lower()
        except (FileNotFoundError, OSError):
            continue
        if _names_person(text, lowered, lowered_names):
            default_storage.delete(name)
            deleted += 1
    return deleted
