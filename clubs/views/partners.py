"""Partner pages for staff: the gmina's resources, their links to clubs and agreements."""

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from clubs import partner_selectors as selectors
from clubs.forms.partners import (
    PartnerForm,
    PartnerLinkForm,
)
from clubs.partner_filters import PartnerFilter
from clubs.services import partners as services
from kos_portal import access
from kos_portal.access import require
from kos_portal.exports import export_response
from kos_portal.pagination import Paginator

PAGE_SIZE = 50
SORT_COLUMNS = [
    ("name", _lazy("Name")),
    ("kind", _lazy("Kind")),
    ("gmina", _lazy("Gmina")),
    ("powiat", _lazy("Powiat")),
    ("voivodeship", _lazy("Voivodeship")),
    ("ksrg", _lazy("KSRG")),
]


def _add_errors(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: on its field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _partner_filter(request) -> PartnerFilter:
    return PartnerFilter(
        request.GET or None,
        queryset=selectors.partner_list_for(request.user),
        gminas=selectors.partner_filter_gminas_for(request.user),
        national=access.is_national(request.user),
    )


def _sort_columns(current: str) -> list[dict]:
    """Column headers: the sort value each one links to, and aria-sort for the current one."""
    columns = []
    for key, label in SORT_COLUMNS:
        aria = {key: "ascending", f"-{key}": "descending"}.get(current, "")
        columns.append(
            {"label": label, "next": f"-{key}" if current == key else key, "aria_sort": aria}
        )
    return columns


# --- Partners ------------------------------------------------------------------------


@login_required
def partner_list(request):
    require(request.user, "clubs.view_partner")
    partner_filter = _partner_filter(request)
    page = Paginator(partner_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    sort = request.GET.get("sort", "")
    context = {
        "filter": partner_filter,
        "page": page,
        "sort": sort,
        "columns": _sort_columns(sort),
        "can_add": access.can(request.user, "clubs.change_partner"),
        "can_import": access.can(request.user, "clubs.import_partners"),
    }
    # htmx asks for the results only (filters, sorting, pages), not the whole page.
    if request.htmx and request.htmx.target == "partner-results":
        return render(request, "clubs/_partner_results.html", context)
    return render(request, "clubs/partner_list.html", context)


@login_required
def partner_export(request):
    """The list as CSV or XLSX: the same scoped, filtered rows, without pages."""
    require(request.user, "clubs.view_partner")
    partners = _partner_filter(request).qs
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return export_response(
        fmt,
        "partners",
        selectors.partner_export_header(),
        selectors.partner_export_rows(partners),
    )


@login_required
def partner_detail(request, partner_pk: int):
    require(request.user, "clubs.view_partner")
    partner = selectors.partner_get_for(request.user, partner_pk)
    context = {
        "partner": partner,
        "links": selectors.partner_links_for(request.user, partner),
        "can_edit": access.can(request.user, "clubs.change_partner", partner),
        "can_link": access.can(request.user, "clubs.change_partnerlink"),
    }
    return render(request, "clubs/partner_detail.html", context)


@login_required
def partner_create(request):
    require(request.user, "clubs.view_partner")
    require(request.user, "clubs.change_partner")
    form = PartnerForm(request.POST or None, user=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            partner = services.partner_create(
                user=request.user,
                municipality=data.pop("municipality"),
                name=data.pop("name"),
                kind=data.pop("kind"),
                **data,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Partner “%(name)s” added.") % {"name": partner.name})
            return redirect(partner)
    return render(request, "clubs/partner_form.html", {"form": form, "partner": None})


@login_required
def partner_edit(request, partner_pk: int):
    require(request.user, "clubs.view_partner")
    partner = selectors.partner_get_for(request.user, partner_pk)
    require(request.user, "clubs.change_partner", partner)
    form = PartnerForm(request.POST or None, instance=partner, user=request.user)
    if form.is_valid():
        try:
            partner = services.partner_update(
                user=request.user, partner=partner, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Partner “%(name)s” saved.") % {"name": partner.name})
            return redirect(partner)
    if form.is_bound:
        partner.refresh_from_db()  # the form wrote the rejected input onto the instance
    return render(request, "clubs/partner_form.html", {"form": form, "partner": partner})


# --- Links to clubs and agreements ---------------------------------------------------


@login_required
def partner_link_create(request, partner_pk: int):
    require(request.user, "clubs.view_partner")
    partner = selectors.partner_get_for(request.user, partner_pk)
    require(request.user, "clubs.change_partnerlink")
    form = PartnerLinkForm(request.POST or None, request.FILES or None, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.partner_link_create(
                user=request.user,
                partner=partner,
                club=data["club"],
                role=data["role"],
                agreement_type=data["agreement_type"],
                agreement_signed_on=data["agreement_signed_on"],
                agreement_expires_on=data["agreement_expires_on"],
                agreement_document=data["agreement_document"] or None,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(partner)s is now linked to %(club)s.")
                % {"partner": partner.name, "club": data["club"].name},
            )
            return redirect(partner)
    context = {"form": form, "partner": partner, "link": None}
    return render(request, "clubs/partner_link_form.html", context)


@login_required
def partner_link_edit(request, link_pk: int):
    require(request.user, "clubs.view_partner")
    link = selectors.partner_link_get_for(request.user, link_pk)
    require(request.user, "clubs.change_partnerlink", link)
    form = PartnerLinkForm(
        request.POST or None, request.FILES or None, instance=link, user=request.user
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.partner_link_update(
                user=request.user,
                link=link,
                role=data["role"],
                agreement_type=data["agreement_type"],
                agreement_signed_on=data["agreement_signed_on"],
                agreement_expires_on=data["agreement_expires_on"],
                agreement_document=data["agreement_document"] or None,
                remove_document=data.get("remove_document", False),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The link and its agreement were saved."))
            return redirect(link.partner)
    context = {"form": form, "partner": link.partner, "link": link}
    return render(request, "clubs/partner_link_form.html", context)


@require_POST
@login_required
def partner_link_delete(request, link_pk: int):
    require(request.user, "clubs.view_partner")
    link = selectors.partner_link_get_for(request.user, link_pk)
    require(request.user, "clubs.change_partnerlink", link)
    try:
        services.partner_link_delete(user=request.user, link=link)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(partner)s is no longer linked to %(club)s.")
            % {"partner": link.partner.name, "club": link.club.name},
        )
    return redirect(link.partner)


@login_required
def partner_link_document(request, link_pk: int):
    """The agreement document, only through this scoped view (never a public media URL)."""
    require(request.user, "clubs.view_partner")
    link = selectors.partner_link_get_for(request.user, link_pk)
    require(request.user, "clubs.view_agreement", link)
    if not link.agreement_document:
        raise Http404
    try:
        document = link.agreement_document.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    extension = os.path.splitext(link.agreement_document.name)[1].lower()
    filename = f"{slugify(link.partner.name) or 'partner'}-{slugify(link.club.name)}{extension}"
    response = FileResponse(document, as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response
