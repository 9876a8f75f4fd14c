"""Static files under production settings: collectstatic with the manifest storage, then
pages and PDFs with DEBUG off; and a 500 page that needs no static file at all."""

import base64
import hashlib
import io
import re

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings
from pypdf import PdfReader

from certificates.services import rendering
from tests.certificates.test_rendering import issued_certificate, pdf_text

pytestmark = pytest.mark.django_db

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic with the production storage into a temporary STATIC_ROOT, DEBUG off.
    Once per module: it compresses about a thousand files (~15 s)."""
    static_root = tmp_path_factory.mktemp("static_root")
    with override_settings(STATIC_ROOT=static_root, STORAGES=MANIFEST_STORAGES, DEBUG=False):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield static_root


def test_collectstatic_rewrites_the_pdf_stylesheets_to_hashed_fonts(collected):
    for stylesheet in ("certificates/certificate.css", "dashboards/report.css"):
        css = (collected / staticfiles_storage.stored_name(stylesheet)).read_text()
        fonts = re.findall(r'url\("\.\./(fonts/DejaVuSans[^"]*)"\)', css)
        assert len(fonts) == 2, css
        for font in fonts:
            assert re.fullmatch(r"fonts/DejaVuSans(-Bold)?\.[0-9a-f]{12}\.ttf", font)
            assert (collected / font).is_file()


def embedded_fonts(content: bytes) -> set[str]:
    page = PdfReader(io.BytesIO(content)).pages[0]
    fonts = (font.get_object() for font in page["/Resources"]["/Font"].values())
    return {font["/BaseFont"].split("+", 1)[1] for font in fonts}


def test_after_collectstatic_a_certificate_renders_with_our_fonts(collected):
    content = rendering.certificate_pdf_bytes(issued_certificate())

    assert "Zażółć Gęślą-Jaźń" in pdf_text(content)
    assert embedded_fonts(content) == {"KOS-Sans", "KOS-Sans-Bold"}  # static/fonts only


def test_after_collectstatic_pages_link_hashed_static_files(collected):
    response = Client().get("/accounts/login/")

    assert response.status_code == 200
    assert re.search(r'/static/css/kos\.[0-9a-f]{12}\.css"', response.content.decode())


def style_hash(html: str) -> str:
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)[1]
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


@override_settings(DEBUG=False, STORAGES=MANIFEST_STORAGES)
def test_the_500_page_renders_without_a_manifest_and_its_css_passes_the_csp(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path  # empty: no manifest, every {% static %} raises
    client = Client(raise_request_exception=False)

    response = client.get("/accounts/login/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Error 500" in html or "Błąd 500" in html
    assert "/static/" not in html
    assert style_hash(html) in response["Content-Security-Policy"]
