"""Helpers for the journey tests (issue #14): strict axe, signing in through the real forms
with TOTP, and a screenshot of each journey's last page under test-results/journeys/."""

import time
from pathlib import Path

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.cache import cache

from tests import factories
from tests.browser import _axe

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "journeys"


def assert_no_axe_violations(page) -> None:
    """Run axe-core on the page and fail on any violation, whatever its impact.

    tests/browser.py's assert_accessible blocks only serious and critical ones; the journeys
    hold every page a person passes through to the whole rule set.
    """
    results = _axe.run(page)
    violations = results.response["violations"]
    if violations:
        lines = [f"axe found {len(violations)} violation(s) on {page.url}:"]
        for violation in violations:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"][:5]:
                lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
        pytest.fail("\n".join(lines), pytrace=False)


def click_through(page, locator) -> None:
    """Follow a link or send a form with a click, wait for the next page, and run axe on it."""
    locator.click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)


def totp_code(user) -> str:
    """The user's current TOTP code, never one about to expire (allauth allows no drift)."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def sign_in(page, live_server, user, password: str = factories.PASSWORD) -> None:
    """From the home page through the sign-in form and, if the user has TOTP, its code."""
    page.goto(f"{live_server.url}/")
    assert_no_axe_violations(page)
    click_through(page, page.get_by_role("main").get_by_role("link", name="Sign in to the portal"))
    page.fill("#id_login", user.email)
    page.fill("#id_password", password)
    click_through(page, page.locator("main form button[type=submit]"))
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        assert "/accounts/2fa/authenticate/" in page.url
        page.fill("#id_code", totp_code(user))
        click_through(page, page.locator("main form button[type=submit]").first)
    assert page.url == f"{live_server.url}/", page.url


@pytest.fixture(autouse=True)
def _journey_settings(settings, live_server):
    """English pages (the labels are the source strings); emailed and QR links point at the
    live server, as they point at the real site in production; no rate-limit counters left
    over from another test."""
    settings.SITE_URL = live_server.url
    cache.clear()


@pytest.fixture(autouse=True)
def _last_page_screenshot(request, page):
    """Keep the journey's last page as test-results/journeys/<name>.png (a CI artefact)."""
    page.set_extra_http_headers({"Accept-Language": "en"})
    yield
    name = request.path.stem.removeprefix("test_").removesuffix("_journey")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    except Exception as error:  # a closed page must not hide the test's own failure
        print(f"no screenshot of the {name} journey: {error}")
    else:
        print(f"screenshot: {SCREENSHOTS / f'{name}.png'}")
