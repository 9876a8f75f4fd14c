"""Consents (given or withdrawn, never deleted) and guardians' consents for minors."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members import age
from members.consent_texts import CONSENT_TEXTS, GUARDIAN_CONSENT
from members.models import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    GuardianConsent,
    Member,
    Membership,
)


def current_consents(member: Member) -> dict[str, Consent | None]:
    """The newest consent row per purpose (None: never asked). Uses a prefetched
    `consents` list when there is one."""
    latest: dict[str, Consent | None] = {purpose: None for purpose in ConsentPurpose.values}
    for consent in member.consents.all():  # ordered newest first
        if latest.get(consent.purpose) is None:
            latest[consent.purpose] = consent
    return latest


def has_guardian_consent(member: Member) -> bool:
    """Whether a guardian's consent is recorded and not withdrawn."""
    return member.guardian_consents.filter(withdrawn_at__isnull=True).exists()


def guardian_consent_missing(member: Member) -> bool:
    """A minor without a current guardian's consent: cannot be an active member."""
    return age.is_minor(member.birth_date) and not has_guardian_consent(member)


@transaction.atomic
def consent_record(
    *,
    member: Member,
    purpose: str,
    given: bool,
    recorded_by,
    method: str = ConsentMethod.PAPER,
    text_version: str | None = None,
    by_guardian: bool | None = None,
) -> Consent:
    """Append a consent (or its withdrawal) for one purpose, with the text's version.

    Rows are never edited or deleted: a withdrawal is a new row with given=False. Safe to
    run twice: when the newest row already says the same thing (same answer, same text
    version), it is returned and nothing is added.
    """
    if purpose not in CONSENT_TEXTS:
        raise ValidationError(_("Unknown consent purpose."))
    if method not in ConsentMethod.values:
        raise ValidationError(_("Unknown way of recording a consent."))
    if member.is_anonymised:
        raise ValidationError(_("This person's data has been erased."))
    version = text_version or CONSENT_TEXTS[purpose].version
    if by_guardian is None:
        by_guardian = age.is_minor(member.birth_date)
    # Lock the person, so two simultaneous submissions don't both append.
    Member.objects.select_for_update(of=("self",)).filter(pk=member.pk).first()
    latest = member.consents.filter(purpose=purpose).order_by("-recorded_at", "-pk").first()
    if latest is not None and latest.given == given and latest.text_version == version:
        return latest
    if latest is None and not given:
        raise ValidationError(_("There is no consent for this purpose to withdraw."))
    return Consent.objects.create(
        member=member,
        purpose=purpose,
        given=given,
        text_version=version,
        recorded_by=recorded_by,
        method=method,
        by_guardian=by_guardian,
    )


def consents_record(
    *, member: Member, consents: dict[str, bool], recorded_by, method: str
) -> list[Consent]:
    """Record several purposes at once (a registration form). Purposes answered "no" that
    were never given are not recorded: there is nothing to withdraw."""
    recorded = []
    for purpose, given in consents.items():
        if not given and not member.consents.filter(purpose=purpose).exists():
            continue
        recorded.append(
            consent_record(
                member=member,
                purpose=purpose,
                given=bool(given),
                recorded_by=recorded_by,
                method=method,
            )
        )
    return recorded


def consent_withdraw(
    *, member: Member, purpose: str, recorded_by, method: str = ConsentMethod.PAPER
) -> Consent:
    """Record the withdrawal of a consent (a new row; the consent given stays in history)."""
    latest = member.consents.filter(purpose=purpose).order_by("-recorded_at", "-pk").first()
    version = latest.text_version if latest is not None else None
    return consent_record(
        member=member,
        purpose=purpose,
        given=False,
        recorded_by=recorded_by,
        method=method,
        text_version=version,
    )


@transaction.atomic
def guardian_consent_record(
    *,
    member: Member,
    guardian_name: str,
    guardian_contact: str,
    consent_date: date,
    recorded_by,
    method: str = ConsentMethod.PAPER,
    text_version: str | None = None,
) -> GuardianConsent:
    """Record a guardian's consent to a minor's membership.

    Safe to run twice: a current consent from the same guardian with the same date and
    text version is returned instead of a second row.
    """
    guardian_name = " ".join((guardian_name or "").split())
    guardian_contact = " ".join((guardian_contact or "").split())
    if not guardian_name or not guardian_contact or consent_date is None:
        raise ValidationError(
            _("Give the guardian's name, their contact and the date of the consent.")
        )
    if consent_date > timezone.localdate():
        raise ValidationError(_("The date of the guardian's consent cannot be in the future."))
    if method not in ConsentMethod.values:
        raise ValidationError(_("Unknown way of recording a consent."))
    if member.is_anonymised:
        raise ValidationError(_("This person's data has been erased."))
    version = text_version or GUARDIAN_CONSENT.version
    Member.objects.select_for_update(of=("self",)).filter(pk=member.pk).first()
    existing = member.guardian_consents.filter(
        withdrawn_at__isnull=True,
        guardian_name=guardian_name,
        consent_date=consent_date,
        text_version=version,
    ).first()
    if existing is not None:
        return existing
    return GuardianConsent.objects.create(
        member=member,
        guardian_name=guardian_name,
        guardian_contact=guardian_contact,
        consent_date=consent_date,
        text_version=version,
        method=method,
        recorded_by=recorded_by,
    )


@transaction.atomic
def guardian_consent_withdraw(*, member: Member, withdrawn_by, reason: str = "") -> int:
    """Mark the minor's current guardian consents withdrawn (rows are kept).

    A minor cannot stay active without one, so their active memberships are suspended,
    each with a status change. Returns how many consents were withdrawn; safe to run twice.
    """
    from members.services.memberships import membership_status_change

    count = member.guardian_consents.filter(withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if count and age.is_minor(member.birth_date):
        active = member.memberships.select_related("club").filter(status=Membership.Status.ACTIVE)
        for membership in active:
            membership_status_change(
                membership=membership,
                to_status=Membership.Status.SUSPENDED,
                changed_by=withdrawn_by,
                reason=reason or _("The guardian's consent was withdrawn."),
            )
    return count
