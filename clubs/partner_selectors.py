"""Reads for the partner pages, always starting from `visible_to(user)`."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _

from clubs.models import Municipality, Partner, PartnerLink
from kos_portal import access


def partner_list_for(user) -> QuerySet[Partner]:
    """Partners in the user's gminas, with the gmina, powiat and voivodeship."""
    return Partner.objects.visible_to(user).select_related("municipality__powiat__voivodeship")


def partner_filter_gminas_for(user) -> QuerySet[Municipality]:
    """The gminas the partner list's place filters offer: those the user sees partners in."""
    return Municipality.objects.visible_to(user)


def partner_get_for(user, pk: int) -> Partner:
    """One partner in the user's gminas; Http404 otherwise."""
    return get_object_or_404(partner_list_for(user), pk=pk)


def partner_links_for(user, partner: Partner) -> list[PartnerLink]:
    """The partner's links to the clubs the user sees, each marked with what the user may do.

    `show_agreement`: the agreement's dates and document (staff of the link's club);
    `can_change`: edit or remove the link.
    """
    links = list(
        PartnerLink.objects.visible_to(user)
        .filter(partner=partner)
        .select_related("club__municipality")
        .order_by("club__name", "pk")
    )
    for link in links:  # the user's scope is loaded once; these checks read no rows
        link.show_agreement = access.can(user, "clubs.view_agreement", link)
        link.can_change = access.can(user, "clubs.change_partnerlink", link)
    return links


def partner_link_get_for(user, pk: int) -> PartnerLink:
    """One link in the user's clubs; Http404 otherwise."""
    return get_object_or_404(
        PartnerLink.objects.visible_to(user).select_related("partner", "club__municipality"), pk=pk
    )


def partner_export_header() -> list[str]:
    """Column titles of the export, in the user's language."""
    return [
        _("Name"),
        _("Kind"),
        _("TERYT"),
        _("Gmina"),
        _("Powiat"),
        _("Voivodeship"),
        _("Address"),
        _("KSRG"),
        _("Contact person"),
        _("Contact email"),
        _("Contact phone"),
        _("Offers"),
    ]


def partner_export_rows(partners: QuerySet[Partner]) -> Iterator[list]:
    """One row per partner of the (already scoped and filtered) queryset, read in chunks.

    A CSV streams after the view has returned, so the rows keep the request's language.
    """
    return _export_rows(partners, translation.get_language())


def _export_rows(partners: QuerySet[Partner], language: str | None) -> Iterator[list]:
    with translation.override(language):
        yes, no = _("yes"), _("no")
        for partner in partners.iterator(chunk_size=2000):
            gmina = partner.municipality
            yield [
                partner.name,
                partner.get_kind_display(),
                gmina.code,
                gmina.name,
                gmina.powiat.name,
                gmina.powiat.voivodeship.name,
                partner.address,
                yes if partner.is_ksrg else no,
                partner.contact_person,
                partner.contact_email,
                partner.contact_phone,
                ", ".join(partner.offers),
            ]
