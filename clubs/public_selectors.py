"""Reads for the public pages: the directory, the map and a club's public page.

These start from `Club.Status.ACTIVE` rather than `visible_to(user)`: the public scope is
"every active club", the same for everyone, signed in or not, and they never select
personal data (leaders, emails, phones).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from clubs.models import Club, PartnerLink


def public_club_list() -> QuerySet[Club]:
    """Active clubs with their gmina, powiat, voivodeship and pillars, sorted by name."""
    return (
        Club.objects.filter(status=Club.Status.ACTIVE)
        .select_related("municipality__powiat__voivodeship")
        .prefetch_related("pillars")
        .order_by("name", "pk")
    )


def public_club_get(pk: int) -> Club:
    """One active club for its public page; Http404 for any other status."""
    return get_object_or_404(
        Club.objects.filter(status=Club.Status.ACTIVE)
        .select_related("municipality__powiat__voivodeship")
        .prefetch_related("pillars"),
        pk=pk,
    )


def public_partner_links(club: Club) -> QuerySet[PartnerLink]:
    """The club's partners, for names and kinds only (no contact details are read)."""
    return (
        club.partner_links.select_related("partner")
        .only("role", "club_id", "partner__name", "partner__kind")
        .order_by("partner__name")
    )


def voivodeship_club_counts() -> dict[str, int]:
    """Active clubs per voivodeship TERYT code, in one aggregate query."""
    rows = (
        Club.objects.filter(status=Club.Status.ACTIVE)
        .values("municipality__powiat__voivodeship__code")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["municipality__powiat__voivodeship__code"]: row["count"] for row in rows}
