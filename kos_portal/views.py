"""Site-wide pages: the role-aware home page, health check, MFA notice, language."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from kos_portal import selectors


def home(request):
    if not request.user.is_authenticated:
        return render(request, "home_public.html")
    return render(request, "home.html", selectors.home_for(request.user))


@login_required
def mfa_required(request):
    return render(request, "mfa_required.html")


def language_set(request):
    """Switch language: saved on the user when signed in, in a cookie otherwise."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=not settings.DEBUG,
        )
    return response


@never_cache
def healthz(request):
    """For load balancers: database and broker up or down, and nothing else."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(value in ("ok", "inline") for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


def _database_ok() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        return "down"


def _broker_ok() -> str:
    if not settings.CELERY_BROKER_URL:
        return "inline"
    from kos_portal.celery import app

    try:
        # The URL from settings, explicitly: Celery would otherwise prefer the environment.
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        return "down"


def server_error(request):
    """handler500: the error page with the request id, so a user can quote it.

    Like Django's own server_error: no context processors and no database (it may be what
    failed), and the template reads no static manifest.
    """
    from django.http import HttpResponseServerError
    from django.template import loader

    from kos_portal.logs import current_request_id

    request_id = getattr(request, "request_id", None) or current_request_id()
    html = loader.get_template("500.html").render({"request_id": request_id})
    return HttpResponseServerError(html)
