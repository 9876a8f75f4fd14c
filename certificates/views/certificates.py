"""Certificate pages for staff and members: the list (and its export), one certificate
with its PDF, re-issue, revoke, and a session's certificates in bulk.

Lookups go through Certificate/Session.objects.visible_to (404 outside the user's scope);
actions are checked with access.require (403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from certificates import selectors
from certificates.forms import CertificateFilterForm, RevokeForm
from certificates.models import Certificate
from certificates.services import management as services
from kos_portal import access
from kos_portal.access import require
from kos_portal.exports import export_response
from kos_portal.pagination import Paginator
from members.models import PersonalDataAccess
from members.services.access_log import personal_data_access_log, request_detail

PAGE_SIZE = 50


def _filtered(request):
    clubs, courses = selectors.certificate_filter_choices(request.user)
    form = CertificateFilterForm(request.GET or None, clubs=clubs, courses=courses)
    filters = form.cleaned_data if form.is_valid() else {}
    certificates = selectors.certificate_list_for(
        request.user,
        club=filters.get("club"),
        course=filters.get("course"),
        state=filters.get("state") or "",
        expiring=bool(filters.get("expiring")),
    )
    return form, certificates


@login_required
def certificate_list(request):
    form, certificates = _filtered(request)
    page = Paginator(certificates, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for certificate in page:
        certificate.state = certificate.state_on(today)
    # From the cached scope (no query): members see only their own, without club filters.
    staff = bool(access.user_scope(request.user).roles & access.PERSONAL_DATA_ROLES)
    context = {"form": form, "page": page, "staff": staff}
    return render(request, "certificates/certificate_list.html", context)


@login_required
def certificate_export(request):
    _form, certificates = _filtered(request)
    today = timezone.localdate()
    header = [
        _("Number"),
        _("Holder"),
        _("Club"),
        _("Course code"),
        _("Course"),
        _("Pillar"),
        _("Hours"),
        _("Issued on"),
        _("Valid until"),
        _("Status"),
        _("PDF"),
    ]
    rows = (
        [
            c.number,
            c.holder_name,
            c.club.name,
            c.course.code,
            c.course_title,
            c.pillar.name if c.pillar_id else "",
            float(c.hours),
            c.issued_on,
            c.expires_on,
            c.state_on(today),
            c.get_render_status_display(),
        ]
        for c in certificates.iterator(chunk_size=500)
    )
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    # Holders' names leave the portal: logged like every other export (#13).
    personal_data_access_log(
        user=request.user,
        action=PersonalDataAccess.Action.EXPORT,
        member_count=certificates.count(),
        detail=request_detail(request, f"certificates {fmt}"),
    )
    return export_response(fmt, f"certificates-{today.isoformat()}", header, rows)


def _detail_context(request, certificate: Certificate) -> dict:
    return {
        "certificate": certificate,
        "state": certificate.state_on(timezone.localdate()),
        "anonymised": certificate.member.anonymised_at is not None,
    }


@login_required
def certificate_detail(request, certificate_pk: int):
    certificate = selectors.certificate_get_for(request.user, certificate_pk)
    if certificate.member.user_id != request.user.pk:  # staff or the session's instructor
        personal_data_access_log(
            user=request.user,
            action=PersonalDataAccess.Action.VIEW,
            member=certificate.member,
            detail="certificate",
        )
    return render(
        request, "certificates/certificate_detail.html", _detail_context(request, certificate)
    )


@login_required
def certificate_status(request, certificate_pk: int):
    """The "being prepared / download" fragment that the detail page polls."""
    certificate = selectors.certificate_get_for(request.user, certificate_pk)
    return render(request, "certificates/_certificate_status.html", {"certificate": certificate})


@login_required
def certificate_download(request, certificate_pk: int):
    certificate = selectors.certificate_get_for(request.user, certificate_pk)
    if certificate.render_status != Certificate.RenderStatus.DONE or not certificate.pdf:
        raise Http404(_("The PDF is not ready yet."))
    if certificate.member.user_id != request.user.pk:  # one's own certificate is not logged
        personal_data_access_log(
            user=request.user,
            action=PersonalDataAccess.Action.EXPORT,
            member=certificate.member,
            club=certificate.club,
            detail=request_detail(request, "certificate pdf"),
        )
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=services.certificate_filename(certificate),
        content_type="application/pdf",
    )


@require_POST
@login_required
def certificate_reissue(request, certificate_pk: int):
    certificate = selectors.certificate_get_for(request.user, certificate_pk)
    require(request.user, "certificates.reissue", certificate)
    try:
        services.certificate_reissue(certificate=certificate, reissued_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Certificate %(number)s was re-issued; its new PDF is being prepared.")
            % {"number": certificate.number},
        )
    return redirect(certificate)


@login_required
@require_http_methods(["GET", "POST"])
def certificate_revoke(request, certificate_pk: int):
    certificate = selectors.certificate_get_for(request.user, certificate_pk)
    require(request.user, "certificates.revoke", certificate)
    form = RevokeForm(request.POST or None)
    if form.is_valid():
        try:
            services.certificate_revoke(
                certificate=certificate, revoked_by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            messages.success(
                request, _("Certificate %(number)s was revoked.") % {"number": certificate.number}
            )
            return redirect(certificate)
    return render(
        request, "certificates/certificate_revoke.html", {"certificate": certificate, "form": form}
    )


def _session_for_bulk(request, session_pk: int):
    session = selectors.session_get_for(request.user, session_pk)
    require(request.user, "certificates.bulk_download", session)
    certificates = selectors.session_certificates_for(request.user, session)
    if certificates:
        personal_data_access_log(
            user=request.user,
            action=PersonalDataAccess.Action.EXPORT,
            club=session.club,
            member_count=len(certificates),
            detail=request_detail(request, "session certificates"),
        )
    return session, certificates


def _bulk_filename(session, extension: str) -> str:
    day = timezone.localtime(session.starts_at).date().isoformat() if session.starts_at else ""
    return f"certificates-{session.course.code}-{day or session.pk}.{extension}"


@login_required
def session_certificates_zip(request, session_pk: int):
    session, certificates = _session_for_bulk(request, session_pk)
    if not certificates:
        messages.info(request, _("This session has no certificates to download."))
        return redirect(session)
    content, _missing = services.certificates_zip(certificates)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{_bulk_filename(session, "zip")}"'
    return response


@login_required
def session_certificates_pdf(request, session_pk: int):
    session, certificates = _session_for_bulk(request, session_pk)
    try:
        content = services.certificates_merged_pdf(certificates)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
        return redirect(session)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_bulk_filename(session, "pdf")}"'
    return response
