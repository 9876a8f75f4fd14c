"""Production settings pass Django's deployment checks, and the health check is honest."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "kos.example.org",
}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter with the project's settings, so settings load anew."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def production_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kos_portal.settings", **PRODUCTION_ENV}
    # Browser tests set this; production never does, and check --deploy rejects it (E001).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return {**env, **extra}


def test_production_settings_pass_the_deployment_checks():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]

    result = run_python("import django; django.setup()", env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_responses_carry_hsts_and_a_content_security_policy(tmp_path):
    # A fresh process, because SecurityMiddleware reads its settings once.
    code = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/healthz", secure=True, headers={"host": "kos.example.org"})
print(json.dumps({"status": response.status_code, "headers": dict(response.headers)}))
"""
    # An empty SQLite file keeps the check away from any real database.
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    result = run_python(code, env)

    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout.strip().splitlines()[-1])
    assert response["status"] == 200
    assert "max-age=31536000" in response["headers"]["Strict-Transport-Security"]
    assert "default-src 'self'" in response["headers"]["Content-Security-Policy"]


def test_every_response_carries_a_content_security_policy(client):
    response = client.get("/healthz")

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL=None)
def test_healthz_is_ok_with_database_up_and_tasks_inline(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "inline"}


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_healthz_is_unavailable_when_the_broker_is_down(client):
    # No environment changes here: Celery's configuration is read once per process, and
    # a broker URL changed in the environment would leak into the worker tests.
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down"}


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL=None)
def test_healthz_is_not_cached(client):
    response = client.get("/healthz")

    assert "no-cache" in response.headers["Cache-Control"]


# --- Issue #13: small settings ----------------------------------------------------------


def test_the_policy_allows_no_base_element(client):
    assert "base-uri 'none'" in client.get("/healthz").headers["Content-Security-Policy"]


def test_production_cookies_carry_the_host_prefix(tmp_path):
    code = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client, override_settings
client = Client(headers={"host": "kos.example.org"})
plain_static = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=plain_static):  # no collectstatic manifest here
    response = client.get("/accounts/login/", secure=True)
print(json.dumps({
    "session": settings.SESSION_COOKIE_NAME,
    "csrf": settings.CSRF_COOKIE_NAME,
    "cookies": {name: dict(c) for name, c in response.cookies.items()},
}))
"""
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    result = run_python(code, env)

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["session"] == "__Host-sessionid"
    assert answer["csrf"] == "__Host-csrftoken"
    csrf = answer["cookies"]["__Host-csrftoken"]
    assert csrf["secure"] is True and csrf["path"] == "/" and not csrf["domain"]


def test_development_keeps_plain_cookie_names():
    # A __Host- cookie needs HTTPS: over http://127.0.0.1 the browser would drop it.
    assert settings.SESSION_COOKIE_NAME == "sessionid"


@pytest.mark.parametrize("password", ["kos-zloto-1", "password1234", "123456789012"])
def test_short_or_common_passwords_are_refused(password):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted():
    from django.contrib.auth.password_validation import validate_password

    validate_password("wiosna-nad-wisla-2025")


def test_polish_dates_have_one_short_form_everywhere():
    from datetime import date, datetime

    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        '{{ d|date:"DATE_FORMAT" }}|{{ d|date:"SHORT_DATE_FORMAT" }}|{{ d }}|'
        '{{ t|date:"DATETIME_FORMAT" }}|{{ t|date:"SHORT_DATETIME_FORMAT" }}'
    )
    with translation.override("pl"):
        text = template.render(Context({"d": date(2026, 12, 7), "t": datetime(2026, 5, 1, 17)}))
    assert text == "7 gru 2026|7 gru 2026|7 gru 2026|1 maj 2026, 17:00|1 maj 2026, 17:00"
