"""Operability: request ids, JSON logs, the 500 page and Sentry (docs/deployment.md)."""

import gzip
import http.server
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.test import Client, override_settings

from kos_portal.celery import app as celery_app
from kos_portal.logs import ContextFilter, JsonFormatter, request_id_from
from tests.error_urls import SECRET_IN_ERROR


@pytest.fixture
def json_log():
    """Every record logged during the test, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.django_db
def test_a_request_without_an_id_gets_a_new_one_in_the_response(client):
    response = client.get("/healthz")

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c2e-0001"})

    assert response.headers["X-Request-ID"] == "lb-7f3a9c2e-0001"


@pytest.mark.parametrize(
    "incoming", ["short", "x" * 200, "has space in it", 'quote"injection', "new\nline-abcdef"]
)
def test_an_insane_incoming_request_id_is_replaced(incoming):
    replaced = request_id_from(incoming)

    assert replaced != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


@pytest.mark.django_db
def test_every_log_line_of_a_request_carries_its_request_id(client, json_log):
    client.get("/no-such-page/", headers={"X-Request-ID": "req-1234567890"})

    lines = json_log()
    assert {line["logger"] for line in lines} >= {"django.request", "kos.request"}
    assert {line["request_id"] for line in lines} == {"req-1234567890"}


@pytest.mark.django_db
def test_the_access_line_says_method_path_status_and_duration(client, json_log):
    client.get("/no-such-page/")

    (access,) = [line for line in json_log() if line["logger"] == "kos.request"]
    assert access["method"] == "GET"
    assert access["path"] == "/no-such-page/"
    assert access["status"] == 404
    assert access["duration_ms"] >= 0


def test_a_log_event_with_a_traceback_is_one_json_line(json_log):
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        logging.getLogger("kos.test").exception("It broke:\nwith details", extra={"club": 7})

    (line,) = json_log()
    assert line["level"] == "ERROR"
    assert line["message"] == "It broke:\nwith details"
    assert line["club"] == 7
    assert line["request_id"] is None
    assert "ValueError: first line" in line["exception"]


@celery_app.task(name="tests.test_operability.log_from_a_task")
def log_from_a_task() -> None:
    logging.getLogger("kos.test").info("inside the task")


def test_celery_task_logs_carry_the_task_id(json_log):
    log_from_a_task.apply(task_id="task-0000-1111")

    (line,) = [line for line in json_log() if line["message"] == "inside the task"]
    assert line["task_id"] == "task-0000-1111"


def test_production_logs_json_and_development_logs_text():
    assert settings.LOG_FORMAT == "text"  # the test settings are DEBUG's defaults
    result = _run_django(
        "import logging; logging.getLogger('kos.test').warning('hello')",
        DJANGO_DEBUG="false",
    )

    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(line) for line in result.stderr.splitlines() if "kos.test" in line]
    assert line["message"] == "hello"
    assert line["level"] == "WARNING"


# The 500 page


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.error_urls")
def test_the_500_page_shows_the_request_id_and_nothing_of_the_error():
    client = Client(raise_request_exception=False)

    response = client.get("/test-failure/", headers={"X-Request-ID": "quote-me-12345"})

    assert response.status_code == 500
    html = response.content.decode()
    assert "quote-me-12345" in html
    assert "Something went wrong on our side" in html
    for leak in (SECRET_IN_ERROR, "Traceback", "RuntimeError", settings.SECRET_KEY, "DATABASES"):
        assert leak not in html


@pytest.mark.django_db
@override_settings(
    ROOT_URLCONF="tests.error_urls",
    STORAGES={
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    },
)
def test_the_500_page_renders_without_a_static_manifest(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path  # empty: no manifest, {% static %} would raise
    client = Client(raise_request_exception=False)

    response = client.get("/test-failure/")

    assert response.status_code == 500
    assert "/static/" not in response.content.decode()


# Sentry


def _run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run code after django.setup() in a fresh interpreter (settings read anew)."""
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "kos_portal.settings", **env}
    for name in ("SENTRY_DSN", "LOG_FORMAT"):
        if name not in env:
            environ.pop(name, None)
    if env.get("DJANGO_DEBUG") == "false":
        environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + "x" * 50)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=settings.BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_sentry_dsn_sentry_is_not_even_imported():
    result = _run_django("import sys; print('sentry_sdk' in sys.modules)")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


class _Envelopes(http.server.BaseHTTPRequestHandler):
    """Stands in for sentry.io: keeps every envelope posted to it."""

    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    _Envelopes.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Envelopes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_with_sentry_dsn_a_view_error_is_reported_without_personal_data(sentry_server, tmp_path):
    port = sentry_server.server_address[1]
    code = """
import sentry_sdk
from django.test import Client, override_settings
client = sentry_sdk.get_client()
print(sorted(name for name in ("django", "celery") if client.get_integration(name)))
with override_settings(ROOT_URLCONF="tests.error_urls"):
    browser = Client(raise_request_exception=False)
    browser.cookies["sessionid"] = "s3cr3t"
    response = browser.get("/test-failure/", headers={"X-Request-ID": "sentry-req-0001"})
print(response.status_code)
sentry_sdk.flush(timeout=10)
"""
    result = _run_django(
        code,
        SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_ALLOWED_HOSTS="testserver",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["['celery', 'django']", "500"]
    sent = b"".join(_Envelopes.received).decode()
    assert SECRET_IN_ERROR in sent
    assert '"request_id":"sentry-req-0001"' in sent.replace(" ", "")
    assert "s3cr3t" not in sent


@pytest.mark.django_db
def test_a_view_marked_no_access_log_leaves_no_access_line(client, json_log):
    from resilience.views.pulse import survey_answer

    client.get("/resilience/pulse/no-such-token/")

    assert survey_answer.access_log is False
    assert [line for line in json_log() if line["logger"] == "kos.request"] == []
