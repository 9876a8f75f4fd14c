"""Stub: the club dashboard helper replaces this module."""

from django.http import HttpResponse


def _stub(request, **kwargs):
    return HttpResponse(status=501)


club = club_export = _stub
