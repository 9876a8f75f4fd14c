"""Rendering certificate PDFs: content, QR code, fonts, files, task and reconciler."""

import io
import subprocess
from datetime import date, timedelta
from unittest import mock

import pytest
import zxingcpp
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from certificates.models import Certificate
from certificates.services import rendering
from certificates.services.issuing import certificate_issue
from certificates.tasks import certificate_render_reconcile_task, certificate_render_task
from tests import factories
from training.models import Enrolment

pytestmark = pytest.mark.django_db

POLISH_NAME = ("Zażółć", "Gęślą-Jaźń")


def pdf_text(content: bytes) -> str:
    """All text of a PDF, page after page."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def qr_codes(content: bytes) -> list[str]:
    """The QR codes on the PDF's first page, rasterised at 150 dpi by poppler's pdftoppm
    (WeasyPrint only writes PDFs)."""
    png = subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout
    image = Image.open(io.BytesIO(png))
    return [code.text for code in zxingcpp.read_barcodes(image)]


def issued_certificate(*, first_name=POLISH_NAME[0], last_name=POLISH_NAME[1]) -> Certificate:
    """A passed enrolment's certificate, issued without rendering it."""
    instructor = factories.InstructorProfileFactory(
        user=factories.UserFactory(first_name="Anna", last_name="Nowak")
    )
    session = factories.session_with_meeting(
        instructor=instructor,
        starts_in_days=-10,
        course=factories.CourseFactory(title="Pierwsza pomoc", title_en="First aid", hours=8),
    )
    enrolment = factories.EnrolmentFactory(
        session=session,
        member=factories.MemberFactory(first_name=first_name, last_name=last_name),
        result=Enrolment.Result.PASSED,
        completed_on=date(2026, 12, 5),
    )
    with mock.patch("certificates.tasks.certificate_render_task.apply_async"):
        return certificate_issue(enrolment=enrolment)


def stored_pdfs() -> list[str]:
    """Every file in the certificates' storage folder of this year."""
    folder = f"certificates/{timezone.now():%Y}"
    if not default_storage.exists(folder):
        return []
    return sorted(default_storage.listdir(folder)[1])


def test_a_certificate_renders_as_one_a4_landscape_page():
    content = rendering.certificate_pdf_bytes(issued_certificate())
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape


def test_the_pdf_holds_the_polish_name_and_the_facts():
    certificate = issued_certificate()
    text = pdf_text(rendering.certificate_pdf_bytes(certificate))
    assert "Zażółć Gęślą-Jaźń" in text
    assert certificate.number in text
    assert "Pierwsza pomoc" in text
    assert "First aid" in text
    assert "Anna Nowak" in text
    assert "05.12.2026" in text  # issued
    assert "05.12.2029" in text  # valid until (36 months)
    assert "Kluby Odporności Społecznej" in text
    assert certificate.get_verification_url() in text.replace("\n", "")


def test_only_the_fonts_shipped_with_the_project_are_embedded():
    reader = PdfReader(io.BytesIO(rendering.certificate_pdf_bytes(issued_certificate())))
    fonts = {
        font["/BaseFont"]
        for font in (obj.get_object() for obj in reader.pages[0]["/Resources"]["/Font"].values())
    }
    # "KOS Sans" is the @font-face family of static/fonts/DejaVuSans*.ttf: no system font.
    assert {name.split("+", 1)[1] for name in fonts} == {"KOS-Sans", "KOS-Sans-Bold"}


def test_the_qr_code_holds_the_verification_url():
    certificate = issued_certificate()
    assert qr_codes(rendering.certificate_pdf_bytes(certificate)) == [
        certificate.get_verification_url()
    ]


def test_the_url_fetcher_refuses_the_network():
    fetcher = rendering.url_fetcher()
    for url in ("http://example.com/logo.png", "https://example.com/font.ttf", "ftp://x/y"):
        with pytest.raises(ValueError, match="only the project's static files"):
            fetcher.fetch(url)


def test_the_url_fetcher_refuses_files_outside_static():
    fetcher = rendering.url_fetcher()
    for url in (
        "file:///etc/passwd",
        (rendering.static_root() / ".." / "manage.py").as_uri(),
        rendering.static_root().as_uri() + "/fonts/../../manage.py",
        rendering.static_root().as_uri() + "/fonts/missing.ttf",
    ):
        with pytest.raises(ValueError, match="Not a static file"):
            fetcher.fetch(url)


def test_the_url_fetcher_refuses_other_schemes():
    # The scheme our stylesheets once used: collectstatic's manifest cannot resolve it.
    with pytest.raises(ValueError, match="only the project's static files"):
        rendering.url_fetcher().fetch("kos-static://fonts/DejaVuSans.ttf")


def test_the_url_fetcher_serves_our_fonts():
    font = rendering.static_root() / "fonts" / "DejaVuSans.ttf"
    response = rendering.url_fetcher().fetch(font.as_uri())
    try:
        assert response.read(4) == b"\x00\x01\x00\x00"  # a TrueType font
        assert response.content_type == "font/ttf"
    finally:
        response.close()


def test_renders_share_one_font_configuration_and_stylesheet():
    certificate = issued_certificate()
    rendering.certificate_pdf_bytes(certificate)
    shared = dict(rendering._get_shared())
    rendering.certificate_pdf_bytes(certificate)
    assert rendering._get_shared()["font_config"] is shared["font_config"]
    assert rendering._get_shared()["css"] is shared["css"]


def test_rendering_stores_the_pdf_and_marks_it_done():
    certificate = issued_certificate()
    rendering.certificate_render(certificate=certificate)
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.DONE
    assert certificate.rendered_at is not None
    assert certificate.render_attempts == 1
    assert certificate.pdf.name.endswith("KOS-2026-000001.pdf")
    with certificate.pdf.open("rb") as pdf:
        assert "Zażółć Gęślą-Jaźń" in pdf_text(pdf.read())


def test_rendering_again_replaces_the_file_without_a_suffix():
    certificate = issued_certificate()
    rendering.certificate_render(certificate=certificate)
    first_name = certificate.pdf.name
    certificate.holder_name = "Zażółć Poprawiona"  # a name correction, then a re-issue
    certificate.save()
    rendering.certificate_render(certificate=certificate)
    certificate.refresh_from_db()
    assert certificate.pdf.name == first_name
    assert stored_pdfs() == ["KOS-2026-000001.pdf"]
    with certificate.pdf.open("rb") as pdf:
        assert "Zażółć Poprawiona" in pdf_text(pdf.read())


def test_a_leftover_file_under_the_name_is_replaced_not_suffixed():
    certificate = issued_certificate()
    # A render whose transaction rolled back after the file was written leaves it behind.
    default_storage.save(f"certificates/{timezone.now():%Y}/KOS-2026-000001.pdf", io.BytesIO(b"x"))
    rendering.certificate_render(certificate=certificate)
    assert stored_pdfs() == ["KOS-2026-000001.pdf"]


def test_the_task_twice_gives_one_file_and_one_render():
    certificate = issued_certificate()
    certificate_render_task.delay(certificate.pk)
    certificate_render_task.delay(certificate.pk)
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.DONE
    assert certificate.render_attempts == 1  # the second run found it done
    assert stored_pdfs() == ["KOS-2026-000001.pdf"]


def test_the_task_stops_quietly_when_the_certificate_is_gone():
    assert certificate_render_task.delay(987654).get() is None
    assert stored_pdfs() == []


def test_a_permanent_error_marks_the_render_failed():
    certificate = issued_certificate()
    with mock.patch.object(rendering, "_render_pdf", side_effect=ValueError("bad template")):
        certificate_render_task.delay(certificate.pk)
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.FAILED
    assert certificate.render_error == "ValueError: bad template"
    assert certificate.render_attempts == 1
    assert not certificate.pdf


def test_a_storage_error_leaves_the_render_pending_for_a_retry():
    certificate = issued_certificate()
    with (
        mock.patch.object(default_storage, "save", side_effect=OSError("disk full")),
        pytest.raises(OSError),
    ):
        rendering.certificate_render(certificate=certificate)
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.PENDING
    assert certificate.render_attempts == 0  # rolled back: nothing half-written
    assert not certificate.pdf


def test_several_certificates_merge_into_one_document():
    certificates = [
        issued_certificate(first_name="Zażółć"),
        issued_certificate(first_name="Łucja"),
        issued_certificate(first_name="Ćma"),
    ]
    content = rendering.certificates_render_merged(certificates)
    assert len(PdfReader(io.BytesIO(content)).pages) == 3
    text = pdf_text(content)
    assert all(c.number in text for c in certificates)
    assert "Łucja" in text


def stale(certificate: Certificate, seconds: int) -> None:
    Certificate.objects.filter(pk=certificate.pk).update(
        render_requested_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_the_reconciler_requeues_only_certificates_pending_too_long(
    settings, django_capture_on_commit_callbacks
):
    settings.CERTIFICATE_RENDER_STALE_SECONDS = 300
    old = issued_certificate()
    fresh = issued_certificate()
    done = issued_certificate()
    rendering.certificate_render(certificate=done)
    stale(old, 301)
    stale(done, 3000)
    with (
        mock.patch("certificates.tasks.certificate_render_task.apply_async") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert certificate_render_reconcile_task.delay().get() == 1
    delay.assert_called_once_with(args=(old.pk,), kwargs={})
    old.refresh_from_db()
    assert old.render_requested_at > timezone.now() - timedelta(seconds=60)
    fresh.refresh_from_db()
    assert fresh.render_status == Certificate.RenderStatus.PENDING


def test_the_reconciler_does_not_requeue_the_same_certificate_every_run(
    settings, django_capture_on_commit_callbacks
):
    settings.CERTIFICATE_RENDER_STALE_SECONDS = 300
    stale(issued_certificate(), 600)
    with (
        mock.patch("certificates.tasks.certificate_render_task.apply_async") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert rendering.certificate_render_reconcile() == 1
        assert rendering.certificate_render_reconcile() == 0
    assert delay.call_count == 1


def test_the_reconciler_gets_a_lost_certificate_rendered(
    settings, django_capture_on_commit_callbacks
):
    settings.CERTIFICATE_RENDER_STALE_SECONDS = 300
    certificate = issued_certificate()  # its message was "lost": delay was mocked out
    stale(certificate, 900)
    with django_capture_on_commit_callbacks(execute=True):
        certificate_render_reconcile_task.delay()  # tasks run inline here
    certificate.refresh_from_db()
    assert certificate.render_status == Certificate.RenderStatus.DONE
    assert stored_pdfs() == ["KOS-2026-000001.pdf"]


def test_the_reconciler_runs_every_two_minutes(settings):
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "certificates.tasks.certificate_render_reconcile_task"
    )
    assert entry["schedule"] == 120
