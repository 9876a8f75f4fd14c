"""Consents (given or withdrawn, never deleted) and guardians' consents for minors.

Who may give a consent (#13, docs/rodo.md):
- under 16: only a named parent or legal guardian (RODO art. 8 as applied in Poland).
  Without one, no consent-based processing is recorded and the person stays an applicant;
- 16 and over: the person themself (online, or on a paper form staff record). 16-17-year-
  olds still need a guardian's consent to club membership (GuardianConsent), because the
  civil-protection act asks for it; that is not a consent to data processing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members import age
from members.consent_texts import CONSENT_TEXTS, GUARDIAN_CONSENT
from members.models import (
    Consent,
    ConsentGiver,
    ConsentMethod,
    ConsentPurpose,
    GuardianConsent,
    Member,
    Membership,
)


@dataclass(frozen=True)
class Guardian:
    """The parent or legal guardian who gives a consent for a child."""

    name: str
    relation: str = ""
    email: str = ""

    @classmethod
    def from_contact(cls, *, name: str, relation: str = "", contact: str = "") -> Guardian:
        """A guardian from a form's free "phone or email" contact: an email is kept as one."""
        contact = (contact or "").strip()
        return cls(name=name, relation=relation, email=contact.lower() if "@" in contact else "")


def giver_for_method(method: str) -> str:
    """Who gave a consent recorded this way, when it is the person themself."""
    if method in (ConsentMethod.ONLINE, ConsentMethod.SELF_SERVICE):
        return ConsentGiver.SELF
    return ConsentGiver.STAFF_PAPER  # a paper form or an imported roster: staff attest it


def consent_giver_fields(
    *, birth_date: date | None, method: str, guardian: Guardian | None
) -> dict:
    """Consent fields saying who gave it, for rows written in bulk (the roster import):
    under 16 the named guardian, from 16 the person (see giver_for_method)."""
    if not age.needs_guardian_for_consent(birth_date):
        return {"given_by": giver_for_method(method)}
    guardian = guardian or Guardian(name="")
    return {
        "given_by": ConsentGiver.GUARDIAN if guardian.name else ConsentGiver.UNKNOWN,
        "guardian_name": guardian.name,
        "guardian_relation": guardian.relation,
        "guardian_email": guardian.email,
    }


def consent_giver_check(*, member: Member, given_by: str, guardian: Guardian | None) -> None:
    """Raise ValidationError when `given_by` cannot give a consent for `member`.

    Under 16 only a named guardian counts; from 16 the person consents themselves.
    """
    if given_by not in (ConsentGiver.SELF, ConsentGiver.GUARDIAN, ConsentGiver.STAFF_PAPER):
        raise ValidationError(_("Say who gave the consent."))
    # The forms also ask for the relation; a roster file names only the guardian.
    if given_by == ConsentGiver.GUARDIAN and not (guardian and guardian.name.strip()):
        raise ValidationError(_("Give the name of the parent or legal guardian."))
    child = age.needs_guardian_for_consent(member.birth_date)
    if child and given_by != ConsentGiver.GUARDIAN:
        raise ValidationError(
            _(
                "%(person)s is under 16: this consent must be given by a parent or legal "
                "guardian. Give the guardian's name and relation."
            )
            % {"person": member}
        )
    if not child and given_by == ConsentGiver.GUARDIAN:
        raise ValidationError(
            _("%(person)s is 16 or older and gives this consent themselves.") % {"person": member}
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
    given_by: str | None = None,
    guardian: Guardian | None = None,
) -> Consent:
    """Append a consent (or its withdrawal) for one purpose, with the text's version and
    who gave it.

    `given_by` defaults to the guardian when one is passed, else to the person (see
    giver_for_method). A consent refused by consent_giver_check raises ValidationError;
    anyone may withdraw. Rows are never edited or deleted: a withdrawal is a new row with
    given=False. Safe to run twice: when the newest row already says the same thing (same
    answer, text version and giver), it is returned and nothing is added.
    """
    if purpose not in CONSENT_TEXTS:
        raise ValidationError(_("Unknown consent purpose."))
    if method not in ConsentMethod.values:
        raise ValidationError(_("Unknown way of recording a consent."))
    if member.is_anonymised:
        raise ValidationError(_("This person's data has been erased."))
    version = text_version or CONSENT_TEXTS[purpose].version
    if given_by is None:
        given_by = ConsentGiver.GUARDIAN if guardian else giver_for_method(method)
    if given:
        consent_giver_check(member=member, given_by=given_by, guardian=guardian)
    if given_by != ConsentGiver.GUARDIAN:
        guardian = None
    # Lock the person, so two simultaneous submissions don't both append.
    Member.objects.select_for_update(of=("self",)).filter(pk=member.pk).first()
    latest = member.consents.filter(purpose=purpose).order_by("-recorded_at", "-pk").first()
    same = latest is not None and (latest.given, latest.text_version) == (given, version)
    if same and (not given or latest.given_by == given_by):
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
        given_by=given_by,
        guardian_name=" ".join(guardian.name.split()) if guardian else "",
        guardian_relation=guardian.relation.strip() if guardian else "",
        guardian_email=guardian.email if guardian else "",
    )


def consents_record(
    *,
    member: Member,
    consents: dict[str, bool],
    recorded_by,
    method: str,
    guardian: Guardian | None = None,
) -> list[Consent]:
    """Record several purposes at once (a registration form). Purposes answered "no" that
    were never given are not recorded: there is nothing to withdraw.

    Under 16 the answers count only with a guardian: without one nothing is recorded (the
    child's own ticks are not a valid consent) and [] is returned. From 16 the person's
    own answers are recorded and `guardian` is not used here.
    """
    if age.needs_guardian_for_consent(member.birth_date):
        if guardian is None:
            return []
        giver = ConsentGiver.GUARDIAN
    else:
        giver, guardian = giver_for_method(method), None
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
                given_by=giver,
                guardian=guardian,
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
    guardian_relation: str = "",
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
        guardian_relation=" ".join((guardian_relation or "").split()),
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
