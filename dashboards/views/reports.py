"""The gmina's yearly report: the list with a request form, and the two downloads.

Files are streamed through these views (MEDIA is never served directly), after the same
scope checks as the list: outside the user's gminas 404, a role that may not read reports
403, a report not ready yet 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from clubs.models import Municipality
from dashboards.forms_reports import ReportRequestForm
from dashboards.models import GminaReport
from dashboards.services import reports as services
from kos_portal import access

RULE = "dashboards.request_report"


def _municipality_for(user, municipality_pk: int) -> Municipality:
    municipality = get_object_or_404(
        access.scope_municipalities(Municipality.objects.select_related("powiat"), user),
        pk=municipality_pk,
    )
    access.require(user, RULE, municipality)
    return municipality


@login_required
def report_list(request, municipality_pk: int):
    municipality = _municipality_for(request.user, municipality_pk)
    posted = request.POST if request.method == "POST" else None  # an empty POST is invalid
    form = ReportRequestForm(posted, years=services.report_years(municipality))
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        report = services.report_request(
            municipality=municipality, year=year, requested_by=request.user
        )
        report.refresh_from_db(fields=["status"])  # without a broker it is ready already
        if report.status == GminaReport.Status.DONE:
            message = _("The report for %(year)s is ready.")
        else:
            message = _("The report for %(year)s is being prepared. It appears below when ready.")
        messages.success(request, message % {"year": year})
        return redirect("dashboards:report-list", municipality_pk=municipality.pk)
    reports = services.report_list_for(municipality, request.user)
    context = {
        "municipality": municipality,
        "reports": reports,
        "form": form,
        # The table asks again every few seconds while a report is being prepared (htmx).
        "preparing": any(r.status == GminaReport.Status.PENDING for r in reports),
    }
    if request.htmx:
        return render(request, "dashboards/includes/report_table.html", context)
    return render(request, "dashboards/report_list.html", context)


def _report_file(request, report_pk: int, field_name: str) -> FileResponse:
    report = get_object_or_404(
        access.scope_gmina_objects(
            GminaReport.objects.select_related("municipality"), request.user
        ),
        pk=report_pk,
    )
    access.require(request.user, RULE, report)
    file = getattr(report, field_name)
    if report.status != GminaReport.Status.DONE or not file:
        raise Http404(_("The report is not ready yet."))
    extension = field_name
    return FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=f"raport-{report.municipality.code}-{report.year}.{extension}",
    )


@login_required
def report_pdf(request, report_pk: int):
    return _report_file(request, report_pk, "pdf")


@login_required
def report_xlsx(request, report_pk: int):
    return _report_file(request, report_pk, "xlsx")
