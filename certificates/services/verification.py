"""Public verification: finding a certificate by its code or by number and surname, what
the public may see of it, and the signed JSON credential (Open Badges 3.0 style).

The public sees the state (valid, expired, revoked), the holder's name, the course and
the dates, and nothing else about the person. A holder whose data was erased is shown by
no name at all. See docs/verification.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from certificates import keys
from certificates.models import Certificate
from kos_portal.text import fold

ISSUER_NAME = "ICCSS – Kluby Odporności Społecznej"
CREDENTIAL_CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


@dataclass(frozen=True)
class PublicCertificate:
    """What the verification pages may show. Built only by `public_certificate`."""

    number: str
    state: str  # valid | expired | revoked
    anonymised: bool
    holder_name: str
    course_code: str
    course_title: str
    pillar: str
    hours: object
    session_dates: str
    issued_on: date
    expires_on: date | None
    revoked_on: date | None


def _public_queryset():
    return Certificate.objects.select_related("member", "course", "pillar")


def certificate_find_by_code(code: str) -> Certificate | None:
    """The certificate with this verification code, or None. One query."""
    code = (code or "").strip()
    if not code or len(code) > Certificate._meta.get_field("verification_code").max_length:
        return None
    return _public_queryset().filter(verification_code=code).first()


def _words(text: str) -> list[str]:
    # Folded: "ŻÓŁKIEWSKA", "Żółkiewska" and "zolkiewska" (typed on a phone without Polish
    # letters) compare equal. The number already narrows it to one certificate.
    # "Nowak - Kowalska" is "Nowak-Kowalska": a double-barrelled surname is one word.
    return fold(re.sub(r"\s*-\s*", "-", text)).split()


def surname_matches(holder_name: str, surname: str) -> bool:
    """Whether `surname` is the whole last name (one or more trailing words, a
    double-barrelled name in full) of `holder_name`, ignoring case, Polish letters and
    extra spaces."""
    holder, given = _words(holder_name), _words(surname)
    if not given or len(given) >= len(holder):
        return False
    return holder[-len(given) :] == given


def certificate_find_by_number_and_surname(number: str, surname: str) -> Certificate | None:
    """The certificate with exactly this number whose holder has this surname, or None.

    A wrong pair and an unknown number give the same None, so the form cannot be used to
    learn which numbers exist. Erased holders have no name and never match. One query.
    """
    number = " ".join((number or "").split()).upper()
    if not number or not surname:
        return None
    certificate = _public_queryset().filter(number=number).first()
    if certificate is None or _anonymised(certificate):
        return None
    if not surname_matches(certificate.holder_name, surname):
        return None
    return certificate


def _anonymised(certificate: Certificate) -> bool:
    return certificate.member.anonymised_at is not None or not certificate.holder_name


def public_certificate(certificate: Certificate, *, today: date | None = None) -> PublicCertificate:
    """The public facts of `certificate` on `today`: nothing else about the person, and
    no name at all once their data was erased."""
    today = today or timezone.localdate()
    anonymised = _anonymised(certificate)
    return PublicCertificate(
        number=certificate.number,
        state=certificate.state_on(today),
        anonymised=anonymised,
        holder_name="" if anonymised else certificate.holder_name,
        course_code=certificate.course.code,
        course_title=certificate.course_title,
        pillar=certificate.pillar.name if certificate.pillar_id else "",
        hours=certificate.hours,
        session_dates=certificate.session_dates,
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        revoked_on=(timezone.localdate(certificate.revoked_at) if certificate.revoked_at else None),
    )


# --- The signed credential ----------------------------------------------------------


def canonical_json(data: dict) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def credential_build(certificate: Certificate, *, today: date | None = None) -> dict:
    """The certificate as an Open Badges 3.0 style Verifiable Credential (unsigned).

    Its `credentialStatus` states the status on `today`; revoked certificates are still
    served (signed), so a verifier gets an authentic "revoked" rather than a bare error.
    Erased holders are refused by the caller (see `credential_for_code`).
    """
    today = today or timezone.localdate()
    verify_url = certificate.get_verification_url()
    credential_url = settings.SITE_URL + reverse(
        "certificates:credential", kwargs={"code": certificate.verification_code}
    )
    course = certificate.course
    achievement = {
        "id": settings.SITE_URL + course.get_absolute_url(),
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "humanCode": course.code,
        "name": certificate.course_title,
        # Polish, like the certificate itself: the signed text must not depend on the
        # language of whoever asked for it.
        "fieldOfStudy": certificate.pillar.name_pl if certificate.pillar_id else "",
        "hours": f"{certificate.hours.normalize():f}",  # "8", "1.5"
        "criteria": {"narrative": "Passed the course in a Social Resilience Club (KOS)."},
    }
    credential = {
        "@context": CREDENTIAL_CONTEXTS,
        "id": credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{certificate.course_title} ({certificate.number})",
        "issuer": {"id": settings.SITE_URL, "type": ["Profile"], "name": ISSUER_NAME},
        "validFrom": f"{certificate.issued_on.isoformat()}T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": certificate.holder_name,
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "identifier",
                    "identityHash": certificate.number,
                    "hashed": False,
                }
            ],
            "achievement": achievement,
        },
        "credentialStatus": {
            "id": verify_url,
            "type": "KOSVerificationPage",
            "status": certificate.state_on(today),
            "checkedOn": today.isoformat(),
        },
    }
    if certificate.expires_on:
        credential["validUntil"] = f"{certificate.expires_on.isoformat()}T23:59:59Z"
    if certificate.session_dates:
        credential["credentialSubject"]["activityDates"] = certificate.session_dates
    return credential


def jws_sign(payload: bytes) -> str:
    """A compact JWS (EdDSA, Ed25519) of `payload`. Raises keys.SigningKeyMissing."""
    header = {"alg": "EdDSA", "kid": keys.key_id()}
    signing_input = f"{keys.b64url(canonical_json(header))}.{keys.b64url(payload)}"
    signature = keys.signing_key().sign(signing_input.encode("ascii"))
    return f"{signing_input}.{keys.b64url(signature)}"


def credential_sign(credential: dict) -> dict:
    """`{"credential": ..., "proof": ...}`: the credential with a JWS over its canonical
    JSON (the JWS carries the same bytes as its payload). Raises keys.SigningKeyMissing."""
    return {
        "credential": credential,
        "proof": {
            "type": "JsonWebSignature2020",
            "created": timezone.now().replace(microsecond=0).isoformat(),
            "verificationMethod": keys.key_id(),
            "proofPurpose": "assertionMethod",
            "canonicalization": "JSON with sorted keys, no whitespace, UTF-8",
            "jws": jws_sign(canonical_json(credential)),
        },
    }
