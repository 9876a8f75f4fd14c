"""Request-wide rules: NUL bytes refused, the user's language, privileged session expiry,
and required MFA."""

import time
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from kos_portal import access


class RejectNulBytesMiddleware:
    """A NUL byte in the path, the query string or a form field answers 400, here, once.

    PostgreSQL refuses NUL in text ("A string literal cannot contain NUL"), and the OS in
    file names, so without this a NUL in `?q=`, a token or a code reached a query and
    answered 500 (issue #13: /verify/%00/, /training/instructors/?q=%00, ...). No field of
    ours ever needs one. First in MIDDLEWARE: nothing else sees such a request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            language = translation.get_language_from_request(request)
            with translation.override(language):
                message = gettext("The request contains a NUL character, which is never valid.")
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(request) -> bool:
    if "\x00" in request.path_info or b"\x00" in unquote_to_bytes(
        request.META.get("QUERY_STRING", "")
    ):
        return True
    if request.method in ("POST", "PUT", "PATCH"):
        # Form fields only (urlencoded or multipart); uploaded files' contents are binary.
        for key, values in request.POST.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return False


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
    """Staff (every role that sees personal data) are signed out after 30 minutes without a
    request, and 12 hours after signing in whatever they do (PRIVILEGED_SESSION_MAX_SECONDS).

    set_expiry() slides the window forward (and saves the session). Signing in starts the
    window (start_idle_window), so the requests that follow need not save. After that the
    window moves at most once a minute (IDLE_REFRESH_SECONDS): saving the session on every
    request cost three queries a page (issue #7), and a window that ends up to a minute
    early changes nothing that matters.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        staff = user is not None and user.is_authenticated and access.is_privileged(user)
        if staff and _past_absolute_cap(request.session):
            logout(request)
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and access.is_privileged(user):
            _slide_idle_window(request.session)
        return response


# When the user signed in (a Unix time in the session): the start of the absolute cap.
SIGNED_IN_AT_KEY = "_kos_signed_in_at"


def _past_absolute_cap(session) -> bool:
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    if signed_in_at is None:  # a session from before the cap existed: the cap starts now
        session[SIGNED_IN_AT_KEY] = int(time.time())
        return False
    return time.time() - signed_in_at >= settings.PRIVILEGED_SESSION_MAX_SECONDS


# When the idle window last moved (a Unix time in the session), and how often it may move.
IDLE_REFRESHED_KEY = "_kos_idle_refreshed"
IDLE_REFRESH_SECONDS = 60


def _slide_idle_window(session) -> None:
    idle = settings.PRIVILEGED_SESSION_IDLE_SECONDS
    now = int(time.time())
    refreshed = session.get(IDLE_REFRESHED_KEY)
    recent = refreshed is not None and 0 <= now - refreshed < IDLE_REFRESH_SECONDS
    if not recent or session.get_expiry_age() != idle:
        session.set_expiry(idle)
        session[IDLE_REFRESHED_KEY] = now


def start_idle_window(sender, request, user, **kwargs) -> None:
    """On user_logged_in: a privileged user's session gets its short window with the
    login's own save (connected in KosPortalConfig.ready)."""
    if request is None or not hasattr(request, "session"):
        return
    # Every sign-in records its time: a member may become staff within this session.
    request.session[SIGNED_IN_AT_KEY] = int(time.time())
    had_scope = hasattr(user, "_kos_scope")
    privileged = access.is_privileged(user)
    if not had_scope:  # roles may still change in this request (accepting an invitation)
        access.forget_scope(user)
    if privileged:
        _slide_idle_window(request.session)


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
