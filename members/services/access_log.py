"""The personal-data access log: who viewed or exported whose data, and when.

The log says *what kind* of access happened, never what was searched for: a search for
"Kowalska" or "anna@example.pl" is itself personal data, and the log outlives erasure. So
`detail` holds a path and the NAMES of the filters used ("q, status"), never their values
(see docs/rodo.md).
"""

from __future__ import annotations

import re

from clubs.models import Club
from members.models import Member, PersonalDataAccess

DETAIL_MAX_LENGTH = 500
# "name=value" in a query string or a free detail: the value is dropped, the name kept.
_QUERY_PAIR = re.compile(r"([?&;\s]|^)([\w.\-\[\]]+)=[^&;\s]*")


def detail_without_values(detail: str) -> str:
    """`detail` with every query value removed: "/x/?q=Nowak&page=2" -> "/x/ [filters: page, q]".

    Used on every row written, so no caller can store a search string by mistake.
    """
    detail = detail or ""
    path, sep, query = detail.partition("?")
    names = []
    if sep:
        names = [pair.split("=", 1)[0] for pair in re.split(r"[&;]", query) if pair]
    path = _QUERY_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}", path)
    if names:
        path = f"{path} [filters: {', '.join(sorted(set(names)))}]"
    return path[:DETAIL_MAX_LENGTH]


def request_detail(request, label: str = "") -> str:
    """The detail for a page or export: optional label, the path, the names of the
    non-empty GET parameters (never their values)."""
    names = sorted({name for name, value in request.GET.items() if value})
    detail = f"{label}: {request.path}" if label else request.path
    if names:
        detail = f"{detail} [filters: {', '.join(names)}]"
    return detail[:DETAIL_MAX_LENGTH]


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
    the row still says who it was after the account is deleted. Build `detail` with
    `request_detail(request)`; any query values left in it are removed here anyway.
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
        detail=detail_without_values(detail),
    )
