"""Reads for club pages, always starting from `visible_to(user)`."""

from django.db.models import Count, Q, QuerySet

from clubs.models import Club


def club_list_for(user) -> QuerySet[Club]:
    """Clubs in the user's scope, with their gmina and active member count."""
    return (
        Club.objects.visible_to(user)
        .select_related("municipality__powiat__voivodeship")
        .annotate(active_members=Count("memberships", filter=Q(memberships__status="active")))
        .order_by("name", "pk")
    )


def club_get_for(user, pk: int) -> Club:
    """One club in the user's scope; Http404 otherwise."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Club.objects.visible_to(user).select_related("municipality__powiat__voivodeship"), pk=pk
    )
