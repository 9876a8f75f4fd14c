"""Public verification: no sign-in. The page by code (the QR code), the form by number
and surname, the signed JSON credential and the issuer's public key."""

from __future__ import annotations

import logging

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from certificates import keys
from certificates.forms import VerifyForm
from certificates.services import verification as services

logger = logging.getLogger(__name__)

# Per client IP. Enough for a person checking a few certificates or a scanner at an
# event; too few to walk through numbers and surnames.
VERIFY_RATE = "30/m"
VERIFY_FORM_RATE = "10/m"
CREDENTIAL_RATE = "30/m"


def _limited(request, group: str, rate: str, methods: list[str]) -> bool:
    return is_ratelimited(request, group=group, key="ip", rate=rate, method=methods, increment=True)


def _too_many(request) -> HttpResponse:
    message = _(
        "You have checked many certificates in a short time. Please wait a minute and try again."
    )
    response = render(
        request, "certificates/verify_rate_limited.html", {"message": message}, status=429
    )
    response["Retry-After"] = "60"
    return response


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    # Public data: a verifier's web page on another origin may fetch it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
@never_cache  # revocation must show at once
def verify(request, code: str):
    if _limited(request, "certificates.verify", VERIFY_RATE, ["GET", "HEAD"]):
        return _too_many(request)
    certificate = services.certificate_find_by_code(code)
    if certificate is None:
        return render(request, "certificates/verify_not_found.html", status=404)
    context = {
        "result": services.public_certificate(certificate),
        "credential_code": code,
    }
    return render(request, "certificates/verify.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
def verify_form(request):
    form = VerifyForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST":
        # Every submission counts, matched or not: the limit is what stops guessing.
        if _limited(request, "certificates.verify-form", VERIFY_FORM_RATE, ["POST"]):
            return _too_many(request)
        if form.is_valid():
            certificate = services.certificate_find_by_number_and_surname(
                form.cleaned_data["number"], form.cleaned_data["surname"]
            )
            context["searched"] = True
            if certificate is not None:
                context["result"] = services.public_certificate(certificate)
    return render(request, "certificates/verify_form.html", context)


@require_GET
@never_cache
def credential(request, code: str):
    """The signed credential. Revoked: still signed, with status "revoked" (an authentic
    answer a verifier can keep). Erased holder: 410, nothing to sign."""
    if _limited(request, "certificates.credential", CREDENTIAL_RATE, ["GET", "HEAD"]):
        return _json({"error": "rate_limited", "retry_after_seconds": 60}, status=429)
    certificate = services.certificate_find_by_code(code)
    if certificate is None:
        return _json({"error": "not_found"}, status=404)
    if services.public_certificate(certificate).anonymised:
        return _json({"error": "anonymised", "status": "issued"}, status=410)
    try:
        signed = services.credential_sign(services.credential_build(certificate))
    except keys.SigningKeyMissing as error:
        logger.error("Cannot sign certificate credentials: %s", error)
        return _json({"error": "signing_unavailable"}, status=503)
    return _json(signed)


@require_GET
def issuer_key(request):
    """The public key that checks every credential's JWS, as a JWK Set."""
    try:
        jwk = keys.public_jwk()
    except keys.SigningKeyMissing as error:
        logger.error("Cannot publish the certificate issuer key: %s", error)
        return _json({"error": "signing_unavailable"}, status=503)
    response = _json({"keys": [jwk]})
    response["Cache-Control"] = "public, max-age=3600"
    return response
