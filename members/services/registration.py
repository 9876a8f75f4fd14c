"""Registering people: validation and normalisation of contact data, finding the same
person again (duplicates), registration by staff and applications from the public page."""

from __future__ import annotations

from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clubs.models import Club, Municipality, search_key
from kos_portal import access
from kos_portal.text import fold
from members import age
from members.consent_texts import REQUIRED_PURPOSES
from members.models import ConsentMethod, Member, Membership, MembershipStatusChange, Skill
from members.services.consents import (
    Guardian,
    consents_record,
    guardian_consent_missing,
    guardian_consent_record,
)
from members.services.memberships import membership_start, membership_status_change

Status = Membership.Status
PHONE_REGION = "PL"
MESSAGE_MAX_LENGTH = 2000


# --- Normalisation ---------------------------------------------------------------------


def normalise_phone(raw: str) -> str:
    """A phone number in E.164 (+48600700800); "" for an empty one.

    Numbers without a country code are read as Polish. ValidationError for anything that
    is not a valid number.
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    error = ValidationError(
        _("Enter a valid phone number, e.g. 600 700 800 or +48 600 700 800."), code="phone"
    )
    try:
        number = phonenumbers.parse(raw, PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise error from None
    if not phonenumbers.is_valid_number(number):
        raise error
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """A lower-cased, validated email address; "" for an empty one."""
    email = (raw or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(_("Enter a valid email address."), code="email") from None
    return email


def normalise_name(raw: str) -> str:
    """Whitespace tidied; letters (and Polish diacritics) kept exactly as typed."""
    return " ".join((raw or "").split())


# --- Duplicates ------------------------------------------------------------------------


def member_find_duplicates(
    *, email: str, first_name: str, last_name: str, birth_date: date | None
) -> QuerySet[Member]:
    """People already registered (anywhere) who look like this one: the same email, or the
    same name and date of birth.

    Names compare case-insensitively with diacritics kept ("ŻÓŁKIEWSKA" is "Żółkiewska",
    "Zolkiewska" is not), on SQLite too, through the folded `search_text`. Erased
    people are never matched. Callers show people outside the user's scope only as "someone
    in another club".
    """
    email = (email or "").strip().lower()
    first_name, last_name = normalise_name(first_name), normalise_name(last_name)
    ids: set[int] = set()
    live = Member.objects.filter(anonymised_at__isnull=True)
    if email:
        ids.update(live.filter(email__iexact=email).values_list("pk", flat=True))
    if first_name and last_name and birth_date:
        key = search_key(first_name, last_name)
        # search_text is "first last email", folded: narrow in SQL, then compare the names
        # with their diacritics.
        candidates = live.filter(
            birth_date=birth_date, search_text__startswith=fold(first_name, last_name)
        ).only("pk", "first_name", "last_name")
        ids.update(m.pk for m in candidates if search_key(m.first_name, m.last_name) == key)
    return Member.objects.filter(pk__in=sorted(ids))


def _same_person(
    candidates, *, email: str, first_name: str, last_name: str, birth_date: date
) -> Member | None:
    """The candidate whose email, name and date of birth all agree: certainly this person."""
    key = search_key(first_name, last_name)
    for member in candidates:
        same_name = search_key(member.first_name, member.last_name) == key
        if member.email.lower() == email and member.birth_date == birth_date and same_name:
            return member
    return None


def _check_person(
    *, first_name: str, last_name: str, birth_date: date | None, email: str, phone: str
) -> tuple[str, str, str, str]:
    first_name, last_name = normalise_name(first_name), normalise_name(last_name)
    if not first_name or not last_name:
        raise ValidationError(_("Give the person's first and last name."))
    if birth_date is None:
        raise ValidationError(_("Give the person's date of birth."))
    if birth_date > timezone.localdate():
        raise ValidationError(_("The date of birth cannot be in the future."))
    email, phone = normalise_email(email), normalise_phone(phone)
    if not email and not phone:
        raise ValidationError(_("Give an email address or a phone number (or both)."))
    return first_name, last_name, email, phone


def _check_consents(consents: dict[str, bool]) -> None:
    missing = [p for p in REQUIRED_PURPOSES if not consents.get(p)]
    if missing:
        raise ValidationError(
            _("The consent to processing membership data is required to register.")
        )


# --- Registration by staff -------------------------------------------------------------


@transaction.atomic
def member_register(
    *,
    club: Club,
    registered_by,
    first_name: str,
    last_name: str,
    birth_date: date | None,
    email: str = "",
    phone: str = "",
    municipality: Municipality | None = None,
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
    skills=(),
    consents: dict[str, bool] | None = None,
    guardian: dict | None = None,
    method: str = ConsentMethod.PAPER,
    link_to: Member | None = None,
) -> Membership:
    """Register a person in `club`, recording their consents (and a guardian's for a minor).

    `link_to` adds the membership to a person already registered elsewhere (one of
    `member_find_duplicates` for the same data) instead of creating a new one; their
    stored data is kept and only blanks are filled in. `guardian` holds guardian_name,
    guardian_relation, guardian_contact, consent_date (and optionally text_version).

    Consents are the person's own from 16 (a paper form: given_by staff_paper) and the
    named guardian's under 16; under 16 without a guardian no consent and no skills are
    recorded. The membership is active, except for a minor without a guardian's consent:
    they are registered as an applicant until it is recorded. Safe to run twice: registering the
    same person in the same club again returns the existing membership.
    """
    if not access.can(registered_by, "members.register_member", club):
        raise ValidationError(_("You may not register members in this club."))
    if not club.takes_new_members:
        raise ValidationError(_("This club is not taking new members at the moment."))
    first_name, last_name, email, phone = _check_person(
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        email=email,
        phone=phone,
    )
    emergency_contact_phone = normalise_phone(emergency_contact_phone)
    consents = dict(consents or {})
    _check_consents(consents)
    duplicates = member_find_duplicates(
        email=email, first_name=first_name, last_name=last_name, birth_date=birth_date
    )
    if link_to is not None:
        if not duplicates.filter(pk=link_to.pk).exists():
            raise ValidationError(
                _("The person to link has a different email, name or date of birth.")
            )
        member = Member.objects.select_for_update(of=("self",)).get(pk=link_to.pk)
    else:
        # A second submission of the same form finds the person it created the first time.
        member = _same_person(
            duplicates.filter(memberships__club=club),
            email=email,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
        )
    if member is None:
        member = Member.objects.create(
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            email=email,
            phone=phone,
            municipality=municipality,
            emergency_contact_name=normalise_name(emergency_contact_name),
            emergency_contact_phone=emergency_contact_phone,
            created_by=registered_by,
        )
    else:
        _fill_blanks(
            member,
            email=email,
            phone=phone,
            municipality=municipality,
            emergency_contact_name=normalise_name(emergency_contact_name),
            emergency_contact_phone=emergency_contact_phone,
        )
    child_without_guardian = age.needs_guardian_for_consent(member.birth_date) and not guardian
    if skills and not child_without_guardian:  # under 16 without a guardian: only what
        member.skills.add(*skills)  # membership strictly needs is kept (#13)
    if guardian:
        guardian_consent_record(
            member=member,
            guardian_name=guardian.get("guardian_name", ""),
            guardian_contact=guardian.get("guardian_contact", ""),
            guardian_relation=guardian.get("guardian_relation", ""),
            consent_date=guardian.get("consent_date"),
            text_version=guardian.get("text_version"),
            recorded_by=registered_by,
            method=method,
        )
    consents_record(
        member=member,
        consents=consents,
        recorded_by=registered_by,
        method=method,
        guardian=_guardian(guardian),
    )
    waiting = guardian_consent_missing(member)
    membership = Membership.objects.filter(member=member, club=club).first()
    if membership is None:
        membership = Membership(member=member, club=club)
        reason = _("Waiting for the guardian's consent.") if waiting else ""
        return membership_start(
            membership=membership,
            status=Status.APPLICANT if waiting else Status.ACTIVE,
            changed_by=registered_by,
            reason=reason,
        )
    if membership.status in (Status.APPLICANT, Status.LEFT) and not waiting:
        # Registered again by staff: the person is (back) in the club.
        return membership_status_change(
            membership=membership, to_status=Status.ACTIVE, changed_by=registered_by
        )
    return membership


def _guardian(guardian: dict | None) -> Guardian | None:
    """The consent giver named in a registration's guardian data (None without one)."""
    if not guardian or not (guardian.get("guardian_name") or "").strip():
        return None
    return Guardian.from_contact(
        name=guardian["guardian_name"],
        relation=guardian.get("guardian_relation", ""),
        contact=guardian.get("guardian_contact", ""),
    )


def _fill_blanks(member: Member, **values) -> None:
    """Complete an existing person's data without overwriting what another club recorded."""
    changed = [name for name, value in values.items() if value and not getattr(member, name)]
    for name in changed:
        setattr(member, name, values[name])
    if changed:
        member.save()


# --- Changes to a person ---------------------------------------------------------------

EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "email",
    "phone",
    "municipality",
    "emergency_contact_name",
    "emergency_contact_phone",
    "notes",
)


@transaction.atomic
def member_update(*, member: Member, changed_by, skills=None, **values) -> Member:
    """Change a person's data with the same checks as registration.

    Only the fields in EDITABLE_FIELDS may be passed. A date of birth that makes someone
    with a login younger than 16 is refused. Safe to run twice.
    """
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"member_update() got unexpected fields: {sorted(unknown)}")
    member = Member.objects.select_for_update(of=("self",)).get(pk=member.pk)
    if member.is_anonymised:
        raise ValidationError(_("This person's data has been erased."))
    data = {name: getattr(member, name) for name in EDITABLE_FIELDS}
    data.update(values)
    first_name, last_name, email, phone = _check_person(
        first_name=data["first_name"],
        last_name=data["last_name"],
        birth_date=data["birth_date"],
        email=data["email"],
        phone=data["phone"],
    )
    if member.user_id and not age.may_hold_login(data["birth_date"]):
        raise ValidationError(
            _("People under 16 cannot have their own login; remove the login first.")
        )
    data.update(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        emergency_contact_name=normalise_name(data["emergency_contact_name"]),
        emergency_contact_phone=normalise_phone(data["emergency_contact_phone"]),
        notes=(data["notes"] or "").strip(),
    )
    for name, value in data.items():
        setattr(member, name, value)
    member.save()
    if skills is not None:
        member.skills.set(skills)
    return member


@transaction.atomic
def member_user_link(*, member: Member, user) -> Member:
    """Give a person their own login. Refused for under-16s (they never hold one) and for
    a login that already belongs to someone else. Safe to run twice."""
    member = Member.objects.select_for_update(of=("self",)).get(pk=member.pk)
    if member.user_id == user.pk:
        return member
    if not age.may_hold_login(member.birth_date):
        raise ValidationError(_("People under 16 cannot have a login of their own."))
    if member.user_id is not None:
        raise ValidationError(_("This person already has a login."))
    if Member.objects.filter(user=user).exists():
        raise ValidationError(_("This login already belongs to another person."))
    member.user = user
    member.save(update_fields=["user"])
    return member


# --- Applications from the public page -------------------------------------------------


@transaction.atomic
def membership_apply(
    *,
    club: Club,
    first_name: str,
    last_name: str,
    birth_date: date | None,
    email: str,
    phone: str = "",
    municipality: Municipality | None = None,
    message: str = "",
    consents: dict[str, bool] | None = None,
    guardian: dict | None = None,
) -> Membership:
    """A citizen's application to join an active club; it waits for the leader's decision.

    `guardian` (guardian_name, guardian_relation, guardian_email) is the parent or legal
    guardian who filled in the form with a minor and agreed to the membership: their
    consent is recorded (online, today). Under 16 the consents are the guardian's; without
    a guardian only what the application needs is kept, no consent is recorded and the
    applicant cannot be accepted until a guardian consents. From 16 the consents are the
    applicant's own.

    The applicant is matched to an existing person only when email, name and date of birth
    all agree, so nobody can attach an application to someone else's record by typing
    their email. Safe to run twice: the same application again returns the pending one.
    """
    if not club.takes_new_members:
        raise ValidationError(_("This club is not taking new members at the moment."))
    if not (email or "").strip():
        raise ValidationError(_("Give your email address: we will send you the decision."))
    first_name, last_name, email, phone = _check_person(
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        email=email,
        phone=phone,
    )
    consents = dict(consents or {})
    _check_consents(consents)
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ValidationError(_("The message is too long: at most 2,000 characters."))
    member = _same_person(
        member_find_duplicates(
            email=email, first_name=first_name, last_name=last_name, birth_date=birth_date
        ),
        email=email,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
    )
    if member is None:
        member = Member.objects.create(
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            email=email,
            phone=phone,
            municipality=municipality,
        )
    membership = (
        Membership.objects.select_for_update(of=("self",)).filter(member=member, club=club).first()
    )
    if membership is not None and membership.status != Status.LEFT:
        return membership  # pending already, or a member: nothing to apply for
    if guardian and age.is_minor(member.birth_date):
        guardian_consent_record(
            member=member,
            guardian_name=guardian.get("guardian_name", ""),
            guardian_contact=guardian.get("guardian_email", ""),
            guardian_relation=guardian.get("guardian_relation", ""),
            consent_date=timezone.localdate(),
            recorded_by=None,
            method=ConsentMethod.ONLINE,
        )
    consents_record(
        member=member,
        consents=consents,
        recorded_by=None,
        method=ConsentMethod.ONLINE,
        guardian=_guardian(
            guardian and {**guardian, "guardian_contact": guardian.get("guardian_email", "")}
        ),
    )
    if membership is None:
        membership = Membership(member=member, club=club, application_message=message)
        return membership_start(membership=membership, status=Status.APPLICANT, changed_by=None)
    # Someone who left applies again: a fresh application on the same membership row.
    membership.application_message = message
    membership.applied_on = timezone.localdate()
    membership.save(update_fields=["application_message", "applied_on"])
    from_status = membership.status
    membership.status = Status.APPLICANT
    membership.status_changed_at = timezone.now()
    membership.status_reason = ""
    membership.save(update_fields=["status", "status_changed_at", "status_reason"])
    MembershipStatusChange.objects.create(
        membership=membership, club=club, from_status=from_status, to_status=Status.APPLICANT
    )
    return membership


def skills_all() -> QuerySet[Skill]:
    """Every skill, for the forms."""
    return Skill.objects.all()
