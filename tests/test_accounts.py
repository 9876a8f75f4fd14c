"""Account security: sign-in, no open sign-up, password reset, admin, MFA, idle expiry,
language."""

import logging
import re
import smtplib
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from kos_portal.models import User
from kos_portal.roles import Role
from tests import factories

PASSWORD = factories.PASSWORD


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    # allauth's rate limits live in the cache, which outlives a single test.
    cache.clear()


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def coordinator_without_totp(municipality) -> User:
    user = factories.UserFactory()
    factories.AssignmentFactory(user=user, role=Role.COORDINATOR, municipality=municipality)
    return user


def national_without_totp() -> User:
    user = factories.UserFactory()
    factories.AssignmentFactory(user=user, role=Role.NATIONAL)
    return user


# --- Sign-in and sign-up ---------------------------------------------------------------


def test_a_verified_user_signs_in_with_email_and_password(client, db):
    user = factories.UserFactory(email="anna@kos.example")
    response = client.post(
        reverse("account_login"), {"login": "anna@kos.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in_user_id(client) == user.pk


def test_an_unverified_user_is_sent_to_verify_and_not_signed_in(
    client, db, django_capture_on_commit_callbacks
):
    user = User.objects.create_user(email="new@kos.example", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    with django_capture_on_commit_callbacks(execute=True):  # emails leave after commit
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": PASSWORD}
        )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert signed_in_user_id(client) is None
    assert len(mail.outbox) == 1  # the verification link


def test_a_wrong_password_does_not_sign_in(client, db):
    user = factories.UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    assert response.status_code == 200
    assert signed_in_user_id(client) is None


def test_sign_up_is_closed(client, db):
    response = client.get(reverse("account_signup"))
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    client.post(
        reverse("account_signup"),
        {"email": "me@kos.example", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not User.objects.filter(email="me@kos.example").exists()


# --- Password reset --------------------------------------------------------------------


def test_password_reset_sends_a_working_link(client, db, django_capture_on_commit_callbacks):
    user = factories.UserFactory(email="anna@kos.example")
    with django_capture_on_commit_callbacks(execute=True):  # emails leave after commit
        response = client.post(reverse("account_reset_password"), {"email": "anna@kos.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body

    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    new_password = "a-brand-new-password-42"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302

    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "anna@kos.example", "password": new_password}
    )
    assert signed_in_user_id(client) == user.pk


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_no_link(
    client, db, django_capture_on_commit_callbacks
):
    factories.UserFactory(email="anna@kos.example")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("account_reset_password"), {"email": "anna@kos.example"})
    assert len(mail.outbox) == 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post(reverse("account_reset_password"), {"email": "nobody@kos.example"})
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert not any("/password/reset/key/" in message.body for message in mail.outbox)
    assert mail.outbox == []


class FailingSmtpBackend:
    """The outside world: an SMTP server that refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_failing_mail_server_does_not_tell_known_addresses_from_unknown_ones(
    client, db, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "tests.test_accounts.FailingSmtpBackend"
    factories.UserFactory(email="anna@kos.example")
    answers = {}
    for email in ("anna@kos.example", "nobody@kos.example"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("account_reset_password"), {"email": email})
        answers[email] = (response.status_code, response.url)
    assert answers["anna@kos.example"] == answers["nobody@kos.example"]
    assert answers["anna@kos.example"][0] == 302
    assert "was not sent" in caplog.text  # logged for operations, invisible to the visitor


def test_a_reset_email_leaves_only_after_the_transaction_commits(
    client, db, django_capture_on_commit_callbacks
):
    factories.UserFactory(email="anna@kos.example")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("account_reset_password"), {"email": "anna@kos.example"})
    assert response.status_code == 302
    assert mail.outbox == []  # nothing sent inside the request's transaction
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert "/password/reset/key/" in mail.outbox[0].body


def test_with_the_broker_down_a_reset_still_answers_302(
    client, db, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    from kos_portal.celery import app
    from kos_portal.tasks import broker_backoff_reset

    def fresh_connections():  # connections pooled by earlier tests point elsewhere
        app._pool = None
        app.amqp._producer_pool = None

    factories.UserFactory(email="anna@kos.example")
    # Publishing goes to a port where nothing listens. Celery reads the environment before
    # its settings (CI sets CELERY_BROKER_URL), so the write URL is set there.
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_transport_options", {"max_retries": 0})
    fresh_connections()
    logging.getLogger("kos_portal.adapters").addHandler(caplog.handler)  # kombu's setup
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("account_reset_password"), {"email": "anna@kos.example"})
    finally:
        monkeypatch.undo()
        fresh_connections()
        broker_backoff_reset()  # task_publish stops trying for a while after a failure
        logging.getLogger("kos_portal.adapters").removeHandler(caplog.handler)
    assert response.status_code == 302
    assert "was not sent" in caplog.text


# --- Login lockout ---------------------------------------------------------------------


def test_after_5_failed_sign_ins_the_account_answers_429(client, db):
    user = factories.UserFactory(email="anna@kos.example")
    for attempt in range(5):
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": "not-the-password"}
        )
        assert response.status_code == 200, attempt
    for password in ("not-the-password", PASSWORD):  # even the right one, for a while
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": password}
        )
        assert response.status_code == 429
        assert signed_in_user_id(client) is None
    assert "Too many attempts" in response.content.decode()


def test_the_lockout_is_per_account(client, db):
    anna = factories.UserFactory(email="anna@kos.example")
    other = factories.UserFactory(email="jan@kos.example")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": anna.email, "password": "nope"})
    response = client.post(reverse("account_login"), {"login": other.email, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user_id(client) == other.pk


def test_an_unknown_address_is_locked_out_the_same_way(client, db):
    # The lockout counts per address typed, whether or not it has an account, so a 429
    # tells nobody which addresses exist.
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": "nobody@kos.example", "password": "nope"}
        )
        assert response.status_code == 200
    response = client.post(
        reverse("account_login"), {"login": "nobody@kos.example", "password": "nope"}
    )
    assert response.status_code == 429


# --- Admin -----------------------------------------------------------------------------


def test_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_admin_is_refused_to_a_non_national_user(client, world):
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("admin:index"))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert client.get(response.url).status_code == 403


def test_admin_index_opens_for_national_staff_with_totp(client, world):
    national = world.users["national"]
    assert not national.is_staff  # national staff is a role, not the is_staff flag
    client.force_login(national)
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_login_sends_signed_in_national_staff_to_the_index(client, world):
    client.force_login(world.users["national"])
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


# --- Two-factor authentication ---------------------------------------------------------


def staff_without_totp(role: str, world) -> User:
    """A user holding `role` in the world's gmina or club, without any second factor."""
    user = factories.UserFactory()
    place = {"national": {}, "coordinator": {"municipality": world.municipality}}
    factories.AssignmentFactory(user=user, role=role, **place.get(role, {"club": world.club}))
    return user


@pytest.mark.parametrize("role", ["national", "coordinator", "leader", "instructor"])
def test_staff_without_totp_is_sent_to_set_it_up(client, world, role):
    client.force_login(staff_without_totp(role, world))
    for url in (reverse("home"), reverse("clubs:club-detail", kwargs={"club_pk": world.club.pk})):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("mfa-required")
    assert client.get(reverse("mfa-required")).status_code == 200


def test_a_member_is_never_asked_for_totp(client, world):
    client.force_login(world.users["member"])
    assert client.get(reverse("members:my-data")).status_code == 200


def test_a_security_key_counts_as_the_second_factor(client, world):
    from allauth.mfa.models import Authenticator

    user = staff_without_totp("leader", world)
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={})
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200


def test_staff_can_add_a_security_key_instead(client, world):
    user = staff_without_totp("leader", world)
    client.force_login(user)
    assert client.get(reverse("mfa_list_webauthn")).status_code == 200
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})  # allauth asks first
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200
    assert reverse("mfa_add_webauthn") in client.get(reverse("mfa-required")).content.decode()


def test_setting_up_totp_offers_recovery_codes(client, world):
    user = staff_without_totp("instructor", world)
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})  # allauth asks first
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 2:  # never a code about to expire (no drift allowed)
        time.sleep(period - time.time() % period + 0.1)
    counter = int(time.time()) // period
    response = client.post(
        reverse("mfa_activate_totp"), {"code": format_hotp_value(hotp_value(secret, counter))}
    )
    assert response.status_code == 302
    assert response.url == reverse("mfa_view_recovery_codes")
    assert set(user.authenticator_set.values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }


def test_privileged_user_without_totp_can_reach_account_pages(client, world):
    client.force_login(coordinator_without_totp(world.municipality))
    assert client.get(reverse("account_email")).status_code == 200
    # allauth asks for the password again before TOTP set-up; that page is reachable too.
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/accounts/")


def test_privileged_user_with_totp_gets_through(client, world):
    user = coordinator_without_totp(world.municipality)
    TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
    club_url = reverse("clubs:club-detail", kwargs={"club_pk": world.club.pk})
    assert client.get(club_url).status_code == 200


def test_signing_in_with_totp_asks_for_the_code_before_letting_in(client, db):
    user = national_without_totp()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert signed_in_user_id(client) is None
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD  # the current 30-second period
    code = format_hotp_value(hotp_value(secret, counter))
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in_user_id(client) == user.pk


# --- Idle expiry -----------------------------------------------------------------------


def test_a_coordinators_session_expires_after_30_idle_minutes(client, world):
    client.force_login(world.users["coordinator"])
    client.get(reverse("home"))
    assert client.session.get_expiry_age() == 1800


@pytest.mark.parametrize("role", ["leader", "instructor"])
def test_a_leaders_and_an_instructors_session_expires_after_30_idle_minutes(client, world, role):
    client.force_login(world.users[role])
    client.get(reverse("home"))
    assert client.session.get_expiry_age() == 1800


def test_a_members_session_keeps_the_default_age(client, world):
    client.force_login(world.users["member"])
    client.get(reverse("home"))
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


@pytest.mark.parametrize("role", ["coordinator", "leader"])
def test_a_staff_session_ends_12_hours_after_signing_in_however_active(client, world, role):
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(world.users[role])
        for _hour in range(11):  # a request every 20 minutes keeps the idle window open
            for _ in range(3):
                traveller.shift(timedelta(minutes=20))
                assert client.get(reverse("home")).status_code == 200
        traveller.shift(timedelta(minutes=59))
        assert client.get(reverse("home")).status_code == 200  # 11 h 59 min
        traveller.shift(timedelta(minutes=1))
        response = client.get(reverse("clubs:club-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert signed_in_user_id(client) is None


def test_a_members_session_has_no_12_hour_cap(client, world):
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        client.force_login(world.users["member"])
        traveller.shift(timedelta(hours=13))
        assert client.get(reverse("members:my-data")).status_code == 200
        assert signed_in_user_id(client) == world.users["member"].pk


def test_signing_in_as_a_coordinator_starts_the_short_session_at_once(client, world):
    client.post(
        reverse("account_login"),
        {"login": world.users["member"].email, "password": PASSWORD},
    )
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    client.logout()
    user = coordinator_without_totp(world.municipality)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert signed_in_user_id(client) == user.pk
    assert client.session.get_expiry_age() == 1800


# --- Language --------------------------------------------------------------------------


def test_a_signed_in_user_switches_language_and_it_is_saved(client, world):
    leader = world.users["leader"]
    client.force_login(leader)
    response = client.post(reverse("language-set"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    leader.refresh_from_db()
    assert leader.language == "en"
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_an_anonymous_visitor_gets_a_language_cookie(client, db):
    response = client.post(reverse("language-set"), {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_an_unknown_language_is_ignored(client, world):
    leader = world.users["leader"]
    client.force_login(leader)
    language_before = leader.language
    client.post(reverse("language-set"), {"language": "xx"})
    leader.refresh_from_db()
    assert leader.language == language_before


def test_language_switch_refuses_an_offsite_next(client, db):
    response = client.post(
        reverse("language-set"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.url == "/"
