"""Club pages for staff: lists and exports, details, founding, status, leaders, gminas."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from clubs import selectors
from clubs.filters import ClubFilter
from clubs.forms.clubs import ClubForm, ClubFoundForm, ClubStatusForm, LeaderRemoveForm
from clubs.models import Club, Municipality
from clubs.services import clubs as services
from kos_portal.access import require
from kos_portal.exports import export_response
from kos_portal.pagination import Paginator
from kos_portal.roles import Role

CLUBS_PER_PAGE = 50
EXPORT_FORMATS = ("csv", "xlsx")

# --- Lists and exports ----------------------------------------------------------------


def _filtered_clubs(request):
    """The filter set and the clubs it selects; an invalid filter selects nothing."""
    filters = ClubFilter(
        request.GET or None, queryset=selectors.club_list_for(request.user), user=request.user
    )
    if filters.is_bound and not filters.is_valid():
        # Ignoring a bad filter would show (and export) more than the user asked for.
        return filters, filters.queryset.none()
    return filters, filters.qs


@login_required
def club_list(request):
    require(request.user, "clubs.view_club")
    filters, clubs = _filtered_clubs(request)
    page = Paginator(clubs, CLUBS_PER_PAGE, load=selectors.with_active_members).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "filter": filters, "sort_headers": filters.sort_headers()}
    # htmx asks for the table only, except when it restores history and needs the page.
    htmx = getattr(request, "htmx", None)
    fragment = bool(htmx) and not htmx.history_restore_request
    template = "clubs/_club_table.html" if fragment else "clubs/club_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def club_export(request):
    require(request.user, "clubs.view_club")
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    _filters, clubs = _filtered_clubs(request)
    header = [
        _("Club"),
        _("TERYT code"),
        _("Gmina"),
        _("Powiat"),
        _("Voivodeship"),
        _("Status"),
        _("Founding date"),
        _("Locality"),
        _("Address"),
        _("Contact email"),
        _("Contact phone"),
        _("Pillars"),
        _("Active members"),
    ]
    rows = (
        [
            club.name,
            club.municipality.code,
            club.municipality.name,
            club.municipality.powiat.name,
            club.municipality.powiat.voivodeship.name,
            club.get_status_display(),
            club.founded_on,
            club.locality,
            club.address,
            club.contact_email,
            club.contact_phone,
            ", ".join(pillar.name for pillar in club.pillars.all()),
            club.active_members,
        ]
        for club in selectors.with_active_members(clubs)
        .prefetch_related("pillars")
        .iterator(chunk_size=500)
    )
    filename = f"clubs-{timezone.localdate().isoformat()}"
    return export_response(fmt, filename, header, rows)


# --- One club -------------------------------------------------------------------------


@login_required
def club_detail(request, club_pk: int):
    club = selectors.club_get_for(request.user, club_pk)
    context = {
        "club": club,
        "leaders": selectors.club_leaders(club),
        "partner_links": selectors.club_partner_links(club),
        "expiring": selectors.expiring_agreements_for(request.user, club=club),
        "history": selectors.club_status_history(club),
        "today": timezone.localdate(),
    }
    return render(request, "clubs/club_detail.html", context)


@login_required
def club_create(request):
    require(request.user, "clubs.add_club")
    initial = {}
    if code := request.GET.get("gmina"):
        initial["municipality"] = (
            Municipality.objects.visible_to(request.user, {Role.NATIONAL, Role.COORDINATOR})
            .filter(code=code)
            .first()
        )
    form = ClubFoundForm(request.POST or None, user=request.user, initial=initial)
    if form.is_valid():
        try:
            club = services.club_found(founded_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The club was founded as proposed. Approve it once it has a leader."),
            )
            return redirect(club)
    return render(request, "clubs/club_form.html", {"form": form, "club": None})


@login_required
def club_edit(request, club_pk: int):
    club = selectors.club_get_for(request.user, club_pk)
    require(request.user, "clubs.change_club", club)
    form = ClubForm(request.POST or None, instance=club)
    if form.is_valid():
        try:
            services.club_update(club=club, changed_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The club's details were saved."))
            return redirect(club)
    return render(request, "clubs/club_form.html", {"form": form, "club": club})


@login_required
def club_status(request, club_pk: int):
    club = selectors.club_get_for(request.user, club_pk)
    require(request.user, "clubs.change_status", club)
    form = ClubStatusForm(request.POST or None, club=club)
    if form.is_valid():
        leader_email = form.cleaned_data.get("first_leader_email") or None
        was_proposed = club.status == Club.Status.PROPOSED
        try:
            changed = services.club_status_change(
                club=club,
                to_status=form.cleaned_data["to_status"],
                changed_by=request.user,
                reason=form.cleaned_data["reason"],
                first_leader_email=leader_email,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if leader_email and was_proposed and changed.status == Club.Status.ACTIVE:
                messages.success(
                    request,
                    _("The club is approved. An invitation to lead it was sent to %(email)s.")
                    % {"email": leader_email},
                )
            else:
                messages.success(request, _("The club's status was changed."))
            return redirect(club)
    context = {"club": club, "form": form, "has_leader": selectors.club_leaders(club).exists()}
    return render(request, "clubs/club_status.html", context)


@login_required
def club_leaders(request, club_pk: int):
    club = selectors.club_get_for(request.user, club_pk)
    require(request.user, "clubs.manage_leaders", club)
    form = LeaderRemoveForm(request.POST or None, leaders=selectors.club_leader_users(club))
    if form.is_valid():
        leader = form.cleaned_data["leader"]
        try:
            services.leader_remove(
                club=club,
                leader_user=leader,
                removed_by=request.user,
                successor=form.cleaned_data["successor_email"] or None,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("%(person)s no longer leads the club.") % {"person": leader}
            )
            if leader == request.user:  # they handed the club over and may no longer see it
                return redirect("home")
            return redirect("clubs:club-leaders", club_pk=club.pk)
    context = {
        "club": club,
        "form": form,
        "leaders": selectors.club_leaders(club),
        "invitations": selectors.club_pending_leader_invitations(club),
    }
    return render(request, "clubs/club_leaders.html", context)


# --- Gminas ---------------------------------------------------------------------------


@login_required
def municipality_detail(request, municipality_pk: int):
    gmina = selectors.municipality_get_for(request.user, municipality_pk)
    context = {
        "gmina": gmina,
        "clubs": selectors.municipality_clubs_for(request.user, gmina),
        "expiring": selectors.expiring_agreements_for(request.user, municipality=gmina),
        "today": timezone.localdate(),
    }
    return render(request, "clubs/municipality_detail.html", context)
