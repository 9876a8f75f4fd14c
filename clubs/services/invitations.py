"""Invitations into roles, and accepting them."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clubs.models import Assignment, Club, Invitation, Municipality
from kos_portal import access
from kos_portal.roles import Role
from kos_portal.tasks import enqueue_on_commit


def _invitation_target(
    *, role: str, municipality: Municipality | None, club: Club | None
) -> Municipality | Club | None:
    """The scope the role is offered in; ValidationError when the scope doesn't fit the role."""
    if role == Role.NATIONAL:
        if municipality is not None or club is not None:
            raise ValidationError(_("National staff are invited to the whole country."))
        return None
    if role == Role.COORDINATOR:
        if municipality is None or club is not None:
            raise ValidationError(_("A coordinator is invited to a gmina."))
        return municipality
    if role in (Role.LEADER, Role.INSTRUCTOR):
        if club is None or municipality is not None:
            raise ValidationError(_("Leaders and instructors are invited to a club."))
        return club
    raise ValidationError(_("Unknown role."))


@transaction.atomic
def invitation_create(
    *,
    invited_by,
    email: str,
    role: str,
    municipality: Municipality | None = None,
    club: Club | None = None,
) -> Invitation:
    """Invite `email` to `role` in a scope and queue the email.

    Safe to run twice: a pending invitation for the same email, role and scope is sent
    again (with a fresh expiry) instead of creating a second one.
    """
    target = _invitation_target(role=role, municipality=municipality, club=club)
    if role not in access.invitable_roles(invited_by, target):
        raise ValidationError(_("You may not invite anyone to this role here."))
    email = email.strip().lower()
    invitation = (
        Invitation.objects.usable()
        .select_for_update(of=("self",))
        .filter(email__iexact=email, role=role, municipality=municipality, club=club)
        .first()
    )
    if invitation is None:
        invitation = Invitation.objects.create(
            email=email, role=role, municipality=municipality, club=club, invited_by=invited_by
        )
    else:
        invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)
        invitation.invited_by = invited_by
        invitation.save(update_fields=["expires_at", "invited_by"])
    _queue_send(invitation)
    return invitation


def _queue_send(invitation: Invitation) -> None:
    from clubs.tasks import invitation_send_task  # tasks import services' models only

    pk = invitation.pk
    enqueue_on_commit(invitation_send_task, pk)


def invitation_email_send(*, invitation: Invitation) -> None:
    """Email the invitation link, in the inviter's language, and record when it went out."""
    inviter = invitation.invited_by
    language = inviter.language if inviter is not None else settings.LANGUAGE_CODE
    path = reverse("clubs:invitation-accept", kwargs={"token": invitation.token})
    context = {
        "invitation": invitation,
        "inviter": inviter,
        "accept_url": f"{settings.SITE_URL}{path}",
        "valid_days": settings.INVITATION_VALID_DAYS,
    }
    with translation.override(language):
        subject = render_to_string("clubs/email/invitation_subject.txt", context)
        text = render_to_string("clubs/email/invitation_message.txt", context)
        html = render_to_string("clubs/email/invitation_message.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[invitation.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())


def invitation_refusal(invitation: Invitation) -> str | None:
    """Why the invitation can no longer be used, or None when it can."""
    state = invitation.state
    if state == "accepted":
        return _("This invitation has already been used.")
    if state == "revoked":
        return _("This invitation has been withdrawn.")
    if state == "expired":
        return _("This invitation has expired. Ask the person who invited you for a new one.")
    return None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Assignment:
    """Give `user` the invited role and mark the invitation used.

    The invitation row is locked, so two simultaneous accepts give one assignment; an
    active assignment for the same role and scope is reused rather than duplicated.
    """
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    refusal = invitation_refusal(invitation)
    if refusal:
        raise ValidationError(refusal)
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(_("This invitation was sent to a different email address."))
    assignment, _created = Assignment.objects.active().get_or_create(
        user=user,
        role=invitation.role,
        municipality_id=invitation.municipality_id,
        club_id=invitation.club_id,
        defaults={"created_by": invitation.invited_by},
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    access.forget_scope(user)
    return assignment


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, revoked_by) -> Invitation:
    """Withdraw a pending invitation. Safe to run twice; a used invitation can't be revoked."""
    invitation = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if invitation.role not in access.invitable_roles(revoked_by, invitation.target):
        raise ValidationError(_("You may not withdraw this invitation."))
    if invitation.accepted_at:
        raise ValidationError(_("This invitation has already been used."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def invitation_accept_new_user(
    *,
    invitation: Invitation,
    first_name: str,
    last_name: str,
    password: str,
    language: str = settings.LANGUAGE_CODE,
):
    """Create the account for an invited address and accept the invitation with it.

    The email counts as verified: the person proved they own it by opening the link.
    """
    user = account_create_verified(
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
        password=password,
        language=language,
    )
    invitation_accept(invitation=invitation, user=user)
    return user


@transaction.atomic
def account_create_verified(
    *, email: str, first_name: str, last_name: str, password: str, language: str
):
    """A new account whose email counts as verified (the person opened a link sent to it).

    The one way invitation links make accounts: staff invitations here, members' and
    guardians' logins in members.services.logins. ValidationError if the address is taken.
    """
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(_("An account with this email address already exists."))
    user = User.objects.create_user(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
