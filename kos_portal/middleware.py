"""Request-wide rules: the user's language, privileged session expiry, and required MFA."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from kos_portal import access


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the cookie and the browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class PrivilegedSessionMiddleware:
    """National staff and coordinators are signed out after 30 minutes without a request.

    set_expiry() on every request slides the window forward (and saves the session). It
    runs after the view, so the request that signs someone in already gets the short
    window, rather than the default two weeks until their next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and access.is_privileged(user):
            request.session.set_expiry(settings.PRIVILEGED_SESSION_IDLE_SECONDS)
        return response


# Paths a user who still owes MFA set-up can reach: accounts (to set it up or sign out),
# language switching, static files and health checks.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/mfa-required/")


class MfaRequiredMiddleware:
    """allauth has no "MFA required" switch; this is it, decided by access.mfa_missing()."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and access.mfa_missing(user)
        ):
            return redirect(reverse("mfa-required"))
        return self.get_response(request)
