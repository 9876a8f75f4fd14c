"""Re-issue, revoke, the member's own data and erasure."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from certificates.models import Certificate
from certificates.services.management import certificate_reissue, certificate_revoke
from members.services.erasure import member_erase
from tests import factories


def reissue_url(certificate) -> str:
    return reverse("certificates:certificate-reissue", kwargs={"certificate_pk": certificate.pk})


def revoke_url(certificate) -> str:
    return reverse("certificates:certificate-revoke", kwargs={"certificate_pk": certificate.pk})


# --- Re-issue ----------------------------------------------------------------------


def test_reissue_keeps_the_number_and_code_and_takes_the_corrected_name(
    client, world, django_capture_on_commit_callbacks
):
    certificate = world.objects["certificate"]
    number, code = certificate.number, certificate.verification_code
    member = world.objects["member"]
    member.last_name = "Żółkiewska-Nowak"
    member.save()
    client.force_login(world.users["leader"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reissue_url(certificate))
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert (certificate.number, certificate.verification_code) == (number, code)
    assert certificate.holder_name == f"{member.first_name} Żółkiewska-Nowak"
    assert certificate.instructor_names == world.users["instructor"].get_full_name()
    assert certificate.reissued_at is not None
    assert certificate.render_status == Certificate.RenderStatus.PENDING
    # the render is queued after commit (besides the dashboards' refresh after a change)
    assert sum("enqueue_on_commit" in c.__qualname__ for c in callbacks) == 1


def test_a_revoked_certificate_cannot_be_reissued(world):
    certificate = world.objects["certificate"]
    certificate_revoke(certificate=certificate, revoked_by=world.users["leader"], reason="Błąd")
    with pytest.raises(ValidationError, match="revoked"):
        certificate_reissue(certificate=certificate, reissued_by=world.users["leader"])
    certificate.refresh_from_db()
    assert certificate.reissued_at is None


def test_the_member_may_not_reissue_their_own(client, world):
    client.force_login(world.users["member"])
    assert client.post(reissue_url(world.objects["certificate"])).status_code == 403


# --- Revoke ------------------------------------------------------------------------


def test_revoking_needs_a_reason(client, world):
    certificate = world.objects["certificate"]
    client.force_login(world.users["coordinator"])
    response = client.post(revoke_url(certificate), {"reason": "   "})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID


def test_revoking_shows_on_the_public_page(client, world):
    certificate = world.objects["certificate"]
    client.force_login(world.users["coordinator"])
    response = client.post(revoke_url(certificate), {"reason": "Egzamin powtórzony"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.revoked_by == world.users["coordinator"]
    assert certificate.revocation_reason == "Egzamin powtórzony"
    assert certificate.revoked_at is not None
    client.logout()
    page = client.get(
        reverse("certificates:verify", kwargs={"code": certificate.verification_code})
    ).content.decode()
    assert "This certificate has been revoked" in page


def test_revoking_twice_keeps_the_first_revocation(world):
    certificate = world.objects["certificate"]
    certificate_revoke(certificate=certificate, revoked_by=world.users["leader"], reason="Pierwszy")
    certificate_revoke(certificate=certificate, revoked_by=world.users["national"], reason="Drugi")
    certificate.refresh_from_db()
    assert certificate.revocation_reason == "Pierwszy"
    assert certificate.revoked_by == world.users["leader"]


def test_the_member_may_not_revoke(client, world):
    client.force_login(world.users["member"])
    response = client.post(revoke_url(world.objects["certificate"]), {"reason": "nie"})
    assert response.status_code == 403


# --- The member's own data -----------------------------------------------------------


def test_my_data_lists_my_certificates_with_downloads(client, world):
    certificate = world.objects["certificate"]
    client.force_login(world.users["member"])
    page = client.get(reverse("members:my-data")).content.decode()
    assert certificate.number in page
    assert (
        reverse("certificates:certificate-download", kwargs={"certificate_pk": certificate.pk})
        in page
    )
    assert "No certificates yet" not in page


def test_the_export_has_a_certificates_section(client, world):
    certificate = world.objects["certificate"]
    client.force_login(world.users["member"])
    data = client.get(reverse("members:my-data-json")).json()
    (row,) = data["certificates"]
    assert row["number"] == certificate.number
    assert row["state"] == "valid"
    assert row["verification_url"] == certificate.get_verification_url()
    printable = client.get(reverse("members:my-data-html")).content.decode()
    assert certificate.number in printable


# --- Erasure -----------------------------------------------------------------------


def test_erasure_removes_the_name_and_the_pdf_but_keeps_the_certificate(
    world, django_capture_on_commit_callbacks
):
    certificate = world.objects["certificate"]
    pdf_name = certificate.pdf.name
    storage = certificate.pdf.storage
    assert storage.exists(pdf_name)
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(
            member=world.objects["member"], erased_by=world.users["leader"], reason="wniosek"
        )
    certificate.refresh_from_db()
    assert certificate.holder_name == ""
    assert not certificate.pdf
    assert not storage.exists(pdf_name)
    assert certificate.number.startswith("KOS/")
    assert Certificate.objects.filter(pk=certificate.pk).exists()


def test_an_erased_holder_cannot_be_reissued(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member=world.objects["member"], erased_by=None, reason="wniosek")
    with pytest.raises(ValidationError, match="erased"):
        certificate_reissue(
            certificate=world.objects["certificate"], reissued_by=world.users["leader"]
        )


def test_the_bulk_pdf_leaves_out_erased_holders(client, world, django_capture_on_commit_callbacks):
    from io import BytesIO

    from pypdf import PdfReader

    other = factories.MembershipFactory(club=world.club).member
    factories.CertificateFactory(
        enrolment=factories.EnrolmentFactory(
            session=world.objects["session"], member=other, result="passed"
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member=world.objects["member"], erased_by=None, reason="wniosek")
    client.force_login(world.users["leader"])
    response = client.get(
        reverse(
            "certificates:session-certificates-pdf",
            kwargs={"session_pk": world.objects["session"].pk},
        )
    )
    assert len(PdfReader(BytesIO(response.content)).pages) == 1


# --- Demo --------------------------------------------------------------------------


def test_the_demo_has_rendered_certificates_and_prints_one_to_verify(
    capsys, db, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from training.models import Enrolment

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", force=True)
    passed = Enrolment.objects.filter(result="passed")
    assert passed.exists()
    certificates = Certificate.objects.filter(enrolment__in=passed)
    assert certificates.count() == passed.count()
    assert all(c.render_status == "done" and c.pdf for c in certificates)
    demo_certificate = certificates.get(member__user__email="czlonek@kos.example")
    assert demo_certificate.get_verification_url() in capsys.readouterr().out

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", force=True)  # a second run issues nothing new
    assert Certificate.objects.count() == certificates.count()
