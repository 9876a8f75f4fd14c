"""Public verification: the page by code, the number + surname form, rate limits, and the
signed credential that a verifier checks with nothing but the published key."""

import base64
import json
from datetime import date, timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from certificates import keys
from certificates.services.verification import surname_matches
from members.services.erasure import member_erase
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # rate-limit counters of earlier tests
    yield
    cache.clear()


@pytest.fixture
def certificate(db):
    member = factories.MemberFactory(
        first_name="Zofia",
        last_name="Żółkiewska",
        birth_date=date(1990, 5, 17),
        email="zofia.private@kos.example",
        phone="+48600100200",
    )
    enrolment = factories.EnrolmentFactory(
        member=member,
        session__club__contact_email="klub.secret@kos.example",
        session__course__code="KPP",
        session__course__title="Kwalifikowana pierwsza pomoc",
        result="passed",
        completed_on=date.today(),
    )
    return factories.CertificateFactory(
        enrolment=enrolment,
        holder_name="Zofia Żółkiewska",
        session_dates="3–5 grudnia 2026",
        issued_on=date(2026, 1, 10),
        expires_on=date.today() + timedelta(days=400),
    )


def verify_url(certificate) -> str:
    return reverse("certificates:verify", kwargs={"code": certificate.verification_code})


def credential_url(certificate) -> str:
    return reverse("certificates:credential", kwargs={"code": certificate.verification_code})


# --- The page by code ---------------------------------------------------------------


def test_the_page_shows_the_name_course_dates_and_validity(client, certificate):
    response = client.get(verify_url(certificate))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This certificate is valid" in page
    for shown in ["Zofia Żółkiewska", certificate.number, "KPP", "Kwalifikowana pierwsza pomoc"]:
        assert shown in page
    assert date_format(date(2026, 1, 10), "DATE_FORMAT") in page  # the page's date format
    assert date_format(certificate.expires_on, "DATE_FORMAT") in page


def test_the_page_shows_nothing_else_about_the_person(client, certificate):
    page = client.get(verify_url(certificate)).content.decode()
    for private in [
        "zofia.private@kos.example",
        "+48600100200",
        "1990-05-17",
        "17.05.1990",
        "klub.secret@kos.example",
        certificate.club.name,
    ]:
        assert private not in page


def test_an_expired_certificate_says_expired(client, certificate):
    certificate.expires_on = timezone.localdate() - timedelta(days=1)
    certificate.save()
    page = client.get(verify_url(certificate)).content.decode()
    assert "This certificate has expired" in page
    assert "This certificate is valid" not in page


def test_a_revoked_certificate_says_revoked(client, certificate):
    certificate.status = "revoked"
    certificate.revoked_at = timezone.now()
    certificate.revocation_reason = "Błąd w protokole egzaminu"
    certificate.save()
    page = client.get(verify_url(certificate)).content.decode()
    assert "This certificate has been revoked" in page
    assert "Błąd w protokole egzaminu" not in page  # the reason is for staff


def test_an_erased_holder_is_shown_by_no_name(
    client, certificate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member=certificate.member, erased_by=None, reason="request of 2026-02-01")
    page = client.get(verify_url(certificate)).content.decode()
    assert "Certificate issued" in page
    assert "erased" in page
    assert "Żółkiewska" not in page
    assert "Kwalifikowana pierwsza pomoc" not in page


def test_an_unknown_code_is_not_found(client, certificate):
    response = client.get(reverse("certificates:verify", kwargs={"code": "no-such-code"}))
    assert response.status_code == 404
    assert "Certificate not found" in response.content.decode()


def test_the_page_asks_search_engines_not_to_index_names(client, certificate):
    assert 'name="robots" content="noindex' in client.get(verify_url(certificate)).content.decode()


# --- The form -----------------------------------------------------------------------


def check(client, number: str, surname: str):
    return client.post(reverse("certificates:verify-form"), {"number": number, "surname": surname})


def test_the_form_finds_a_certificate_by_number_and_surname(client, certificate):
    page = check(client, certificate.number, "Żółkiewska").content.decode()
    assert "This certificate is valid" in page
    assert "Zofia Żółkiewska" in page


def test_the_surname_ignores_case_in_polish_letters(client, certificate):
    page = check(client, f"  {certificate.number} ", "ŻÓŁKIEWSKA").content.decode()
    assert "This certificate is valid" in page


def test_the_surname_may_be_typed_without_polish_letters(client, certificate):
    page = check(client, certificate.number, "zolkiewska").content.decode()
    assert "This certificate is valid" in page
    assert (
        "This certificate is valid"
        not in check(client, certificate.number, "Nowak").content.decode()
    )


def answer_of(response) -> str:
    """The answer part of the form page (the form itself echoes the input)."""
    page = response.content.decode()
    return page[page.rindex("</form>") : page.index("</main>")]


def test_a_wrong_surname_looks_exactly_like_an_unknown_number(client, certificate):
    wrong_pair = check(client, certificate.number, "Kowalska")
    unknown = check(client, "KOS/2026/999999", "Żółkiewska")
    assert wrong_pair.status_code == unknown.status_code == 200
    assert "No certificate matches this number and surname" in answer_of(wrong_pair)
    assert answer_of(wrong_pair) == answer_of(unknown)
    assert "Zofia" not in wrong_pair.content.decode()


def test_the_first_name_alone_is_not_a_surname():
    assert surname_matches("Zofia Żółkiewska", "żółkiewska")
    assert not surname_matches("Zofia Żółkiewska", "Zofia")
    assert not surname_matches("Zofia Żółkiewska", "Zofia Żółkiewska")
    assert surname_matches("Anna Nowak-Kowalska", "NOWAK - KOWALSKA")
    assert not surname_matches("Anna Nowak-Kowalska", "Kowalska")


def test_an_erased_holder_cannot_be_found_by_surname(
    client, certificate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member=certificate.member, erased_by=None, reason="request")
    page = check(client, certificate.number, "Żółkiewska").content.decode()
    assert "No certificate matches" in page


def test_the_form_needs_both_fields(client, certificate):
    response = check(client, certificate.number, "")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()


# --- Rate limits --------------------------------------------------------------------


def test_the_page_is_rate_limited_per_address(client, certificate):
    url = verify_url(certificate)
    answers = [client.get(url).status_code for _ in range(31)]
    assert answers[:30] == [200] * 30
    assert answers[30] == 429
    response = client.get(url)
    assert response.status_code == 429
    assert "Please wait a minute" in response.content.decode()
    assert response["Retry-After"] == "60"
    other_address = client.get(url, REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 200


def test_the_form_is_rate_limited_whether_or_not_it_matches(client, certificate):
    for attempt in range(10):
        assert check(client, f"KOS/2026/{attempt:06d}", "Nowak").status_code == 200
    response = check(client, certificate.number, "Żółkiewska")
    assert response.status_code == 429
    assert "Zofia" not in response.content.decode()


def test_opening_the_empty_form_is_not_counted(client, certificate):
    for _ in range(15):
        assert client.get(reverse("certificates:verify-form")).status_code == 200
    assert check(client, certificate.number, "Żółkiewska").status_code == 200


# --- The signed credential ----------------------------------------------------------


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_offline(document: dict, jwk_set: dict) -> dict:
    """What a verifier does with only `cryptography`: no database, no portal code.
    Returns the signed payload; raises InvalidSignature or AssertionError."""
    header_b64, payload_b64, signature_b64 = document["proof"]["jws"].split(".")
    header = json.loads(b64url_decode(header_b64))
    assert header["alg"] == "EdDSA"
    jwk = next(k for k in jwk_set["keys"] if k["kid"] == header["kid"])
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    public_key = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    public_key.verify(b64url_decode(signature_b64), f"{header_b64}.{payload_b64}".encode())
    payload = b64url_decode(payload_b64)
    canonical = json.dumps(
        document["credential"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert payload == canonical, "the credential differs from what was signed"
    return json.loads(payload)


def fetch(client, certificate) -> tuple[dict, dict]:
    response = client.get(credential_url(certificate))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    key = client.get(reverse("certificates:issuer-key"))
    assert key.status_code == 200
    return response.json(), key.json()


@pytest.mark.django_db
def test_the_credential_is_an_open_badge_with_the_certificate(client, certificate, settings):
    settings.SITE_URL = "https://kos.example.org"
    document, _key = fetch(client, certificate)
    credential = document["credential"]
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "https://kos.example.org"
    assert credential["issuer"]["name"] == "ICCSS – Kluby Odporności Społecznej"
    assert credential["validFrom"].startswith("2026-01-10")
    assert credential["validUntil"].startswith(certificate.expires_on.isoformat())
    subject = credential["credentialSubject"]
    assert subject["name"] == "Zofia Żółkiewska"
    assert subject["achievement"]["humanCode"] == "KPP"
    assert subject["achievement"]["name"] == "Kwalifikowana pierwsza pomoc"
    assert subject["achievement"]["fieldOfStudy"] == certificate.pillar.name_pl
    assert subject["achievement"]["hours"] == "8"
    assert credential["credentialStatus"]["id"] == certificate.get_verification_url()
    assert credential["credentialStatus"]["status"] == "valid"
    assert document["proof"]["verificationMethod"] == (
        "https://kos.example.org/.well-known/kos-issuer-key.json#key-1"
    )
    text = json.dumps(document, ensure_ascii=False)
    assert "zofia.private@kos.example" not in text and "1990" not in text


def test_the_signature_verifies_with_the_published_key_alone(client, certificate):
    document, jwk_set = fetch(client, certificate)
    with django_db_blocked():
        payload = verify_offline(document, jwk_set)
    assert payload["credentialSubject"]["name"] == "Zofia Żółkiewska"


def test_a_tampered_credential_fails_verification(client, certificate):
    document, jwk_set = fetch(client, certificate)
    with django_db_blocked():
        forged = json.loads(json.dumps(document))
        forged["credential"]["credentialSubject"]["name"] = "Jan Oszust"
        with pytest.raises(AssertionError, match="differs from what was signed"):
            verify_offline(forged, jwk_set)
        # Swapping the JWS payload too is caught by the signature itself.
        header, _payload, signature = document["proof"]["jws"].split(".")
        payload = base64.urlsafe_b64encode(
            json.dumps(
                forged["credential"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
        ).rstrip(b"=")
        forged["proof"]["jws"] = f"{header}.{payload.decode()}.{signature}"
        with pytest.raises(InvalidSignature):
            verify_offline(forged, jwk_set)


def test_another_key_does_not_verify_it(client, certificate):
    document, jwk_set = fetch(client, certificate)
    stranger = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    jwk_set["keys"][0]["x"] = keys.b64url(stranger)
    with django_db_blocked(), pytest.raises(InvalidSignature):
        verify_offline(document, jwk_set)


def test_a_revoked_certificate_gets_a_signed_revoked_status(client, certificate):
    certificate.status = "revoked"
    certificate.revoked_at = timezone.now()
    certificate.save()
    document, jwk_set = fetch(client, certificate)
    with django_db_blocked():
        payload = verify_offline(document, jwk_set)
    assert payload["credentialStatus"]["status"] == "revoked"


def test_an_erased_holder_has_no_credential(
    client, certificate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member=certificate.member, erased_by=None, reason="request")
    response = client.get(credential_url(certificate))
    assert response.status_code == 410
    assert "Żółkiewska" not in response.content.decode()


def test_an_unknown_code_has_no_credential(client, certificate):
    response = client.get(reverse("certificates:credential", kwargs={"code": "nope"}))
    assert response.status_code == 404


def test_a_configured_pem_key_signs_and_is_published(client, certificate, tmp_path):
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "issuer.pem"
    path.write_bytes(pem)
    expected_x = keys.b64url(
        private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    )
    for config in (
        {"CERTIFICATE_SIGNING_KEY": pem.decode().replace("\n", "\\n")},  # one-line env form
        {"CERTIFICATE_SIGNING_KEY_FILE": str(path)},
    ):
        with override_settings(**{"CERTIFICATE_SIGNING_KEY": None, **config}):
            document, jwk_set = fetch(client, certificate)
        assert jwk_set["keys"][0]["x"] == expected_x
        verify_offline(document, jwk_set)


def test_the_dev_key_is_derived_from_the_secret_key_and_stable():
    with override_settings(DEBUG=True, SECRET_KEY="a" * 50, CERTIFICATE_SIGNING_KEY=None):
        first = keys.public_jwk()["x"]
        assert keys.public_jwk()["x"] == first
    with override_settings(DEBUG=True, SECRET_KEY="b" * 50, CERTIFICATE_SIGNING_KEY=None):
        assert keys.public_jwk()["x"] != first


@override_settings(
    DEBUG=False,
    SECRET_KEY="a-real-production-secret-" + "x" * 40,
    CERTIFICATE_SIGNING_KEY=None,
    CERTIFICATE_SIGNING_KEY_FILE=None,
)
def test_production_without_a_key_answers_503_and_logs_why(client, certificate, caplog):
    response = client.get(credential_url(certificate))
    assert response.status_code == 503
    assert response.json() == {"error": "signing_unavailable"}
    assert "CERTIFICATE_SIGNING_KEY" in caplog.text
    assert client.get(reverse("certificates:issuer-key")).status_code == 503
    # The human page does not need the key.
    assert client.get(verify_url(certificate)).status_code == 200


class django_db_blocked:
    """Fail any database access: the verifying part must work without our database."""

    def __enter__(self):
        from django.db import connections

        self._wrappers = []
        for connection in connections.all():
            wrapper = connection.execute_wrapper(self._refuse)
            wrapper.__enter__()
            self._wrappers.append(wrapper)
        return self

    def __exit__(self, *exc):
        for wrapper in reversed(self._wrappers):
            wrapper.__exit__(*exc)
        return False

    @staticmethod
    def _refuse(*args, **kwargs):
        raise AssertionError("the offline verification touched the database")
