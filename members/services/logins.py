"""Logins for members and their guardians: invitations by email, and accepting them.

Sign-up is closed, so a person gets a login only through a link sent by their club's staff
(or with the approval of their application). The link sets a password and binds the new
login to the person (`member_user_link`), or, for a minor, makes it their guardian's
(`Guardianship`). Age rules are in members.age: under 16 no own login.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clubs.models import Club
from clubs.services.invitations import account_create_verified
from kos_portal import access
from kos_portal.tasks import enqueue_on_commit
from members import age
from members.models import Guardianship, LoginInvitation, Member, Membership
from members.services.registration import member_user_link, normalise_email

Kind = LoginInvitation.Kind


def _user_with_email(email: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(email__iexact=email).first()


def login_invite_refusal(member: Member, kind: str = Kind.OWN, email: str = "") -> str | None:
    """Why `member` (or their guardian, at `email`) cannot be invited to log in, or None."""
    if member.is_anonymised:
        return _("This person's data has been erased.")
    if kind == Kind.OWN:
        if member.user_id is not None:
            return _("This person already has a login.")
        if not age.may_hold_login(member.birth_date):
            return _(
                "People under 16 cannot have a login of their own. Invite their guardian "
                "instead: the guardian's login sees the person's data and can withdraw "
                "consents."
            )
        if not member.email:
            return _("Add the person's email address first: the invitation is sent there.")
        account = _user_with_email(member.email)
        if account is not None and Member.objects.filter(user=account).exists():
            return _("This email address is already the login of another person.")
        return None
    if not age.is_minor(member.birth_date):
        return _("Only people under 18 have a guardian's login; adults get their own.")
    if not email:
        return _("Give the guardian's email address.")
    account = _user_with_email(email)
    if account is not None and Guardianship.objects.filter(user=account, member=member).exists():
        return _("This guardian already has a login for this person.")
    return None


def _club_for(member: Member, invited_by, club: Club | None) -> Club:
    """The club the inviter acts for: the one given, or the first of the person's clubs
    where the inviter may invite. ValidationError when there is none."""
    memberships = Membership.objects.filter(member=member).select_related("club")
    if club is not None:
        memberships = memberships.filter(club=club)
    for membership in memberships.order_by("club__name", "pk"):
        if access.can(invited_by, "members.invite_login", membership):
            return membership.club
    raise ValidationError(_("You may not invite this person to log in."))


@transaction.atomic
def login_invite(
    *,
    member: Member,
    invited_by,
    club: Club | None = None,
    kind: str = Kind.OWN,
    email: str = "",
    send: bool = True,
) -> LoginInvitation:
    """Invite the person (kind "own", to their email) or their guardian (kind "guardian",
    to `email`) to set a password; the email is queued after commit unless `send` is False
    (the caller sends the link in its own email, as the application's approval does).

    Safe to run twice: a pending invitation to the same address is sent again with a fresh
    expiry instead of creating a second one.
    """
    club = _club_for(member, invited_by, club)
    member = Member.objects.select_for_update(of=("self",)).get(pk=member.pk)
    email = normalise_email(member.email if kind == Kind.OWN else email)
    refusal = login_invite_refusal(member, kind, email)
    if refusal:
        raise ValidationError(refusal)
    invitation = (
        LoginInvitation.objects.usable()
        .select_for_update(of=("self",))
        .filter(member=member, kind=kind, email__iexact=email)
        .first()
    )
    if invitation is None:
        invitation = LoginInvitation.objects.create(
            member=member, club=club, kind=kind, email=email, invited_by=invited_by
        )
    else:
        invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)
        invitation.invited_by = invited_by
        invitation.save(update_fields=["expires_at", "invited_by"])
    if send:
        from members.tasks import login_invitation_send_task  # tasks import services

        enqueue_on_commit(login_invitation_send_task, invitation.pk)
    return invitation


def login_invite_many(
    *, members, club: Club, invited_by
) -> tuple[list[LoginInvitation], list[tuple[Member, str]]]:
    """Invite each person of `members` to their own login (the roster's bulk action).

    Returns the invitations queued and the people skipped with the reason (under 16, no
    email, a login already); each person is one transaction, so one refusal stops nobody.
    """
    invited: list[LoginInvitation] = []
    skipped: list[tuple[Member, str]] = []
    for member in members:
        try:
            invited.append(login_invite(member=member, invited_by=invited_by, club=club))
        except ValidationError as error:
            skipped.append((member, " ".join(error.messages)))
    return invited, skipped


def login_invitation_url(invitation: LoginInvitation) -> str:
    """The absolute link in the email."""
    path = reverse("members:login-accept", kwargs={"login_token": invitation.token})
    return f"{settings.SITE_URL}{path}"


def login_invitation_email_send(*, invitation: LoginInvitation) -> None:
    """Email the set-password link, in the inviter's language; records when it went out."""
    inviter = invitation.invited_by
    language = inviter.language if inviter is not None else settings.LANGUAGE_CODE
    context = {
        "invitation": invitation,
        "member": invitation.member,
        "club": invitation.club,
        "guardian": invitation.kind == Kind.GUARDIAN,
        "accept_url": login_invitation_url(invitation),
        "valid_days": settings.INVITATION_VALID_DAYS,
    }
    with translation.override(language):
        subject = render_to_string("members/email/login_invitation_subject.txt", context)
        body = render_to_string("members/email/login_invitation_message.txt", context)
    EmailMessage(subject=" ".join(subject.split()), body=body, to=[invitation.email]).send()
    LoginInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())


def login_invitation_refusal(invitation: LoginInvitation) -> str | None:
    """Why the link can no longer be used, or None when it can."""
    state = invitation.state
    if state == "accepted":
        return _("This invitation has already been used.")
    if state == "revoked":
        return _("This invitation has been withdrawn.")
    if state == "expired":
        return _("This invitation has expired. Ask your club's leader for a new one.")
    if invitation.member.is_anonymised:
        return _("This invitation has been withdrawn.")
    return None


@transaction.atomic
def guardian_link(*, member: Member, user, created_by=None) -> Guardianship:
    """Make `user` a guardian of `member`. Refused for adults. Safe to run twice."""
    if not age.is_minor(member.birth_date):
        raise ValidationError(
            _("Only people under 18 have a guardian's login; adults get their own.")
        )
    guardianship, _created = Guardianship.objects.get_or_create(
        user=user, member=member, defaults={"created_by": created_by}
    )
    access.forget_own_members(user)
    return guardianship


@transaction.atomic
def login_invitation_accept(*, invitation: LoginInvitation, user) -> Member:
    """Bind `user` to the invited person (own login) or make them the guardian, and mark
    the invitation used. The row is locked: two simultaneous accepts link once."""
    invitation = (
        LoginInvitation.objects.select_for_update(of=("self",))
        .select_related("member")
        .get(pk=invitation.pk)
    )
    refusal = login_invitation_refusal(invitation)
    if refusal:
        raise ValidationError(refusal)
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(_("This invitation was sent to a different email address."))
    member = invitation.member
    if invitation.kind == Kind.OWN:
        member = member_user_link(member=member, user=user)
    else:
        guardian_link(member=member, user=user, created_by=invitation.invited_by)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    access.forget_own_members(user)
    return member


@transaction.atomic
def login_invitation_accept_new_user(
    *,
    invitation: LoginInvitation,
    first_name: str,
    last_name: str,
    password: str,
    language: str = settings.LANGUAGE_CODE,
):
    """Create the login for the invited address and accept the invitation with it."""
    user = account_create_verified(
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        language=language,
    )
    login_invitation_accept(invitation=invitation, user=user)
    return user


def login_state(member: Member) -> dict:
    """What the member page shows about logins: own login, guardians, pending invitations,
    and whether (and why not) each kind of invitation can be sent."""
    pending = list(member.login_invitations.usable().order_by("-created_at"))
    return {
        "guardians": list(member.guardianships.select_related("user")),
        "pending": pending,
        "own_refusal": login_invite_refusal(member, Kind.OWN),
        "guardian_possible": not member.is_anonymised and age.is_minor(member.birth_date),
    }
