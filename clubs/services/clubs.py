"""A club's life: founding, editing, status changes and its leaders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clubs.models import (
    Assignment,
    Club,
    ClubStatusChange,
    Invitation,
    Municipality,
    Pillar,
    search_key,
)
from clubs.services.invitations import invitation_create
from kos_portal import access
from kos_portal.roles import Role

Status = Club.Status

# Which statuses a club may move to from each status. Closed is final: the club keeps its
# history and certificates, but nothing about it changes any more.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PROPOSED: frozenset({Status.ACTIVE, Status.CLOSED}),
    Status.ACTIVE: frozenset({Status.SUSPENDED, Status.CLOSED}),
    Status.SUSPENDED: frozenset({Status.ACTIVE, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# The fields club_update() may change. The gmina is not among them: moving a club would
# move it out of its coordinator's scope, which is a national decision made in the admin.
EDITABLE_FIELDS = frozenset(
    {
        "name",
        "locality",
        "address",
        "founded_on",
        "contact_email",
        "contact_phone",
        "description",
        "pillars",
        "latitude",
        "longitude",
    }
)


def _refuse_if_closed(club: Club) -> None:
    if club.status == Status.CLOSED:
        raise ValidationError(_("This club is closed: its records can no longer be changed."))


def _lock(club: Club) -> Club:
    """The club's row, locked for the rest of the transaction and freshly read."""
    return Club.objects.select_for_update(of=("self",)).get(pk=club.pk)


@transaction.atomic
def club_found(
    *,
    founded_by,
    municipality: Municipality,
    name: str,
    locality: str = "",
    address: str = "",
    founded_on: date | None = None,
    contact_email: str = "",
    contact_phone: str = "",
    description: str = "",
    pillars: Iterable[Pillar] = (),
    reason: str = "",
) -> Club:
    """Found a club as *proposed* in `municipality` and record who did it.

    Coordinators found clubs in their own gminas, national staff anywhere. Safe to run
    twice: the same person founding a proposed club of the same name in the same gmina
    gets the existing club back; anyone else gets a ValidationError about the duplicate.
    """
    if not access.can(founded_by, "clubs.add_club", municipality):
        raise ValidationError(_("You may not found a club in this gmina."))
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Give the club a name."))
    # Lock the gmina so two simultaneous foundings can't both miss each other.
    Municipality.objects.select_for_update(of=("self",)).filter(pk=municipality.pk).first()
    key = search_key(name)
    for existing in Club.objects.filter(municipality=municipality).exclude(status=Status.CLOSED):
        if search_key(existing.name) != key:
            continue
        founded_by_same_user = existing.status_changes.filter(
            from_status="", changed_by=founded_by
        ).exists()
        if existing.status == Status.PROPOSED and founded_by_same_user:
            return existing
        raise ValidationError(
            _("The gmina already has a club called “%(name)s”.") % {"name": existing.name}
        )
    club = Club(
        municipality=municipality,
        name=name,
        locality=locality.strip(),
        address=address.strip(),
        founded_on=founded_on,
        contact_email=contact_email.strip(),
        contact_phone=contact_phone.strip(),
        description=description.strip(),
        status=Status.PROPOSED,
        status_changed_at=timezone.now(),
    )
    club.full_clean()
    club.save()
    club.pillars.set(pillars)
    ClubStatusChange.objects.create(
        club=club,
        from_status="",
        to_status=Status.PROPOSED,
        changed_by=founded_by,
        changed_at=club.status_changed_at,
        reason=reason.strip() or _("Club founded in the portal."),
    )
    return club


@transaction.atomic
def club_update(*, club: Club, changed_by, **fields) -> Club:
    """Change a club's details (not its gmina or status). Closed clubs refuse changes.

    Safe to run twice: the same values give the same club.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These details can't be changed here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    if not access.can(changed_by, "clubs.change_club", club):
        raise ValidationError(_("You may not change this club."))
    club = _lock(club)
    _refuse_if_closed(club)
    pillars = fields.pop("pillars", None)
    if "name" in fields:
        fields["name"] = " ".join((fields["name"] or "").split())
    for name, value in fields.items():
        setattr(club, name, value.strip() if isinstance(value, str) else value)
    club.full_clean()
    club.save()
    if pillars is not None:
        club.pillars.set(pillars)
    return club


@transaction.atomic
def club_status_change(
    *,
    club: Club,
    to_status: str,
    changed_by,
    reason: str,
    first_leader_email: str | None = None,
) -> Club:
    """Move the club to `to_status`, recording who, when and why.

    Approving a proposed club (proposed → active) needs an active leader, or
    `first_leader_email`, who is then invited to lead the club. Closing a club withdraws
    its pending invitations. Safe to run twice: asking for the status the club already
    has changes nothing.
    """
    if not access.can(changed_by, "clubs.change_status", club):
        raise ValidationError(_("You may not change this club's status."))
    if to_status not in Status.values:
        raise ValidationError(_("Unknown status."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason for the change."))
    club = _lock(club)
    if club.status == to_status:
        return club
    if to_status not in ALLOWED_TRANSITIONS[club.status]:
        if club.status == Status.CLOSED:
            raise ValidationError(_("This club is closed: its status can no longer change."))
        raise ValidationError(
            _("A %(from)s club can't become %(to)s.")
            % {"from": club.get_status_display(), "to": Status(to_status).label}
        )
    if club.status == Status.PROPOSED and to_status == Status.ACTIVE:
        has_leader = Assignment.objects.active().filter(club=club, role=Role.LEADER).exists()
        if first_leader_email:
            invitation_create(
                invited_by=changed_by, email=first_leader_email, role=Role.LEADER, club=club
            )
        elif not has_leader:
            raise ValidationError(
                _("A club needs a leader to be approved: give the first leader's email address.")
            )
    if to_status == Status.CLOSED:
        # A closed club takes no one new, so nobody may join it through an old link.
        Invitation.objects.usable().filter(club=club).update(revoked_at=timezone.now())
    now = timezone.now()
    ClubStatusChange.objects.create(
        club=club,
        from_status=club.status,
        to_status=to_status,
        changed_by=changed_by,
        changed_at=now,
        reason=reason,
    )
    club.status = to_status
    club.status_changed_at = now
    club.save(update_fields=["status", "status_changed_at"])
    return club


def _verified_user(email: str):
    """The account whose verified address is `email`, or None."""
    address = (
        EmailAddress.objects.filter(email__iexact=email.strip(), verified=True)
        .select_related("user")
        .first()
    )
    return address.user if address is not None and address.user.is_active else None


def _has_verified_email(user) -> bool:
    return user.is_active and EmailAddress.objects.filter(user=user, verified=True).exists()


@transaction.atomic
def leader_remove(*, club: Club, leader_user, removed_by, successor=None) -> Assignment:
    """End `leader_user`'s leadership of `club`.

    The last active leader can only go when a `successor` is named: a user (or the email
    of an account with a verified address) becomes leader at once; any other email is
    invited to lead the club. Safe to run twice: removing someone who has already gone
    returns their ended assignment.
    """
    if not access.can(removed_by, "clubs.manage_leaders", club):
        raise ValidationError(_("You may not change this club's leaders."))
    club = _lock(club)
    _refuse_if_closed(club)
    leaders = Assignment.objects.active().filter(club=club, role=Role.LEADER)
    assignment = leaders.filter(user=leader_user).first()
    if assignment is None:
        ended = (
            Assignment.objects.filter(club=club, role=Role.LEADER, user=leader_user)
            .order_by("-ended_at")
            .first()
        )
        if ended is not None:
            return ended
        raise ValidationError(_("This person does not lead the club."))

    if isinstance(successor, str):
        email = successor.strip().lower()
        successor = (_verified_user(email) or email) if email else None
    elif successor is not None and not _has_verified_email(successor):
        raise ValidationError(_("The successor must have a verified email address."))
    if successor is not None and successor == leader_user:
        raise ValidationError(_("Name someone else as the successor."))
    if successor is None and not leaders.exclude(user=leader_user).exists():
        raise ValidationError(
            _("The club's last leader can't be removed without naming a successor.")
        )
    if isinstance(successor, str):
        invitation_create(invited_by=removed_by, email=successor, role=Role.LEADER, club=club)
    elif successor is not None:
        Assignment.objects.active().get_or_create(
            user=successor, role=Role.LEADER, club=club, defaults={"created_by": removed_by}
        )
        access.forget_scope(successor)

    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    access.forget_scope(leader_user)
    return assignment
