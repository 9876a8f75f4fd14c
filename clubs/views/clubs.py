"""Club pages for staff: lists, details."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from clubs import selectors
from kos_portal.access import require


@login_required
def club_list(request):
    require(request.user, "clubs.view_club")
    page = Paginator(selectors.club_list_for(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "clubs/club_list.html", {"page": page})


@login_required
def club_detail(request, club_pk: int):
    club = selectors.club_get_for(request.user, club_pk)
    partners = club.partner_links.select_related("partner").order_by("partner__name")
    return render(request, "clubs/club_detail.html", {"club": club, "partner_links": partners})
