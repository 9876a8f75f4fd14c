"""Every demo user from `manage.py seed_demo` signs in through the real forms."""

import io
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management import call_command

from kos_portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USERS
from kos_portal.roles import PRIVILEGED_ROLES
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def totp_code() -> str:
    """The demo's current code, never one about to expire (allauth allows no drift)."""
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    counter = int(time.time()) // period
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))


@pytest.mark.parametrize("demo", DEMO_USERS, ids=lambda demo: str(demo.role))
def test_demo_user_signs_in_and_reaches_home(page, live_server, demo):
    call_command("seed_demo", force=True, stdout=io.StringIO())  # tests run with DEBUG off

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", demo.email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    if demo.role in PRIVILEGED_ROLES:
        assert "/accounts/2fa/authenticate/" in page.url
        assert_accessible(page)
        page.fill("#id_code", totp_code())
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()

    assert page.url == f"{live_server.url}/"
    assert demo.first_name in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
