"""The starter pack: the library national staff keep, and the pack active clubs download."""

import io
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clubs.models import Club, StarterDocument, StarterDocumentVersion
from clubs.services import starter_pack as services
from tests import factories
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db

DOCX_BYTES = b"PK\x03\x04" + b"\x00" * 40


def stored_files() -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / "starter-pack"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def pdf(name="statut.pdf", data=PDF_BYTES):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def version_of(document, label, data=PDF_BYTES, name="plik.pdf", minutes_ago=0):
    """A version with its own bytes, `minutes_ago` old."""
    return factories.StarterDocumentVersionFactory(
        document=document,
        version=label,
        file__filename=name,
        file__data=data,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def signed_in(client, world, role):
    """Signed in with English chosen, so the assertions read the English source texts."""
    user = world.users[role]
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def download_name(response) -> str:
    return unquote(response["Content-Disposition"].split("filename*=utf-8''")[1])


@pytest.fixture
def pack_url(world):
    return reverse("clubs:club-starter-pack", kwargs={"club_pk": world.club.pk})


@pytest.fixture
def zip_url(world):
    return reverse("clubs:club-starter-pack-zip", kwargs={"club_pk": world.club.pk})


# --- The library ---------------------------------------------------------------------


def test_national_staff_add_a_document_with_its_first_version(client, world):
    signed_in(client, world, "national")
    response = client.post(
        reverse("clubs:starter-document-create"),
        {
            "title": "Deklaracja członkowska (wzór)",
            "kind": "declaration",
            "language": "pl",
            "description": "Do podpisu.",
            "is_published": "on",
            "version": "v2.0",
            "file": pdf("deklaracja.pdf"),
        },
    )
    document = StarterDocument.objects.get(title="Deklaracja członkowska (wzór)")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "clubs:starter-document-edit", kwargs={"document_pk": document.pk}
    )
    version = document.versions.get()
    assert version.version == "2.0"  # the leading "v" is the pack's, not the label's
    assert version.created_by == world.users["national"]
    assert version.file.name.startswith("starter-pack/")
    assert version.file.read() == PDF_BYTES


def test_national_staff_upload_a_new_version_that_becomes_the_one_handed_out(client, world):
    document = world.objects["starter_document"]
    signed_in(client, world, "national")
    response = client.post(
        reverse("clubs:starter-version-create", kwargs={"document_pk": document.pk}),
        {"version": "1.1", "notes": "Poprawka § 3.", "file": pdf(data=PDF_BYTES + b"v1.1")},
    )
    assert response.status_code == 302
    latest = services.starter_pack_document_get(document.pk).latest_version
    assert latest.version == "1.1"
    assert latest.notes == "Poprawka § 3."
    assert latest.file.read() == PDF_BYTES + b"v1.1"


def test_a_repeated_version_label_is_refused_and_nothing_is_stored(client, world):
    document = world.objects["starter_document"]
    before = stored_files()
    signed_in(client, world, "national")
    response = client.post(
        reverse("clubs:starter-version-create", kwargs={"document_pk": document.pk}),
        {"version": "1.0", "file": pdf()},
    )
    assert response.status_code == 200
    assert "already has a version 1.0" in response.content.decode()
    assert document.versions.count() == 1
    assert stored_files() == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("program.exe", b"MZ\x90\x00", "only these file types are accepted"),
        ("notatki.txt", b"hello", "only these file types are accepted"),
        ("udaje.pdf", b"<html>not a pdf</html>", "are not a .pdf document"),
        ("pusty.docx", b"", "The submitted file is empty"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_written(
    client, world, name, data, message
):
    before = stored_files()
    signed_in(client, world, "national")
    response = client.post(
        reverse("clubs:starter-document-create"),
        {
            "title": "Zgoda (wzór)",
            "kind": "consent",
            "language": "pl",
            "version": "1.0",
            "file": SimpleUploadedFile(name, data),
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not StarterDocument.objects.filter(title="Zgoda (wzór)").exists()
    assert stored_files() == before


def test_a_file_over_20_mb_is_refused_and_nothing_is_written(world):
    big = SimpleUploadedFile("program.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024 - 4))
    before = stored_files()
    with pytest.raises(ValidationError, match="the limit is 20 MB"):
        services.starter_document_create(
            title="Program (wzór)",
            kind="programme",
            language="pl",
            version="1.0",
            file=big,
            created_by=world.users["national"],
        )
    assert not StarterDocument.objects.filter(title="Program (wzór)").exists()
    assert stored_files() == before


def test_a_docx_of_exactly_20_mb_is_accepted(world):
    data = DOCX_BYTES + b"0" * (20 * 1024 * 1024 - len(DOCX_BYTES))
    document = services.starter_document_create(
        title="Porozumienie (wzór)",
        kind="agreement",
        language="pl",
        version="1.0",
        file=SimpleUploadedFile("porozumienie.docx", data),
        created_by=world.users["national"],
    )
    assert document.versions.get().file.name.endswith(".docx")


def test_the_same_title_in_the_same_language_is_refused(world):
    existing = world.objects["starter_document"]
    with pytest.raises(ValidationError, match="already has a document with this title"):
        services.starter_document_create(
            title=existing.title,
            kind="statute",
            language=existing.language,
            version="1.0",
            file=pdf(),
            created_by=world.users["national"],
        )
    assert StarterDocument.objects.filter(title=existing.title).count() == 1


def test_the_same_title_in_another_language_is_a_separate_document(world):
    existing = world.objects["starter_document"]
    services.starter_document_create(
        title=existing.title,
        kind="statute",
        language="en",
        version="1.0",
        file=pdf(),
        created_by=world.users["national"],
    )
    assert StarterDocument.objects.filter(title=existing.title).count() == 2


def test_unpublishing_takes_a_document_out_of_every_pack(client, world, pack_url):
    document = world.objects["starter_document"]
    signed_in(client, world, "national")
    response = client.post(
        reverse("clubs:starter-document-edit", kwargs={"document_pk": document.pk}),
        {"title": document.title, "kind": document.kind, "language": "pl"},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert not document.is_published
    assert document.title not in client.get(pack_url).content.decode()


def test_the_library_filters_by_kind_and_language(client, world):
    factories.StarterDocumentVersionFactory(
        document__title="Training programme", document__kind="programme", document__language="en"
    )
    signed_in(client, world, "national")
    url = reverse("clubs:starter-document-list")
    everything = client.get(url).content.decode()
    programmes = client.get(url, {"kind": "programme"}).content.decode()
    polish = client.get(url, {"language": "pl"}).content.decode()
    assert "Training programme" in everything and "Statut klubu" in everything
    assert "Training programme" in programmes and "Statut klubu" not in programmes
    assert "Training programme" not in polish and "Statut klubu" in polish


def test_national_staff_download_any_version_even_an_old_one(client, world):
    document = world.objects["starter_document"]
    old = world.objects["starter_version"]
    version_of(document, "2.0", data=PDF_BYTES + b"new")
    signed_in(client, world, "national")
    response = client.get(reverse("clubs:starter-version-download", kwargs={"version_pk": old.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert download_name(response) == "Statut klubu (wzór) (v1.0, pl).pdf"


def test_only_national_staff_see_the_library_in_the_navigation(client, world):
    url = reverse("clubs:starter-document-list")
    signed_in(client, world, "national")
    assert f'href="{url}"' in client.get("/").content.decode()
    signed_in(client, world, "leader")
    assert f'href="{url}"' not in client.get("/").content.decode()


# --- A club's pack -------------------------------------------------------------------


def test_the_pack_lists_only_the_latest_version_of_published_documents(client, world, pack_url):
    document = world.objects["starter_document"]
    version_of(document, "0.9-stara", minutes_ago=60)
    version_of(document, "1.5-nowa")
    hidden = factories.StarterDocumentVersionFactory(document__title="Szkic – nie publikować")
    hidden.document.is_published = False
    hidden.document.save()
    factories.StarterDocumentFactory(title="Bez pliku")
    signed_in(client, world, "instructor")
    page = client.get(pack_url).content.decode()
    assert "Statut klubu (wzór)" in page
    assert "1.5-nowa" in page
    assert "0.9-stara" not in page and "Version 1.0," not in page
    assert "Szkic – nie publikować" not in page
    assert "Bez pliku" not in page


def test_the_pack_groups_by_kind_with_polish_before_english(client, world, pack_url):
    factories.StarterDocumentVersionFactory(
        document__title="A programme", document__kind="programme", document__language="en"
    )
    factories.StarterDocumentVersionFactory(
        document__title="Z programu", document__kind="programme", document__language="pl"
    )
    factories.StarterDocumentVersionFactory(
        document__title="Deklaracja", document__kind="declaration", document__language="pl"
    )
    signed_in(client, world, "leader")
    page = client.get(pack_url).content.decode()
    order = ["Statut klubu", "Deklaracja", "Z programu", "A programme"]
    positions = [page.index(title) for title in order]
    assert positions == sorted(positions)


def test_the_pack_never_links_to_media_urls(client, world, pack_url):
    signed_in(client, world, "leader")
    page = client.get(pack_url).content.decode()
    assert settings.MEDIA_URL not in page
    assert (
        reverse(
            "clubs:club-starter-file",
            kwargs={"club_pk": world.club.pk, "document_pk": world.objects["starter_document"].pk},
        )
        in page
    )


def test_a_leader_downloads_one_document_in_its_latest_version(client, world):
    document = world.objects["starter_document"]
    version_of(document, "2.0", data=PDF_BYTES + b"2.0")
    signed_in(client, world, "leader")
    response = client.get(
        reverse(
            "clubs:club-starter-file", kwargs={"club_pk": world.club.pk, "document_pk": document.pk}
        )
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES + b"2.0"
    assert "attachment" in response["Content-Disposition"]


def test_an_unpublished_document_cannot_be_downloaded_through_a_club(client, world):
    document = world.objects["starter_document"]
    document.is_published = False
    document.save()
    signed_in(client, world, "leader")
    response = client.get(
        reverse(
            "clubs:club-starter-file", kwargs={"club_pk": world.club.pk, "document_pk": document.pk}
        )
    )
    assert response.status_code == 404


def test_the_zip_holds_exactly_the_pack_with_readable_names_and_the_right_bytes(
    client, world, zip_url
):
    statute = world.objects["starter_document"]
    version_of(statute, "2.0", data=PDF_BYTES + b"statute 2.0")
    version_of(statute, "0.1", data=b"%PDF-old", minutes_ago=60)  # uploaded last, but older
    programme = factories.StarterDocumentVersionFactory(
        document__title="Program: moduł I / ZPOS",
        document__kind="programme",
        document__language="pl",
        version="1.0",
        file__filename="program.docx",
        file__data=DOCX_BYTES,
    )
    unpublished = factories.StarterDocumentVersionFactory(document__title="Szkic")
    unpublished.document.is_published = False
    unpublished.document.save()
    signed_in(client, world, "leader")  # in English: folders are the kinds' labels
    response = client.get(zip_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert download_name(response) == "Starter pack – KOS Złotokłos.zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    contents = {name: archive.read(name) for name in archive.namelist()}
    assert contents == {
        "Club statute/Statut klubu (wzór) (v2.0, pl).pdf": PDF_BYTES + b"statute 2.0",
        "Training programme/Program moduł I ZPOS (v1.0, pl).docx": programme.file.read(),
    }


def test_names_in_the_zip_stay_unique_after_cleaning(world):
    factories.StarterDocumentVersionFactory(document__title="A/B", version="1")
    factories.StarterDocumentVersionFactory(document__title="A:B", version="1")
    documents = services.starter_pack_documents()
    names = [name for name, _ in services.starter_zip_names(documents)]
    assert len(names) == len(set(names)) == 3
    assert {n.split("/")[1] for n in names} >= {"A B (v1, pl).pdf", "A B (v1, pl) (2).pdf"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [("leader", 200), ("coordinator", 200), ("national", 200), ("instructor", 403)],
)
def test_who_in_the_club_may_download_the_zip(client, world, zip_url, role, expected):
    signed_in(client, world, role)
    assert client.get(zip_url).status_code == expected


@pytest.mark.parametrize("role", ["outsider", "member"])
def test_people_outside_the_club_get_not_found(client, world, zip_url, pack_url, role):
    signed_in(client, world, role)
    assert client.get(zip_url).status_code == 404
    assert client.get(pack_url).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, zip_url, pack_url):
    for url in (zip_url, pack_url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "status", [Club.Status.PROPOSED, Club.Status.SUSPENDED, Club.Status.CLOSED]
)
def test_a_club_that_is_not_active_has_no_pack_yet(client, world, pack_url, zip_url, status):
    world.club.status = status
    world.club.save()
    signed_in(client, world, "leader")
    page = client.get(pack_url)
    assert page.status_code == 200
    assert "available once the club is active" in page.content.decode()
    assert "Statut klubu" not in page.content.decode()
    assert client.get(zip_url).status_code == 404
    file_url = reverse(
        "clubs:club-starter-file",
        kwargs={"club_pk": world.club.pk, "document_pk": world.objects["starter_document"].pk},
    )
    assert client.get(file_url).status_code == 404


def test_the_club_page_links_to_the_pack(client, world, pack_url):
    signed_in(client, world, "leader")
    page = client.get(reverse("clubs:club-detail", kwargs={"club_pk": world.club.pk}))
    assert f'href="{pack_url}"' in page.content.decode()


# --- Queries -------------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def grow_library(count: int) -> None:
    for n in range(count):
        version = factories.StarterDocumentVersionFactory(
            document__kind=StarterDocument.Kind.values[n % 5],
            document__language="en" if n % 2 else "pl",
        )
        version_of(version.document, f"9.{n}")


@pytest.mark.parametrize("role", ["leader", "national"])
def test_the_pack_page_keeps_a_constant_number_of_queries(client, world, pack_url, role):
    signed_in(client, world, role)
    small = queries_for(client, pack_url)
    grow_library(6)
    assert queries_for(client, pack_url) == small


def test_the_library_list_keeps_a_constant_number_of_queries(client, world):
    signed_in(client, world, "national")
    url = reverse("clubs:starter-document-list")
    small = queries_for(client, url)
    grow_library(6)
    assert queries_for(client, url) == small


# --- Demo ------------------------------------------------------------------------------


def test_the_demo_seed_adds_five_polish_pdfs_and_is_safe_to_run_twice():
    services.starter_pack_seed_demo()
    first = sorted(StarterDocumentVersion.objects.values_list("pk", "file"))
    services.starter_pack_seed_demo()
    assert sorted(StarterDocumentVersion.objects.values_list("pk", "file")) == first
    assert StarterDocument.objects.count() == 5
    assert "Program szkolenia ZPOS – Moduł I" in set(
        StarterDocument.objects.values_list("title", flat=True)
    )
    assert len(stored_files()) == 5
    for version in StarterDocumentVersion.objects.all():
        assert version.file.read(5) == b"%PDF-"
