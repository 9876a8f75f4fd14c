"""Membership statuses (applicant, active, suspended, left) and deciding applications."""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kos_portal.tasks import enqueue_on_commit
from members.models import LoginInvitation, Membership, MembershipStatusChange
from members.services.consents import guardian_consent_missing

Status = Membership.Status
REASON_MAX_LENGTH = 500
# Nobody goes back to being an applicant: an application is decided once.
ALLOWED = {
    Status.APPLICANT: {Status.ACTIVE, Status.LEFT},
    Status.ACTIVE: {Status.SUSPENDED, Status.LEFT},
    Status.SUSPENDED: {Status.ACTIVE, Status.LEFT},
    Status.LEFT: {Status.ACTIVE},
}
# Becoming active from these means joining the club: closed or suspended clubs take no one.
JOINING_FROM = {Status.APPLICANT, Status.LEFT}


def activation_refusal(membership: Membership) -> str | None:
    """Why the membership may not become active now, or None when it may."""
    if membership.status in JOINING_FROM and not membership.club.takes_new_members:
        return _("This club is not taking new members at the moment.")
    if guardian_consent_missing(membership.member):
        return _(
            "%(person)s is under 18: record their guardian's consent before making them "
            "an active member."
        ) % {"person": membership.member}
    return None


def _record_change(
    membership: Membership, *, from_status: str, to_status: str, changed_by, reason: str
) -> MembershipStatusChange:
    return MembershipStatusChange.objects.create(
        membership=membership,
        club_id=membership.club_id,
        from_status=from_status,
        to_status=to_status,
        changed_by=changed_by if getattr(changed_by, "pk", None) else None,
        reason=reason,
    )


@transaction.atomic
def membership_status_change(
    *, membership: Membership, to_status: str, changed_by, reason: str = ""
) -> Membership:
    """Move a membership to `to_status`, with dates, the reason and a history row.

    Refused with a clear message: a minor without a guardian's consent becoming active,
    a closed or suspended club taking someone in, a suspension without a reason, and
    moves back to "applicant". Safe to run twice: the same status again changes nothing.
    """
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("member", "club")
        .get(pk=membership.pk)
    )
    reason = " ".join((reason or "").split())[:REASON_MAX_LENGTH]
    if to_status not in Status.values:
        raise ValidationError(_("Unknown membership status."))
    if membership.status == to_status:
        return membership
    if to_status not in ALLOWED[membership.status]:
        raise ValidationError(
            _("A membership cannot go from “%(from)s” to “%(to)s”.")
            % {"from": membership.get_status_display(), "to": Status(to_status).label}
        )
    if to_status == Status.ACTIVE:
        refusal = activation_refusal(membership)
        if refusal:
            raise ValidationError(refusal)
    if to_status == Status.SUSPENDED and not reason:
        raise ValidationError(_("Give a reason for the suspension."))
    today = timezone.localdate()
    from_status = membership.status
    membership.status = to_status
    membership.status_changed_at = timezone.now()
    membership.status_reason = reason
    if to_status == Status.ACTIVE:
        if from_status == Status.LEFT or membership.joined_on is None:
            membership.joined_on = today
        membership.left_on = None
    elif to_status == Status.LEFT:
        membership.left_on = today
    membership.save(
        update_fields=["status", "status_changed_at", "status_reason", "joined_on", "left_on"]
    )
    _record_change(
        membership,
        from_status=from_status,
        to_status=to_status,
        changed_by=changed_by,
        reason=reason,
    )
    return membership


@transaction.atomic
def membership_start(
    *, membership: Membership, status: str, changed_by, reason: str = ""
) -> Membership:
    """Give a new membership its first status and the history row that says so.

    Used by registration and applications right after the row is created.
    """
    today = timezone.localdate()
    membership.status = status
    membership.status_reason = reason[:REASON_MAX_LENGTH]
    membership.status_changed_at = timezone.now()
    membership.applied_on = membership.applied_on or today
    if status == Status.ACTIVE:
        membership.joined_on = membership.joined_on or today
    membership.save()
    _record_change(
        membership, from_status="", to_status=status, changed_by=changed_by, reason=reason
    )
    return membership


@transaction.atomic
def application_decide(
    *, membership: Membership, approve: bool, decided_by, reason: str = ""
) -> Membership:
    """Approve (→ active) or reject (→ left) an application and queue the email that tells
    the applicant. Safe to run twice: a decided application is returned unchanged, and
    no second email is queued."""
    locked = Membership.objects.select_for_update(of=("self",)).get(pk=membership.pk)
    to_status = Status.ACTIVE if approve else Status.LEFT
    if (
        locked.status == to_status
        and locked.status_changes.filter(from_status=Status.APPLICANT, to_status=to_status).exists()
    ):
        return locked
    if locked.status != Status.APPLICANT:
        raise ValidationError(_("This application has already been decided."))
    if not approve and not (reason or "").strip():
        raise ValidationError(_("Give a reason for rejecting the application."))
    membership = membership_status_change(
        membership=locked, to_status=to_status, changed_by=decided_by, reason=reason
    )
    change = membership.status_changes.order_by("-pk").first()
    if approve:
        _application_login_invite(membership, decided_by)
    from members.tasks import application_result_send_task  # tasks import services

    change_pk = change.pk
    enqueue_on_commit(application_result_send_task, change_pk)
    return membership


def _application_login_invite(membership: Membership, decided_by) -> None:
    """An approved applicant who may hold a login gets a set-password link in the approval
    email (members.services.logins; under-16s and people with a login get none)."""
    from members.services.logins import login_invite, login_invite_refusal

    if login_invite_refusal(membership.member) is None:
        # The decider may not invite (no longer in the club): the approval still stands.
        with contextlib.suppress(ValidationError):
            login_invite(
                member=membership.member, invited_by=decided_by, club=membership.club, send=False
            )


def application_result_email_send(*, change: MembershipStatusChange) -> bool:
    """Email the applicant the decision recorded by `change`. Returns False when there is
    no address to write to."""
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    membership = change.membership
    member = membership.member
    if not member.email or member.is_anonymised:
        return False
    context = {
        "member": member,
        "club": membership.club,
        "approved": change.to_status == Status.ACTIVE,
        "reason": change.reason,
        "club_url": settings.SITE_URL
        + reverse("clubs:public-club", kwargs={"club_pk": membership.club_id}),
    }
    login = None
    if change.to_status == Status.ACTIVE:
        from members.services.logins import login_invitation_url

        login = member.login_invitations.usable().filter(kind=LoginInvitation.Kind.OWN).first()
        context["login_url"] = login_invitation_url(login) if login else ""
        context["valid_days"] = settings.INVITATION_VALID_DAYS
    # Applicants have no account, so no language of their own: the portal's language.
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("members/email/application_result_subject.txt", context)
        body = render_to_string("members/email/application_result_message.txt", context)
    EmailMessage(subject=" ".join(subject.split()), body=body, to=[member.email]).send()
    if login is not None:
        LoginInvitation.objects.filter(pk=login.pk).update(sent_at=timezone.now())
    return True
