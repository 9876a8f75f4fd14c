"""Certificate pages for staff and members: scoping of the list, detail, download, export
and bulk downloads, the "being prepared" fragment, and constant query counts."""

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from certificates.models import Certificate
from members.models import PersonalDataAccess
from tests import factories


def detail_url(certificate) -> str:
    return reverse("certificates:certificate-detail", kwargs={"certificate_pk": certificate.pk})


def more_certificates(world, count: int, **kwargs) -> list[Certificate]:
    """Certificates of other members of the world's club, in the world's session."""
    result = []
    for _ in range(count):
        member = factories.MembershipFactory(club=world.club).member
        enrolment = factories.EnrolmentFactory(
            session=world.objects["session"], member=member, result="passed"
        )
        certificate = factories.CertificateFactory(
            enrolment=enrolment, render_status="done", **kwargs
        )
        certificate.pdf.save("c.pdf", ContentFile(factories.PDF_BYTES), save=True)
        result.append(certificate)
    return result


# --- List and export ------------------------------------------------------------------


def test_the_leader_lists_the_club_certificates(client, world):
    other = factories.CertificateFactory(enrolment__session__club=world.other_club)
    client.force_login(world.users["leader"])
    page = client.get(reverse("certificates:certificate-list")).content.decode()
    assert world.objects["certificate"].number in page
    assert other.number not in page


def test_a_member_lists_only_their_own_certificates(client, world):
    (someone_else,) = more_certificates(world, 1)
    client.force_login(world.users["member"])
    page = client.get(reverse("certificates:certificate-list")).content.decode()
    assert world.objects["certificate"].number in page
    assert someone_else.number not in page
    assert 'name="club"' not in page  # no club filter for a member


def test_the_outsider_lists_none_of_them(client, world):
    client.force_login(world.users["outsider"])
    page = client.get(reverse("certificates:certificate-list")).content.decode()
    assert world.objects["certificate"].number not in page
    assert "0 certificates found" in page


def test_filters_by_status_and_expiry(client, world):
    soon, later = more_certificates(world, 2)
    soon.expires_on = date.today() + timedelta(days=30)
    soon.save()
    expired, revoked = more_certificates(world, 2)
    expired.expires_on = date.today() - timedelta(days=1)
    expired.save()
    revoked.status = "revoked"
    revoked.save()
    client.force_login(world.users["coordinator"])
    url = reverse("certificates:certificate-list")

    def numbers(**query) -> set[str]:
        page = client.get(url, query).content.decode()
        return {c.number for c in (soon, later, expired, revoked) if c.number in page}

    assert numbers(expiring="on") == {soon.number}
    assert numbers(state="expired") == {expired.number}
    assert numbers(state="revoked") == {revoked.number}
    assert numbers(state="valid") == {soon.number, later.number}
    assert numbers(club=world.club.pk) == {
        soon.number,
        later.number,
        expired.number,
        revoked.number,
    }


def test_a_club_outside_the_scope_is_not_a_filter_choice(client, world):
    client.force_login(world.users["leader"])
    response = client.get(reverse("certificates:certificate-list"), {"club": world.other_club.pk})
    choices = response.context["form"].fields["club"].queryset
    assert list(choices) == [world.club]
    assert world.other_club.name not in response.content.decode()


def test_the_export_holds_what_the_list_shows(client, world):
    factories.CertificateFactory(enrolment__session__club=world.other_club)
    client.force_login(world.users["leader"])
    response = client.get(reverse("certificates:certificate-export"), {"format": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Number"
    assert [row[0] for row in rows[1:]] == [world.objects["certificate"].number]
    csv = b"".join(
        client.get(reverse("certificates:certificate-export"), {"format": "csv"}).streaming_content
    ).decode("utf-8-sig")
    assert world.objects["certificate"].number in csv


# --- Detail, status fragment, download -------------------------------------------------


def test_the_holder_opens_and_downloads_their_certificate(client, world):
    certificate = world.objects["certificate"]
    client.force_login(world.users["member"])
    page = client.get(detail_url(certificate)).content.decode()
    assert "Download the PDF" in page
    assert "Re-issue" not in page and "Revoke" not in page
    response = client.get(
        reverse("certificates:certificate-download", kwargs={"certificate_pk": certificate.pk})
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == factories.PDF_BYTES
    assert 'filename="KOS-TEST-' in response["Content-Disposition"]


def test_a_pending_pdf_polls_until_it_is_ready(client, world):
    certificate = world.objects["certificate"]
    certificate.render_status = "pending"
    certificate.save()
    client.force_login(world.users["member"])
    page = client.get(detail_url(certificate)).content.decode()
    status_url = reverse(
        "certificates:certificate-status", kwargs={"certificate_pk": certificate.pk}
    )
    assert "being prepared" in page
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 2s"' in page
    assert "Reload the page" in page  # without JavaScript
    download = reverse(
        "certificates:certificate-download", kwargs={"certificate_pk": certificate.pk}
    )
    assert client.get(download).status_code == 404

    certificate.render_status = "done"
    certificate.save()
    fragment = client.get(status_url).content.decode()
    assert "hx-trigger" not in fragment  # polling stops
    assert download in fragment


def test_staff_see_the_actions_the_member_does_not(client, world):
    client.force_login(world.users["leader"])
    page = client.get(detail_url(world.objects["certificate"])).content.decode()
    assert "Re-issue with the current data" in page
    assert (
        reverse(
            "certificates:certificate-revoke",
            kwargs={"certificate_pk": world.objects["certificate"].pk},
        )
        in page
    )
    assert (
        reverse(
            "certificates:session-certificates-zip",
            kwargs={"session_pk": world.objects["session"].pk},
        )
        in page
    )


def test_others_get_404_for_the_certificate(client, world):
    certificate = world.objects["certificate"]
    client.force_login(world.users["outsider"])
    for name in ["certificate-detail", "certificate-status", "certificate-download"]:
        url = reverse(f"certificates:{name}", kwargs={"certificate_pk": certificate.pk})
        assert client.get(url).status_code == 404, name


def test_an_instructor_sees_the_certificates_of_the_sessions_they_taught_only(client, world):
    taught = world.objects["certificate"]  # the world's session is the instructor's
    other_session = factories.session_with_meeting(club=world.club, starts_in_days=-5)
    other = factories.CertificateFactory(
        enrolment=factories.EnrolmentFactory(session=other_session, result="passed")
    )
    client.force_login(world.users["instructor"])
    page = client.get(reverse("certificates:certificate-list")).content.decode()
    assert taught.number in page
    assert other.number not in page
    detail = "certificates:certificate-detail"
    assert client.get(reverse(detail, args=[taught.pk])).status_code == 200
    assert client.get(reverse(detail, args=[other.pk])).status_code == 404
    # Seeing someone's certificate is seeing their personal data: logged.
    logged = PersonalDataAccess.objects.get(user=world.users["instructor"], member=taught.member)
    assert logged.action == PersonalDataAccess.Action.VIEW


# --- Bulk downloads ------------------------------------------------------------------


def bulk_url(world, kind: str) -> str:
    return reverse(
        f"certificates:session-certificates-{kind}",
        kwargs={"session_pk": world.objects["session"].pk},
    )


def test_the_coordinator_downloads_a_session_as_a_zip(client, world):
    others = more_certificates(world, 2)
    (pending,) = more_certificates(world, 1)
    pending.render_status = "pending"
    pending.save()
    (revoked,) = more_certificates(world, 1)
    revoked.status = "revoked"
    revoked.save()
    client.force_login(world.users["coordinator"])
    response = client.get(bulk_url(world, "zip"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    expected = {
        c.number.replace("/", "-") + ".pdf" for c in [world.objects["certificate"], *others]
    }
    assert set(archive.namelist()) == expected | {"README.txt"}
    assert pending.number in archive.read("README.txt").decode()
    assert revoked.number not in archive.read("README.txt").decode()
    assert archive.read(sorted(expected)[0]) == factories.PDF_BYTES


def test_the_merged_pdf_has_a_page_per_certificate(client, world):
    from pypdf import PdfReader

    more_certificates(world, 2)
    client.force_login(world.users["leader"])
    response = client.get(bulk_url(world, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 3
    text = "".join(page.extract_text() for page in reader.pages)
    assert world.objects["certificate"].holder_name.split()[-1] in text


@pytest.mark.parametrize(
    ("role", "status"), [("instructor", 403), ("member", 403), ("outsider", 404)]
)
def test_bulk_downloads_are_for_club_staff(client, world, role, status):
    client.force_login(world.users[role])
    assert client.get(bulk_url(world, "zip")).status_code == status
    assert client.get(bulk_url(world, "pdf")).status_code == status


# --- Query counts -------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("role", ["national", "coordinator", "leader", "member"])
def test_the_list_keeps_its_query_count_as_certificates_grow(client, world, role):
    client.force_login(world.users[role])
    url = reverse("certificates:certificate-list")
    small = queries_for(client, url)
    more_certificates(world, 6)
    factories.CertificateFactory(enrolment__session__club__municipality=world.municipality)
    assert queries_for(client, url) == small


@pytest.mark.parametrize("role", ["leader", "member"])
def test_the_detail_keeps_its_query_count(client, world, role):
    client.force_login(world.users[role])
    url = detail_url(world.objects["certificate"])
    small = queries_for(client, url)
    more_certificates(world, 4)
    world.objects["session"].instructors.add(factories.InstructorProfileFactory())
    assert queries_for(client, url) == small


# --- #13: exports of holders' names are in the personal-data access log ------------------


def test_the_certificate_export_is_logged_with_filter_names_only(client, world):
    from members.models import PersonalDataAccess

    client.force_login(world.users["leader"])
    response = client.get(
        reverse("certificates:certificate-export"), {"format": "xlsx", "state": "valid"}
    )
    assert response.status_code == 200
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.action, row.member_count) == (
        world.users["leader"],
        PersonalDataAccess.Action.EXPORT,
        1,
    )
    assert row.detail.startswith("certificates xlsx") and "valid" not in row.detail


def test_downloading_someone_elses_certificate_pdf_is_logged_but_ones_own_is_not(client, world):
    from members.models import PersonalDataAccess

    certificate = world.objects["certificate"]
    url = reverse("certificates:certificate-download", kwargs={"certificate_pk": certificate.pk})
    client.force_login(world.users["member"])
    client.get(url)
    assert not PersonalDataAccess.objects.exists()
    client.force_login(world.users["leader"])
    client.get(url)
    row = PersonalDataAccess.objects.get()
    assert (row.action, row.member) == (PersonalDataAccess.Action.EXPORT, certificate.member)
