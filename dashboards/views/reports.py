"""Stub: the yearly report helper replaces this module."""

from django.http import HttpResponse


def _stub(request, **kwargs):
    return HttpResponse(status=501)


report_list = report_pdf = report_xlsx = _stub
