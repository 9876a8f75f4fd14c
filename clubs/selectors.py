"""Reads for club pages, always starting from `visible_to(user)`."""

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from clubs.models import (
    Assignment,
    Club,
    ClubStatusChange,
    Invitation,
    Municipality,
    PartnerLink,
)
from kos_portal.roles import Role
from kos_portal.subqueries import count_per_row

# Agreements ending within this many days are listed as expiring.
EXPIRING_WITHIN_DAYS = 90


def club_list_for(user) -> QuerySet[Club]:
    """Clubs in the user's scope, with their gmina, by name. `with_active_members` adds the
    member counts: to a page's rows only, since counting them for every club is what makes a
    national list slow."""
    return (
        Club.objects.visible_to(user)
        .select_related("municipality__powiat__voivodeship")
        .order_by("name", "pk")
    )


def with_active_members(clubs: QuerySet[Club]) -> QuerySet[Club]:
    """The clubs with `active_members`, their number of active memberships: a subquery per
    club that reads the (club, status) index alone, rather than a join and GROUP BY over
    every membership of the page's clubs (50 ms for a national page)."""
    # members.Membership, reached through the relation: clubs never imports members.
    memberships = Club.memberships.rel.related_model.objects
    return clubs.annotate(active_members=count_per_row(memberships, "club", status="active"))


def club_get_for(user, pk: int) -> Club:
    """One club in the user's scope, with its gmina and pillars; Http404 otherwise."""
    return get_object_or_404(
        Club.objects.visible_to(user)
        .select_related("municipality__powiat__voivodeship")
        .prefetch_related("pillars"),
        pk=pk,
    )


def club_leaders(club: Club) -> QuerySet[Assignment]:
    """The club's active leader assignments, with their users, oldest first."""
    return (
        Assignment.objects.active()
        .filter(club=club, role=Role.LEADER)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def club_leader_users(club: Club) -> QuerySet:
    """The people who actively lead the club."""
    return (
        get_user_model()
        .objects.filter(pk__in=club_leaders(club).values("user_id"))
        .order_by("last_name", "first_name", "email")
    )


def club_pending_leader_invitations(club: Club) -> QuerySet[Invitation]:
    """Invitations to lead the club that can still be accepted."""
    return (
        Invitation.objects.usable()
        .filter(club=club, role=Role.LEADER)
        .select_related("invited_by")
        .order_by("created_at", "pk")
    )


def club_partner_links(club: Club) -> QuerySet[PartnerLink]:
    """The club's partners with their agreements, by partner name."""
    return club.partner_links.select_related("partner").order_by("partner__name", "pk")


def club_status_history(club: Club) -> QuerySet[ClubStatusChange]:
    """Every status change of the club, newest first, with who made it."""
    return club.status_changes.select_related("changed_by").order_by("-changed_at", "-pk")


def expiring_agreements_for(
    user, *, club: Club | None = None, municipality: Municipality | None = None
) -> QuerySet[PartnerLink]:
    """Agreements the user may see that end within 90 days (or have ended), soonest first."""
    links = PartnerLink.objects.visible_to(user).expiring(EXPIRING_WITHIN_DAYS)
    if club is not None:
        links = links.filter(club=club)
    if municipality is not None:
        links = links.filter(club__municipality=municipality)
    return links.select_related("partner", "club").order_by("agreement_expires_on", "pk")


def municipality_get_for(user, pk: int) -> Municipality:
    """One gmina the user works in (any gmina for national staff); Http404 otherwise."""
    return get_object_or_404(
        Municipality.objects.visible_to(user).select_related("powiat__voivodeship"), pk=pk
    )


def municipality_clubs_for(user, municipality: Municipality) -> QuerySet[Club]:
    """The gmina's clubs that the user may see, with partner and active member counts."""
    return (
        Club.objects.visible_to(user)
        .filter(municipality=municipality)
        .annotate(
            partners_count=Count("partner_links", distinct=True),
            active_members=Count(
                "memberships", filter=Q(memberships__status="active"), distinct=True
            ),
        )
        .order_by("name", "pk")
    )


# --- Points for the maps -----------------------------------------------------------------


def club_points(clubs: QuerySet[Club], limit: int | None = None) -> list[dict]:
    """The clubs that have a location, for map pins, in one query: each row has pk, name,
    gmina (its name), lat and lon. The location is the club's own point, else its venue
    partner's (a partner linked under a venue agreement first, else one that offers a
    venue, with a point from the registers)."""
    venue = (
        PartnerLink.objects.filter(
            club=OuterRef("pk"),
            partner__latitude__isnull=False,
            partner__longitude__isnull=False,
        )
        .filter(Q(agreement_type=PartnerLink.AgreementType.VENUE) | Q(partner__offers_venue=True))
        .order_by(
            Case(
                When(agreement_type=PartnerLink.AgreementType.VENUE, then=Value(0)),
                default=Value(1),
            ),
            "pk",
        )
    )
    lat = Coalesce("latitude", Subquery(venue.values("partner__latitude")[:1]))
    lon = Coalesce("longitude", Subquery(venue.values("partner__longitude")[:1]))
    rows = (
        clubs.prefetch_related(None)
        .annotate(lat=lat, lon=lon, gmina=F("municipality__name"))
        .filter(lat__isnull=False, lon__isnull=False)
        .order_by("name", "pk")
        .values("pk", "name", "gmina", "lat", "lon")
    )
    return list(rows[:limit] if limit else rows)
