"""The personal-data access log: who viewed or exported whose data, and when."""

from __future__ import annotations

from clubs.models import Club
from members.models import Member, PersonalDataAccess

DETAIL_MAX_LENGTH = 500


def personal_data_access_log(
    *,
    user,
    action: str,
    member: Member | None = None,
    club: Club | None = None,
    member_count: int = 1,
    detail: str = "",
) -> PersonalDataAccess:
    """Append one row to the log; call it from every view that shows or exports personal data.

    `action` is a PersonalDataAccess.Action value: VIEW for one person's page, LIST for a
    roster page (with `member_count`), EXPORT for a download. The user's email is copied, so
    the row still says who it was after the account is deleted.
    """
    if action not in PersonalDataAccess.Action.values:
        raise ValueError(f"Unknown personal data access action: {action!r}")
    return PersonalDataAccess.objects.create(
        user=user if getattr(user, "pk", None) else None,
        user_email=getattr(user, "email", "") or "",
        action=action,
        member=member,
        club=club,
        member_count=max(int(member_count), 0),
        detail=(detail or "")[:DETAIL_MAX_LENGTH],
    )
