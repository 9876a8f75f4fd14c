"""The Polish translation is complete and stays complete.

Polish is the default language; English is the source language of the code. A string
added to the code without a Polish translation fails `test_catalog_covers_the_code`;
see docs/translations.md for how to add it.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings as django_settings

BASE_DIR = Path(django_settings.BASE_DIR)
PO_PATH = BASE_DIR / "locale" / "pl" / "LC_MESSAGES" / "django.po"

# What `makemessages` skips in the project (the same --ignore list as docs/translations.md),
# plus what it could never read: version control, caches, build output.
SKIPPED_DIRS = {
    ".venv",
    "staticfiles",
    "media",
    "node_modules",
    "locale",
    ".git",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "test-results",
}
# makemessages reads these (the default --extension html,txt and py).
SOURCE_SUFFIXES = {".py", ".html", ".txt"}

PLURAL_FORMS = (
    "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
)


def _key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _describe(entry: polib.POEntry) -> str:
    where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:3])
    context = f" (context {entry.msgctxt!r})" if entry.msgctxt else ""
    return f"{entry.msgid!r}{context} [{where}]"


@pytest.fixture(scope="module")
def catalog() -> polib.POFile:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages (docs/translations.md)"
    return polib.pofile(str(PO_PATH))


def test_catalog_is_complete(catalog):
    untranslated = [_describe(e) for e in catalog.untranslated_entries() if not e.obsolete]
    fuzzy = [_describe(e) for e in catalog.fuzzy_entries() if not e.obsolete]
    assert not untranslated, "Untranslated entries in django.po:\n" + "\n".join(untranslated)
    assert not fuzzy, "Fuzzy entries in django.po (check and remove the flag):\n" + "\n".join(fuzzy)
    assert not catalog.metadata_is_fuzzy, "The header of django.po is marked fuzzy."
    assert catalog.metadata.get("Language") == "pl"
    assert catalog.metadata.get("Plural-Forms") == PLURAL_FORMS
    for entry in catalog:
        if entry.msgid_plural and not entry.obsolete:
            assert sorted(entry.msgstr_plural) == [0, 1, 2], _describe(entry)


def test_catalog_compiles(tmp_path):
    """msgfmt --check also checks that every python-format translation keeps its
    placeholders (%(name)s, %s, %d)."""
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(PO_PATH)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def _copy_sources(destination: Path) -> None:
    def ignore(directory, names):
        skipped = []
        for name in names:
            path = Path(directory) / name
            if path.is_dir():
                if name in SKIPPED_DIRS or name.endswith(".egg-info"):
                    skipped.append(name)
            elif path.suffix not in SOURCE_SUFFIXES:
                skipped.append(name)
        return skipped

    shutil.copytree(BASE_DIR, destination, ignore=ignore, symlinks=False)


def test_catalog_covers_the_code(tmp_path, catalog):
    """Extract the messages from a copy of the sources (so the committed django.po is
    never touched) and check that each one is in the committed catalog."""
    copy = tmp_path / "project"
    _copy_sources(copy)
    before = PO_PATH.read_bytes()
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "pl", "--no-obsolete"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert PO_PATH.read_bytes() == before, "makemessages wrote to the project's django.po"
    extracted_path = copy / "locale" / "pl" / "LC_MESSAGES" / "django.po"
    assert extracted_path.exists(), result.stdout + result.stderr
    extracted = polib.pofile(str(extracted_path))
    assert len(extracted) > 100, "makemessages found suspiciously few strings"

    known = {_key(e) for e in catalog if not e.obsolete}
    missing = [_describe(e) for e in extracted if _key(e) not in known]
    assert not missing, (
        f"{len(missing)} string(s) in the code are not in {PO_PATH.relative_to(BASE_DIR)}. "
        "Run makemessages and translate them (docs/translations.md):\n" + "\n".join(missing)
    )


@pytest.fixture
def compiled_catalog(tmp_path, settings, catalog):
    """Serve the current django.po, compiled here: the .mo in locale/ is build output
    and may be stale or missing. Changing LOCALE_PATHS also resets Django's cache of
    translations."""
    mo_dir = tmp_path / "locale" / "pl" / "LC_MESSAGES"
    mo_dir.mkdir(parents=True)
    catalog.save_as_mofile(str(mo_dir / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    settings.LANGUAGE_CODE = "pl"  # the real default; the suite otherwise runs in English


@pytest.mark.django_db
def test_pages_are_polish_by_default_and_english_on_request(client, compiled_catalog):
    polish = client.get("/")
    assert polish.status_code == 200
    text = polish.content.decode()
    assert 'lang="pl"' in text
    assert "Pięć filarów odporności" in text
    assert "Zaloguj się do portalu" in text
    assert "Five pillars of resilience" not in text

    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/")
    assert english.status_code == 200
    text = english.content.decode()
    assert "Five pillars of resilience" in text
    assert "Sign in to the portal" in text
    assert "Pięć filarów odporności" not in text


def test_certificates_are_zaswiadczenia_in_every_polish_string(catalog):
    # One word for one thing: the portal issues "zaświadczenia" (not "certyfikaty").
    stray = [
        _describe(e)
        for e in catalog
        if not e.obsolete
        and "certyfikat" in " ".join([e.msgstr, *e.msgstr_plural.values()]).lower()
    ]
    assert not stray
