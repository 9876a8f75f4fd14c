"""The web upload: upload → mapping → dry run → confirm, with the file kept server-side."""

import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from members.models import Consent, Member
from members.services.roster_import import roster_upload_cleanup, roster_upload_save
from tests.members.test_import import adult, csv_bytes

OWN_HEADER = "Nazwisko;Imię;Data urodzenia;Adres poczty;Komórka"


@pytest.fixture
def leader_client(client, world):
    client.force_login(world.users["leader"])
    return client


def url(world) -> str:
    return reverse("members:roster-import", kwargs={"club_pk": world.club.pk})


def upload(client, world, data: bytes, name="roster.csv"):
    return client.post(
        url(world), {"step": "upload", "file": SimpleUploadedFile(name, data)}, follow=False
    )


def stored_files() -> list[str]:
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def mapping_post(token: str, **mapping) -> dict:
    data = {"token": token, "step": "map"}
    data.update({f"map_{name}": str(index) for name, index in mapping.items()})
    return data


def test_uploading_keeps_the_file_and_prefills_the_mapping_from_the_headers(leader_client, world):
    response = upload(leader_client, world, csv_bytes(adult()))
    assert response.status_code == 200
    assert response.templates[0].name == "members/import_mapping.html"
    assert len(stored_files()) == 1
    form = response.context["form"]
    assert form["map_first_name"].initial == "0"
    assert form["map_gmina_teryt"].initial == "5"
    assert "Kowalski" not in response.content.decode()  # nothing is shown before the check


def test_a_file_of_another_kind_is_refused_at_upload(leader_client, world):
    response = upload(leader_client, world, b"%PDF-1.4", name="roster.pdf")
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    assert stored_files() == []


def test_own_column_names_are_mapped_and_the_dry_run_writes_nothing(leader_client, world):
    data = csv_bytes("Nowak;Anna;1992-07-14;anna@example.pl;600 100 200", header=OWN_HEADER)
    token = upload(leader_client, world, data).context["form"]["token"].value()
    before = Member.objects.count()
    response = leader_client.post(
        url(world),
        mapping_post(token, last_name=0, first_name=1, birth_date=2, email=3, phone=4),
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok and result.dry_run and result.new == 1
    page = response.content.decode()
    assert "Anna Nowak" in page
    assert "I have the signed consent forms" in page
    assert Member.objects.count() == before


def test_the_dry_run_shows_errors_with_line_and_reason(leader_client, world):
    data = csv_bytes(adult(), adult("Ola", "Nowak", "ola@example.pl", "12345"))
    token = upload(leader_client, world, data).context["form"]["token"].value()
    response = leader_client.post(
        url(world), mapping_post(token, first_name=0, last_name=1, birth_date=2, phone=4)
    )
    page = response.content.decode()
    assert re.search(r"<td>3</td><td>“12345” is not a valid phone number", page)
    assert "I have the signed consent forms" not in page


def test_confirming_without_the_attestation_imports_nothing(leader_client, world):
    token = upload(leader_client, world, csv_bytes(adult())).context["form"]["token"].value()
    data = mapping_post(token, first_name=0, last_name=1, birth_date=2, email=3)
    data["step"] = "confirm"
    response = leader_client.post(url(world), data)
    assert response.status_code == 200
    assert response.context["confirm_form"].errors
    assert not Member.objects.filter(last_name="Kowalski").exists()


def test_confirming_imports_records_the_attestation_and_deletes_the_file(leader_client, world):
    token = upload(leader_client, world, csv_bytes(adult())).context["form"]["token"].value()
    data = mapping_post(token, first_name=0, last_name=1, birth_date=2, email=3)
    data.update(step="confirm", consent_forms_attested="on")
    response = leader_client.post(url(world), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:roster", kwargs={"club_pk": world.club.pk})
    jan = Member.objects.get(last_name="Kowalski")
    assert Consent.objects.get(member=jan).recorded_by == world.users["leader"]
    assert stored_files() == []
    # The token is used up: confirming again finds no file.
    again = leader_client.post(url(world), data)
    assert again.status_code == 302
    assert Member.objects.filter(last_name="Kowalski").count() == 1


def test_a_forged_token_is_refused(leader_client, world):
    data = mapping_post("imports/../../db.sqlite3", first_name=0, last_name=1, birth_date=2)
    response = leader_client.post(url(world), data)
    assert response.status_code == 302
    assert response["Location"] == url(world)


def test_another_users_token_is_refused(client, world):
    token = roster_upload_save(
        data=csv_bytes(adult()), club=world.club, user=world.users["coordinator"]
    )
    client.force_login(world.users["leader"])
    response = client.post(url(world), mapping_post(token, first_name=0, last_name=1, birth_date=2))
    assert response.status_code == 302
    assert not Member.objects.filter(last_name="Kowalski").exists()


def test_a_token_for_another_club_is_refused(client, world):
    token = roster_upload_save(
        data=csv_bytes(adult()), club=world.other_club, user=world.users["national"]
    )
    client.force_login(world.users["national"])
    response = client.post(url(world), mapping_post(token, first_name=0, last_name=1, birth_date=2))
    assert response.status_code == 302


def test_uploads_older_than_a_day_are_cleaned_up(world):
    roster_upload_save(data=csv_bytes(adult()), club=world.club, user=world.users["leader"])
    assert roster_upload_cleanup() == 0
    assert roster_upload_cleanup(now=timezone.now() + timedelta(hours=25)) == 1
    assert stored_files() == []


def test_the_cleanup_task_runs_the_cleanup(world):
    from members.tasks import roster_import_files_cleanup_task

    roster_upload_save(data=csv_bytes(adult()), club=world.club, user=world.users["leader"])
    assert roster_import_files_cleanup_task.delay().get() == 0
    assert len(stored_files()) == 1


def test_a_large_roster_is_checked_and_imported_by_a_worker(
    leader_client, world, monkeypatch, django_capture_on_commit_callbacks
):
    from kos_portal import uploads
    from kos_portal.models import ImportJob

    monkeypatch.setattr(uploads, "INLINE_ROWS", 1)
    data = csv_bytes(adult(), adult("Ewa", "Nowak", "ewa@example.pl"))
    token = upload(leader_client, world, data).context["form"]["token"].value()
    post = mapping_post(token, first_name=0, last_name=1, birth_date=2, email=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = leader_client.post(url(world), post)
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == reverse(
        "members:roster-import-job", kwargs={"club_pk": world.club.pk, "job_pk": job.pk}
    )
    page = leader_client.get(response["Location"])
    assert page.context["result"]["new"] == 2
    assert "I have the signed consent forms" in page.content.decode()
    assert not Member.objects.filter(last_name="Nowak").exists()
    post.update(step="confirm", consent_forms_attested="on")
    with django_capture_on_commit_callbacks(execute=True):
        response = leader_client.post(url(world), post)
    done = leader_client.get(response["Location"])
    assert done["Location"] == reverse("members:roster", kwargs={"club_pk": world.club.pk})
    assert Member.objects.filter(last_name="Nowak").count() == 1
    assert stored_files() == []


def test_another_users_roster_job_is_not_found(client, world):
    from kos_portal.models import ImportJob

    job = ImportJob.objects.create(
        user=world.users["national"],
        purpose="members.roster-import",
        token="-",
        options={"club": world.club.pk},
    )
    client.force_login(world.users["leader"])
    target = reverse(
        "members:roster-import-job", kwargs={"club_pk": world.club.pk, "job_pk": job.pk}
    )
    assert client.get(target).status_code == 404
