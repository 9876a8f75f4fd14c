"""Public pages: the club directory with its map, a club's page, the contact form and
the "start a club" form. No sign-in; nothing here shows an email address or a phone."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from clubs import map as club_map
from clubs import public_selectors as selectors
from clubs.forms.public import ClubProposalForm, ContactForm, PublicClubFilter
from clubs.services import public as services
from kos_portal.pagination import Paginator

# Only submissions that pass the form count: a typo costs an honest sender nothing, and
# an invalid form sends no email anyway. The honeypot's catches count too.
CONTACT_RATE = "5/h"
PROPOSAL_RATE = "3/h"
DIRECTORY_PAGE_SIZE = 25


def _over_limit(request, group: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True)


def _too_many(request, message: str) -> HttpResponse:
    template = "clubs/public_rate_limited.html"
    if request.htmx:
        template = "clubs/_public_rate_limited.html"
    return render(request, template, {"message": message}, status=429)


@require_GET
def directory(request):
    filterset = PublicClubFilter(request.GET or None, queryset=selectors.public_club_list())
    page = Paginator(filterset.qs, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    selected = request.GET.get("voivodeship") or None
    tiles = club_map.tile_map(selectors.voivodeship_club_counts(), selected=selected)
    context = {"filter": filterset, "page": page, "map": tiles}
    return render(request, "clubs/public_directory.html", context)


@require_GET
def public_club(request, club_pk: int):
    club = selectors.public_club_get(club_pk)
    context = {
        "club": club,
        "partner_links": selectors.public_partner_links(club),
        "form": ContactForm(),
    }
    return render(request, "clubs/public_club.html", context)


@require_http_methods(["GET", "POST"])
def public_contact(request, club_pk: int):
    club = selectors.public_club_get(club_pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _over_limit(request, "clubs.public-contact", CONTACT_RATE):
            return _too_many(
                request,
                _("You have sent several messages in a short time. Please try again in an hour."),
            )
        if not form.is_spam:
            try:
                services.contact_message_create(
                    club=club,
                    sender_name=form.cleaned_data["sender_name"],
                    sender_email=form.cleaned_data["sender_email"],
                    message=form.cleaned_data["message"],
                )
            except ValidationError as error:
                form.add_error(None, error)
        if not form.errors:
            if request.htmx:
                return render(request, "clubs/_public_contact_thanks.html", {"club": club})
            messages.success(request, _("Thank you. Your message has been sent to the club."))
            return redirect(club.get_public_url())
    template = "clubs/_public_contact_form.html" if request.htmx else "clubs/public_contact.html"
    return render(request, template, {"club": club, "form": form})


@require_http_methods(["GET", "POST"])
def club_propose(request):
    form = ClubProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _over_limit(request, "clubs.club-propose", PROPOSAL_RATE):
            return _too_many(
                request,
                _("You have sent several proposals in a short time. Please try again in an hour."),
            )
        if not form.is_spam:
            data = form.cleaned_data
            try:
                services.club_propose(
                    municipality=data["municipality"],
                    name=data["name"],
                    locality=data["locality"],
                    description=data["description"],
                    pillars=data["pillars"],
                    proposer_name=data["proposer_name"],
                    proposer_email=data["proposer_email"],
                    proposer_phone=data["proposer_phone"],
                )
            except ValidationError as error:
                form.add_error(None, error)
        if not form.errors:
            return redirect("clubs:club-propose-done")
    return render(request, "clubs/public_propose.html", {"form": form})


@require_GET
def club_propose_done(request):
    return render(request, "clubs/public_propose_done.html")
