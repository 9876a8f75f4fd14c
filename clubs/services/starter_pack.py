"""The starter pack: a library of documents national staff keep, handed out to active clubs.

Writes (creating documents, adding versions, the demo seed) and the reads behind the pages
(the library, a club's pack, its zip) live here. The newest version of a document, by
`created_at`, is the one handed out.
"""

from __future__ import annotations

import re
import secrets
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from tempfile import SpooledTemporaryFile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from clubs.models import Club, StarterDocument, StarterDocumentVersion
from kos_portal.access import require
from kos_portal.uploads import OLE, PDF, ZIP, upload_check

ALLOWED_TYPES = {"pdf": PDF, "docx": ZIP, "xlsx": ZIP, "odt": ZIP, "ods": ZIP, "doc": OLE}
MAX_FILE_BYTES = 20 * 1024 * 1024
# Staying in memory up to this size; a bigger zip spills to a temporary file on disk.
ZIP_SPOOL_BYTES = 16 * 1024 * 1024

DEMO_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "starter_pack"


# --- Uploads ---------------------------------------------------------------------------


def starter_file_check(file) -> str:
    """Refuse a file of the wrong type or size; return its lower-case extension.

    Raises ValidationError keyed on "file", so a form shows it next to the field.
    """
    if file is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    try:
        return upload_check(
            file,
            signatures=ALLOWED_TYPES,
            max_bytes=MAX_FILE_BYTES,
            type_message=_("%(name)s: only these file types are accepted: %(types)s.")
            % {"name": "%(name)s", "types": ", ".join(sorted(ALLOWED_TYPES))},
            content_message=_("The file's contents are not a .%(extension)s document."),
        )
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error


def _stored_name(document: StarterDocument, extension: str) -> str:
    # Unguessable, because anything under MEDIA_ROOT might be served by a misconfigured
    # server; the readable name is given only on download, through the scoped views.
    return f"doc{document.pk}-{secrets.token_urlsafe(12)}.{extension}"


def _version_add(
    *, document: StarterDocument, version: str, file, notes: str, created_by
) -> StarterDocumentVersion:
    """Write the file and the version row; the caller holds the transaction."""
    extension = starter_file_check(file)
    version = version.strip()
    if not version:
        raise ValidationError({"version": _("Give the version a label, e.g. 1.0.")})
    if document.versions.filter(version=version).exists():
        raise ValidationError(
            {
                "version": _("%(document)s already has a version %(version)s.")
                % {"document": document.title, "version": version}
            }
        )
    row = StarterDocumentVersion(
        document=document, version=version, notes=notes.strip(), created_by=created_by
    )
    row.file.save(_stored_name(document, extension), file, save=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Two uploads of the same label at once: the constraint caught the second one.
        default_storage.delete(row.file.name)
        raise ValidationError(
            {"version": _("This version label is already taken; choose another.")}
        ) from None
    except BaseException:
        default_storage.delete(row.file.name)
        raise
    return row


@transaction.atomic
def starter_document_create(
    *,
    title: str,
    kind: str,
    language: str,
    description: str = "",
    is_published: bool = True,
    version: str,
    file,
    notes: str = "",
    created_by,
) -> StarterDocument:
    """Add a document to the library with its first version.

    A title may exist once per language: a second call with the same title and language
    is refused with a ValidationError, so running it twice never makes a duplicate.
    Nothing is written (no row, no file) when the input is refused.
    """
    starter_file_check(file)
    title = title.strip()
    if StarterDocument.objects.filter(title=title, language=language).exists():
        raise ValidationError(
            {"title": _("The library already has a document with this title in this language.")}
        )
    document = StarterDocument.objects.create(
        title=title,
        kind=kind,
        language=language,
        description=description.strip(),
        is_published=is_published,
    )
    _version_add(document=document, version=version, file=file, notes=notes, created_by=created_by)
    return document


@transaction.atomic
def starter_document_update(
    *,
    document: StarterDocument,
    title: str,
    kind: str,
    language: str,
    description: str = "",
    is_published: bool,
) -> StarterDocument:
    """Change a document's details or take it in or out of the pack. Safe to run twice."""
    title = title.strip()
    clash = StarterDocument.objects.filter(title=title, language=language).exclude(pk=document.pk)
    if clash.exists():
        raise ValidationError(
            {"title": _("The library already has a document with this title in this language.")}
        )
    document.title = title
    document.kind = kind
    document.language = language
    document.description = description.strip()
    document.is_published = is_published
    document.save(update_fields=["title", "kind", "language", "description", "is_published"])
    return document


@transaction.atomic
def starter_version_create(
    *, document: StarterDocument, version: str, file, notes: str = "", created_by
) -> StarterDocumentVersion:
    """Upload a new version; it becomes the one clubs get.

    Version labels are unique per document: repeating one raises a ValidationError, so a
    double submit never stores the file twice.
    """
    # Lock the document so two uploads of the same label queue instead of racing.
    document = StarterDocument.objects.select_for_update(of=("self",)).get(pk=document.pk)
    return _version_add(
        document=document, version=version, file=file, notes=notes, created_by=created_by
    )


# --- Reads (selectors) -----------------------------------------------------------------


def _latest_version_pk() -> Subquery:
    return Subquery(
        StarterDocumentVersion.objects.filter(document=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )


def _attach_latest(documents) -> list[StarterDocument]:
    """Give each document (annotated with `latest_pk`) its `latest_version`, in one query."""
    documents = list(documents)
    ids = [d.latest_pk for d in documents if d.latest_pk]
    versions = StarterDocumentVersion.objects.select_related("created_by").in_bulk(ids)
    for document in documents:
        document.latest_version = versions.get(document.latest_pk)
    return documents


def starter_library(*, kind: str = "", language: str = "") -> QuerySet[StarterDocument]:
    """Every document in the library (the caller checks "clubs.manage_starter_pack"), each
    annotated with `latest_pk` and `version_count`; pass a page of it through
    `starter_with_latest()`."""
    documents = StarterDocument.objects.annotate(
        latest_pk=_latest_version_pk(), version_count=Count("versions")
    ).order_by("kind", "title", "language", "pk")
    if kind:
        documents = documents.filter(kind=kind)
    if language:
        documents = documents.filter(language=language)
    return documents


def starter_with_latest(documents) -> list[StarterDocument]:
    """The documents with their `latest_version` attached (one extra query)."""
    return _attach_latest(documents)


def starter_versions_of(document: StarterDocument) -> QuerySet[StarterDocumentVersion]:
    """A document's versions, newest (the one handed out) first."""
    return document.versions.select_related("created_by").order_by("-created_at", "-pk")


def starter_pack_club_get_for(user, club_pk: int, perm: str) -> Club:
    """The club whose pack is asked for: 404 outside the user's clubs, 403 without `perm`."""
    club = get_object_or_404(
        Club.objects.visible_to(user).select_related("municipality"), pk=club_pk
    )
    require(user, perm, club)
    return club


def starter_pack_zip_filename(club: Club) -> str:
    """The zip's name as the leader's browser saves it."""
    return _clean(_("Starter pack – %(club)s") % {"club": club.name}) + ".zip"


def starter_pack_available(club: Club) -> bool:
    """Only an active club gets the pack: it is what a newly active club starts with."""
    return club.status == Club.Status.ACTIVE


def _language_rank() -> dict[str, int]:
    # Clubs are Polish and have no language of their own, so the site's languages in
    # their configured order (Polish, then English) stand for "the club's language first".
    return {code: rank for rank, (code, _label) in enumerate(settings.LANGUAGES)}


def starter_pack_documents() -> list[StarterDocument]:
    """Published documents that have a version, each with its `latest_version`, ordered
    by kind, then the club's language first, then title."""
    documents = _attach_latest(
        StarterDocument.objects.filter(is_published=True)
        .annotate(latest_pk=_latest_version_pk())
        .filter(latest_pk__isnull=False)
    )
    kinds = {value: rank for rank, value in enumerate(StarterDocument.Kind.values)}
    languages = _language_rank()
    documents.sort(
        key=lambda d: (
            kinds.get(d.kind, len(kinds)),
            languages.get(d.language, len(languages)),
            d.title.casefold(),
        )
    )
    return documents


@dataclass(frozen=True)
class PackGroup:
    kind: str
    label: str
    documents: list[StarterDocument]


def starter_pack_grouped(documents: list[StarterDocument]) -> list[PackGroup]:
    """The pack's documents grouped by kind, keeping their order."""
    groups: list[PackGroup] = []
    for document in documents:
        if not groups or groups[-1].kind != document.kind:
            groups.append(PackGroup(document.kind, document.get_kind_display(), []))
        groups[-1].documents.append(document)
    return groups


def starter_pack_document_get(document_pk: int) -> StarterDocument:
    """One published document with its latest version, as a club gets it; 404 otherwise."""
    documents = _attach_latest(
        StarterDocument.objects.filter(pk=document_pk, is_published=True).annotate(
            latest_pk=_latest_version_pk()
        )
    )
    if not documents or documents[0].latest_version is None:
        raise Http404
    return documents[0]


# --- File names and the zip ----------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def _clean(text: str, limit: int = 120) -> str:
    """Text safe as one path segment on Windows, macOS and Linux; Polish letters kept."""
    text = unicodedata.normalize("NFC", str(text))
    text = _UNSAFE.sub(" ", text)
    text = " ".join(text.split())[:limit].strip(" .")
    return text or "document"


def starter_file_name(version: StarterDocumentVersion) -> str:
    """A readable name for a version's file: "<title> (v<version>, <lang>).<ext>"."""
    document = version.document
    extension = Path(version.file.name).suffix.lower()
    title = _clean(document.title, 100)
    return f"{title} (v{_clean(version.version, 32)}, {document.language}){extension}"


def starter_zip_names(documents: list[StarterDocument]) -> list[tuple[str, StarterDocument]]:
    """Each document's path inside the zip, "<kind>/<file name>", made unique."""
    taken: set[str] = set()
    names = []
    for document in documents:
        folder = _clean(capfirst(document.get_kind_display()))
        base = starter_file_name(document.latest_version)
        stem, dot, extension = base.rpartition(".")
        name, n = f"{folder}/{base}", 1
        # Cleaning can fold two titles ("A/B", "A:B") into one name; number the later ones.
        while name.casefold() in taken:
            n += 1
            name = f"{folder}/{stem} ({n}){dot}{extension}"
        taken.add(name.casefold())
        names.append((name, document))
    return names


def starter_pack_zip(*, documents: list[StarterDocument]) -> SpooledTemporaryFile:
    """The latest version of every given document in one zip, rewound and ready to send.

    Files are copied in chunks, so a large pack spills to disk instead of memory.
    """
    spool = SpooledTemporaryFile(max_size=ZIP_SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, document in starter_zip_names(documents):
            version = document.latest_version
            with default_storage.open(version.file.name, "rb") as source:
                info = zipfile.ZipInfo(name, date_time=version.created_at.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1024 * 1024)
    spool.seek(0)
    return spool


# --- Demo ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoDocument:
    source: str  # HTML file in clubs/fixtures/starter_pack/
    title: str
    kind: str
    description: str


DEMO_DOCUMENTS = [
    DemoDocument(
        "statut.html",
        "Statut Klubu Odporności Społecznej (wzór)",
        StarterDocument.Kind.STATUTE,
        "Wzór statutu do przyjęcia na zebraniu założycielskim klubu.",
    ),
    DemoDocument(
        "deklaracja.html",
        "Deklaracja członkowska (wzór)",
        StarterDocument.Kind.MEMBER_DECLARATION,
        "Deklaracja przystąpienia do klubu, do podpisu przez nowego członka.",
    ),
    DemoDocument(
        "zgoda-rodo.html",
        "Zgoda na przetwarzanie danych osobowych (wzór)",
        StarterDocument.Kind.CONSENT_FORM,
        "Zgoda i klauzula informacyjna RODO dla członków i uczestników szkoleń.",
    ),
    DemoDocument(
        "porozumienie.html",
        "Porozumienie o współpracy z partnerem (wzór)",
        StarterDocument.Kind.PARTNER_AGREEMENT,
        "Wzór porozumienia z OSP, szkołą lub organizacją pozarządową.",
    ),
    DemoDocument(
        "program-modul-1.html",
        "Program szkolenia ZPOS – Moduł I",
        StarterDocument.Kind.TRAINING_PROGRAMME,
        "Program pierwszego modułu szkolenia: pierwsza pomoc i przygotowanie na kryzys.",
    ),
]
DEMO_VERSION = "1.0"


def _refuse_fetch(url: str, *args, **kwargs):
    # The demo HTML is self-contained; never let WeasyPrint reach the network or disk.
    raise ValueError(f"Refused to fetch {url}")


def starter_demo_pdf(source: str) -> bytes:
    """Render one demo document (an HTML file in fixtures/starter_pack/) to PDF bytes."""
    from weasyprint import CSS, HTML

    html = (DEMO_DIR / source).read_text(encoding="utf-8")
    stylesheet = CSS(filename=str(DEMO_DIR / "style.css"), url_fetcher=_refuse_fetch)
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(stylesheets=[stylesheet])


@transaction.atomic
def starter_pack_seed_demo(*, created_by=None) -> list[StarterDocument]:
    """Put the demo documents in the library, rendered to PDF.

    Safe to run twice: documents are found by title and language, and a version 1.0 is
    rendered only for a document that doesn't have one yet.
    """
    documents = []
    for demo in DEMO_DOCUMENTS:
        document, _created = StarterDocument.objects.get_or_create(
            title=demo.title,
            language="pl",
            defaults={"kind": demo.kind, "description": demo.description},
        )
        if not document.versions.filter(version=DEMO_VERSION).exists():
            pdf = ContentFile(starter_demo_pdf(demo.source), name=f"{Path(demo.source).stem}.pdf")
            _version_add(
                document=document,
                version=DEMO_VERSION,
                file=pdf,
                notes="Wersja demonstracyjna.",
                created_by=created_by,
            )
        documents.append(document)
    return documents
