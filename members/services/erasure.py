"""Erasure of a person's data (RODO art. 17), on request or when the retention period ends.

Erasure anonymises rather than deletes: the Member row, its memberships, status history,
consent events and certificates stay, so counts by gmina, age band, club status and pillar
do not change. What identifies the person goes: names, contacts, free text (which may
name people), the exact date of birth, the login, guardians' names on consents, the
person's email in the access log, and, through erasure_sweep, every copy of their full
name, email or phone in any other table or staged roster file. Apps above delete what
they hold (certificates: the holder's name and the PDF). See docs/rodo.md.
"""

from __future__ import annotations

import secrets
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from clubs.models import Assignment
from kos_portal import access
from members.models import (
    Consent,
    GuardianConsent,
    Guardianship,
    LoginInvitation,
    Member,
    Membership,
    MembershipStatusChange,
    PersonalDataAccess,
)
from members.services import erasure_sweep

# Sent after a person was anonymised, with member=...; apps above (training,
# certificates) listen and clear the personal data they copied.
member_erased = Signal()

ERASE_PERMISSION = "members.erase_member"
RETENTION_BATCH_SIZE = 200
# RFC 2606 reserves .invalid: mail to it can never be delivered.
ERASED_EMAIL_DOMAIN = erasure_sweep.ERASED_EMAIL_DOMAIN


def member_erase_allowed(user, member: Member) -> bool:
    """Whether `user` may erase `member`: the right to erase on at least one of their clubs.

    Erasure is per person, not per membership (RODO gives the right to the person), so
    one club in which the user may erase is enough. Callers have already looked the member
    up through `Member.objects.visible_to(user)`; prefetch the memberships with their
    clubs to keep this to no queries.
    """
    if access.is_national(user):
        return True
    return any(access.can(user, ERASE_PERMISSION, m) for m in member.memberships.all())


@transaction.atomic
def member_erase(*, member: Member, erased_by, reason: str) -> Member:
    """Anonymise one person and log the erasure. Safe to run twice: the second run changes
    and logs nothing.

    `erased_by` None is the retention task. Raises ValidationError without a reason.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give the reason for the erasure (e.g. the date of the request)."))
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the user join.
    member = Member.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
    if member.is_anonymised:
        return member
    user = member.user
    identifiers = _identifiers(member)
    own_email = member.email  # cleared below; the access log still has it
    names = (member.first_name, member.last_name)
    if member.birth_date is not None:
        member.birth_year = member.birth_date.year  # the age band survives erasure
    member.first_name = member.last_name = ""
    member.birth_date = None
    member.email = member.phone = ""
    member.emergency_contact_name = member.emergency_contact_phone = ""
    member.notes = ""
    member.search_text = ""
    member.user = None
    member.anonymised_at = timezone.now()
    # update() rather than save(): save() would rebuild search_text from the (now empty)
    # fields anyway, but update() states exactly which columns erasure touches.
    Member.objects.filter(pk=member.pk).update(
        first_name="",
        last_name="",
        birth_date=None,
        birth_year=member.birth_year,
        email="",
        phone="",
        emergency_contact_name="",
        emergency_contact_phone="",
        notes="",
        search_text="",
        user=None,
        anonymised_at=member.anonymised_at,
    )
    Membership.objects.filter(member=member).update(status_reason="", application_message="")
    MembershipStatusChange.objects.filter(membership__member=member).update(reason="")
    GuardianConsent.objects.filter(member=member).update(
        guardian_name="", guardian_contact="", guardian_relation=""
    )
    Consent.objects.filter(member=member).update(
        guardian_name="", guardian_relation="", guardian_email=""
    )
    erased_email = f"erased-member-{member.pk}@{ERASED_EMAIL_DOMAIN}"
    # Guardians lose the person, and links still in the post no longer work (logins.py).
    Guardianship.objects.filter(member=member).delete()
    LoginInvitation.objects.filter(member=member).delete()
    if user is not None:
        _login_close(user)
        erased_email = user.email
    _access_log_scrub(
        member=member, user=user, own_email=own_email, identifiers=identifiers, email=erased_email
    )
    # Copies elsewhere (admin history, invitations, reminders, messages, other apps'
    # tables) and staged roster files: found by value (#13).
    erasure_sweep.everywhere_redact(identifiers)
    erasure_sweep.staged_uploads_forget(identifiers, names)
    reason = erasure_sweep.redact(reason, identifiers)  # "request of Zofia Nowak" names her
    _log_erasure(member=member, erased_by=erased_by, reason=reason)
    transaction.on_commit(lambda: member_erased.send(sender=Member, member=member))
    return member


def _identifiers(member: Member) -> list[str]:
    """What names the person (and their guardians) as text: full name, emails, phones."""
    guardians = list(member.guardian_consents.values_list("guardian_name", "guardian_contact"))
    given = list(member.consents.values_list("guardian_name", "guardian_email"))
    user_email = member.user.email if member.user_id else ""
    return erasure_sweep.identifiers_of(
        f"{member.first_name} {member.last_name}",
        f"{member.last_name} {member.first_name}",
        member.email,
        user_email,
        member.emergency_contact_name,
        *erasure_sweep.phone_variants(member.phone),
        *erasure_sweep.phone_variants(member.emergency_contact_phone),
        *[value for pair in guardians + given for value in pair],
    )


def _access_log_scrub(
    *, member: Member, user, own_email: str, identifiers: list[str], email: str
) -> None:
    """The log keeps its rows (who looked at what, when), but not the person's identity:
    their own email as the viewer becomes the erased login's address, and any detail
    about them loses identifiers."""
    rows = PersonalDataAccess.objects.all()
    own = Q(user_email__iexact=own_email) if own_email else Q(pk__in=[])
    if user is not None:
        own |= Q(user=user)
    rows.filter(own).update(user_email=email)
    detail = [PersonalDataAccess._meta.get_field("detail")]
    erasure_sweep.rows_redact(
        PersonalDataAccess, detail, identifiers, base=rows.filter(Q(member=member) | own)
    )


def _login_close(user) -> None:
    """Deactivate the person's login and replace its identifying fields.

    The row stays (the access log and other records point at it), but the email becomes
    a unique, undeliverable address, so the person can sign up afresh one day.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.email = f"erased-{user.pk}-{secrets.token_hex(4)}@{ERASED_EMAIL_DOMAIN}"
    user.first_name = user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "first_name", "last_name", "is_active", "password"])
    access.forget_scope(user)


def _log_erasure(*, member: Member, erased_by, reason: str) -> None:
    detail = reason[: PersonalDataAccess._meta.get_field("detail").max_length]
    if erased_by is not None:
        from members.services.access_log import personal_data_access_log

        personal_data_access_log(
            user=erased_by, action=PersonalDataAccess.Action.ERASE, member=member, detail=detail
        )
        return
    # The retention task has no user; the log names the system instead.
    PersonalDataAccess.objects.create(
        user=None,
        user_email=f"retention@{ERASED_EMAIL_DOMAIN}",
        action=PersonalDataAccess.Action.ERASE,
        member=member,
        detail=detail,
    )


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year without one
        return today.replace(year=today.year - years, day=28)


def retention_candidates(*, today: date | None = None):
    """People due for anonymisation: every membership left more than
    MEMBER_RETENTION_YEARS ago, not anonymised yet, and not staff."""
    today = today or timezone.localdate()
    cutoff = _years_before(today, settings.MEMBER_RETENTION_YEARS)
    still_here = Membership.objects.filter(member=OuterRef("pk")).filter(
        ~Q(status=Membership.Status.LEFT) | Q(left_on__isnull=True) | Q(left_on__gte=cutoff)
    )
    staff_role = Assignment.objects.active().filter(user_id=OuterRef("user_id"))
    return (
        Member.objects.filter(anonymised_at__isnull=True)
        .filter(Exists(Membership.objects.filter(member=OuterRef("pk"))))
        .exclude(Exists(still_here))
        .exclude(Exists(staff_role))
        .exclude(user__is_staff=True)
        .exclude(user__is_superuser=True)
    )


def members_retention_anonymise(
    *, today: date | None = None, batch_size: int = RETENTION_BATCH_SIZE
) -> int:
    """Anonymise everyone `retention_candidates` finds, in batches by id; returns how many.

    Safe to run twice (anonymised people are no longer candidates) and to stop halfway:
    each person is erased in their own transaction.
    """
    today = today or timezone.localdate()
    reason = f"retention: left more than {settings.MEMBER_RETENTION_YEARS} years before {today}"
    erased, last_pk = 0, 0
    while True:
        batch = list(
            retention_candidates(today=today)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return erased
        for pk in batch:
            member_erase(member=Member(pk=pk), erased_by=None, reason=reason)
            erased += 1
        last_pk = batch[-1]
