"""Rendering certificates to PDF with WeasyPrint.

What every render shares is built once per process and reused (docs/performance.md):
one FontConfiguration (a new one per render leaks ~0.26 MB and costs ~10 ms), the parsed
stylesheet and the compiled template. Only the certificate's own HTML is per render.
"""

from __future__ import annotations

import atexit
import logging
import mimetypes
import os
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template import loader
from django.utils import timezone

from certificates.models import Certificate
from kos_portal.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

TEMPLATE_NAME = "certificates/pdf/certificate.html"
STYLESHEET = "certificates/certificate.css"
# Test hook for the worker test that kills a worker mid-render: the worker sleeps this
# long inside the render. Read only with DEBUG on, so it can never slow production.
TEST_DELAY_VARIABLE = "KOS_TEST_RENDER_DELAY_SECONDS"

_shared_lock = threading.Lock()
_shared: dict = {}
# Drop the shared objects while the interpreter is still whole: FontConfiguration's
# finaliser otherwise runs after its modules are torn down and prints a TypeError.
atexit.register(_shared.clear)


def static_root() -> Path:
    """Our static source directory. PDFs read it, never STATIC_ROOT: its stylesheets use
    plain relative url()s (collectstatic's manifest rewrites those in its own copy), and
    the source files are the same in development and in the image."""
    return (Path(settings.BASE_DIR) / "static").resolve()


def static_path_for(url: str) -> Path:
    """The file under our static directory that the file:// `url` names; WeasyPrint makes
    such URLs from the relative url()/src of our stylesheets and templates.

    Raises ValueError for anything else: remote URLs, other files, `..` escapes.
    """
    root = static_root()
    if url.startswith("file:"):
        path = Path(unquote(urlsplit(url).path)).resolve()
    else:
        raise ValueError(f"Certificates may load only the project's static files, not {url!r}")
    if not path.is_relative_to(root) or not path.is_file():
        raise ValueError(f"Not a static file of the project: {url!r}")
    return path


def _url_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # heavy import: lazily

    class StaticOnlyURLFetcher(URLFetcher):
        """Serves our static files and data: URIs; refuses everything else (no network)."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, fail_on_errors=True)

        def fetch(self, url, headers=None):
            if url.startswith("data:"):  # the QR code: inline, nothing is fetched
                return super().fetch(url, headers)
            path = static_path_for(url)
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if path.suffix == ".ttf":
                mime_type = "font/ttf"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime_type})

    return StaticOnlyURLFetcher


def url_fetcher():
    """The fetcher every render uses: only our static files, never the network."""
    return _get_shared()["url_fetcher"]


def pdf_kit(template_name: str, stylesheet: str) -> dict:
    """Font configuration, URL fetcher, parsed stylesheet and template for one kind of PDF
    (certificates, the gmina's yearly report), built once per process. Every kind shares
    the process's one FontConfiguration and fetcher: a configuration per render (or per
    kind) makes memory grow (docs/performance.md)."""
    key = (template_name, stylesheet)
    kit = _shared.get(key)
    if kit is None:
        with _shared_lock:
            kit = _shared.get(key)
            if kit is None:
                from weasyprint import CSS
                from weasyprint.text.fonts import FontConfiguration

                if "font_config" not in _shared:
                    _shared["font_config"] = FontConfiguration()
                    _shared["url_fetcher"] = _url_fetcher_class()()
                font_config, fetcher = _shared["font_config"], _shared["url_fetcher"]
                css_path = static_root() / stylesheet
                kit = {
                    "font_config": font_config,
                    "css": CSS(
                        string=css_path.read_text(encoding="utf-8"),
                        base_url=css_path.as_uri(),
                        font_config=font_config,
                        url_fetcher=fetcher,
                    ),
                    "template": loader.get_template(template_name),
                    "url_fetcher": fetcher,
                }
                _shared[key] = kit
    return kit


def _get_shared() -> dict:
    """The certificates' kit (pdf_kit)."""
    return pdf_kit(TEMPLATE_NAME, STYLESHEET)


def _hours(hours: Decimal) -> str:
    # Polish decimal comma; whole hours without ",0".
    return f"{hours:f}".rstrip("0").rstrip(".").replace(".", ",") if hours % 1 else f"{hours:.0f}"


def _qr_data_uri(url: str) -> str:
    # A PNG, not an SVG: WeasyPrint embeds an image almost for free but draws an SVG path by
    # path (about 3 ms a certificate). A fixed mask skips segno's trial of all eight masks;
    # any mask is valid for readers. Together: median render 45 -> 39 ms (docs/performance.md).
    return segno.make(url, error="m", mask=0).png_data_uri(scale=4, border=2)


def _item(certificate: Certificate) -> dict:
    url = certificate.get_verification_url()
    course = certificate.course
    pillar = certificate.pillar
    return {
        "certificate": certificate,
        "course_title_en": (
            course.title_en if course.title_en and course.title_en != course.title else ""
        ),
        "pillar": f"{pillar.number}. {pillar.name_pl}" if pillar else "",
        "hours": _hours(certificate.hours),
        "verification_url": url,
        "qr_data_uri": _qr_data_uri(url),
    }


def _render_pdf(certificates: list[Certificate]) -> bytes:
    from weasyprint import HTML

    shared = _get_shared()
    html = shared["template"].render({"items": [_item(c) for c in certificates]})
    return HTML(
        string=html, base_url=static_root().as_uri() + "/", url_fetcher=shared["url_fetcher"]
    ).write_pdf(stylesheets=[shared["css"]], font_config=shared["font_config"])


def certificate_pdf_bytes(certificate: Certificate) -> bytes:
    """The certificate as a one-page PDF (A4 landscape); nothing is saved."""
    return _render_pdf([certificate])


def certificates_render_merged(certificates: Iterable[Certificate]) -> bytes:
    """All `certificates` as one PDF, a page each. Fonts are embedded once, so this is
    about 2× faster and far smaller than separate files: use it for bulk downloads."""
    certificates = list(certificates)
    if not certificates:
        raise ValueError("No certificates to render.")
    return _render_pdf(certificates)


def _pdf_filename(certificate: Certificate) -> str:
    return certificate.number.replace("/", "-") + ".pdf"


def _test_delay() -> None:
    if settings.DEBUG and (seconds := float(os.environ.get(TEST_DELAY_VARIABLE) or 0)):
        time.sleep(seconds)


@transaction.atomic
def certificate_render(*, certificate: Certificate) -> None:
    """Render the certificate's PDF and store it, replacing any earlier file.

    Sets render_status done (or failed with render_error on a permanent error, e.g. a
    template bug) and counts the attempt. OSError (disk, storage) and the task's soft time
    limit are raised for the caller to retry. Rendering the same certificate again leaves
    one file. Once rendered, the "certificate ready" email is queued after commit if due.
    """
    certificate.render_attempts += 1
    try:
        content = certificate_pdf_bytes(certificate)
    except (OSError, SoftTimeLimitExceeded):  # transient, or too slow this time: retry
        raise
    except Exception as exc:  # anything else will fail again the same way: stop here
        logger.exception("Rendering certificate %s failed", certificate.number)
        certificate.render_status = Certificate.RenderStatus.FAILED
        certificate.render_error = f"{type(exc).__name__}: {exc}"[:500]
        certificate.save(update_fields=["render_status", "render_error", "render_attempts"])
        return
    _test_delay()
    # Storage adds a suffix to a name already taken, so clear both the current file and
    # anything left under the target name (say, by a render whose transaction rolled back).
    if certificate.pdf:
        certificate.pdf.delete(save=False)
    field = Certificate._meta.get_field("pdf")
    name = field.generate_filename(certificate, _pdf_filename(certificate))
    if field.storage.exists(name):
        field.storage.delete(name)
    certificate.pdf.save(_pdf_filename(certificate), ContentFile(content), save=False)
    certificate.render_status = Certificate.RenderStatus.DONE
    certificate.rendered_at = timezone.now()
    certificate.render_error = ""
    certificate.save(
        update_fields=["pdf", "render_status", "rendered_at", "render_error", "render_attempts"]
    )
    if certificate.ready_email_due:
        from certificates.tasks import certificate_ready_email_task  # tasks import this module

        enqueue_on_commit(certificate_ready_email_task, certificate.pk)


def certificate_render_claimed(*, certificate_id: int) -> bool:
    """Render the certificate if it is still waiting for its PDF and nobody else is on it;
    True if this call rendered it. Safe to run twice, even at the same time.

    Two copies of the task can run at once (the reconciler re-queued a certificate whose
    first task is only slow, or Redis redelivered a message). Each claims the row with
    SELECT … FOR UPDATE SKIP LOCKED and keeps the lock until its file is stored: the second
    copy finds the row locked and stops, or finds it done once the first commits. A worker
    that dies mid-render drops its connection, PostgreSQL releases the lock, the status is
    still pending, and the redelivered task or the reconciler renders it again.
    """
    with transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("course", "pillar")
            .filter(pk=certificate_id)
            .first()
        )
        if certificate is None:  # gone, or another worker holds it right now
            return False
        if certificate.render_status != Certificate.RenderStatus.PENDING:  # done or failed
            return False
        logger.info("Rendering certificate %s", certificate.number)
        certificate_render(certificate=certificate)
        return certificate.render_status == Certificate.RenderStatus.DONE


def certificate_render_reconcile(*, limit: int = 1000) -> int:
    """Re-queue certificates whose PDF has been pending longer than
    CERTIFICATE_RENDER_STALE_SECONDS; returns how many. Safe to run twice, even at once.

    Each re-queued certificate gets a new render_requested_at, so the next run leaves it
    alone for another stale period instead of queueing it every two minutes.
    """
    from certificates.tasks import certificate_render_task  # tasks import this module

    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.CERTIFICATE_RENDER_STALE_SECONDS)
    with transaction.atomic():
        # SKIP LOCKED: rows a worker is rendering right now are not stale, and a second
        # reconciler running at once takes only rows the first did not.
        pks = list(
            Certificate.objects.select_for_update(skip_locked=True)
            .filter(render_status=Certificate.RenderStatus.PENDING, render_requested_at__lt=cutoff)
            .order_by("render_requested_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if pks:
            Certificate.objects.filter(pk__in=pks).update(render_requested_at=now)
            for pk in pks:
                enqueue_on_commit(certificate_render_task, pk)
    if pks:
        logger.warning("Re-queued %d certificate(s) left pending too long", len(pks))
    return len(pks)
