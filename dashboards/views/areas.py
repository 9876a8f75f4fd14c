"""Stub: the area dashboards helper replaces this module."""

from django.http import HttpResponse


def _stub(request, **kwargs):
    return HttpResponse(status=501)


index = refresh = country = country_export = voivodeship = voivodeship_export = _stub
powiat = powiat_export = gmina = gmina_export = _stub
