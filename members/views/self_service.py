"""A member's own pages (their data, consents, downloads) and erasure on request (RODO)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.forms.self_service import ConsentWithdrawForm, MemberEraseForm
from members.models import Member, Membership, PersonalDataAccess
from members.services.access_log import personal_data_access_log
from members.services.erasure import member_erase, member_erase_allowed
from members.services.self_service import (
    consent_overview,
    own_consent_withdraw,
    own_data_export,
    own_data_pdf,
    own_data_tables,
    own_member_get,
)

# --- The member's own view ---------------------------------------------------------------


def _urls(member_pk: int | None) -> dict[str, str]:
    """The page's links: the person's own (members:my-*) or a guardian's (members:ward-*)."""
    if member_pk is None:
        prefix, kwargs = "my", {}
    else:
        prefix, kwargs = "ward", {"member_pk": member_pk}
    names = {
        "page": "data",
        "withdraw": "consent-withdraw",
        "json": "data-json",
        "html": "data-html",
        "pdf": "data-pdf",
    }
    return {key: reverse(f"members:{prefix}-{name}", kwargs=kwargs) for key, name in names.items()}


@never_cache
@login_required
def my_data(request, member_pk: int | None = None):
    member = own_member_get(request.user, member_pk)
    if member_pk is not None:  # a guardian reads the person's data: logged as for staff
        personal_data_access_log(
            user=request.user,
            action=PersonalDataAccess.Action.VIEW,
            member=member,
            detail="guardian",
        )
    context = {
        "member": member,
        "consents": consent_overview(member),
        "urls": _urls(member_pk),
        "ward": member_pk is not None,
    }
    return render(request, "members/my_data.html", context)


@require_POST
@login_required
def my_consent_withdraw(request, member_pk: int | None = None):
    member = own_member_get(request.user, member_pk)
    back = _urls(member_pk)["page"]
    form = ConsentWithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the consent to withdraw."))
        return redirect(back)
    try:
        own_consent_withdraw(member=member, purpose=form.cleaned_data["purpose"], user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if member_pk is None:
            messages.success(request, _("Your consent has been withdrawn."))
        else:
            messages.success(
                request,
                _("The consent of %(name)s has been withdrawn.") % {"name": member.display_name},
            )
    return redirect(back)


@never_cache
@login_required
def my_data_json(request, member_pk: int | None = None):
    member = own_member_get(request.user, member_pk)
    data = own_data_export(member=member, user=request.user, fmt="json")
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


def _export_context(request, fmt: str, member_pk: int | None = None) -> dict:
    member = own_member_get(request.user, member_pk)
    data = own_data_export(member=member, user=request.user, fmt=fmt)
    return {
        "member": member,
        "data": data,
        "consents": consent_overview(member),
        "urls": _urls(member_pk),
        "tables": own_data_tables(data),
    }


@never_cache
@login_required
def my_data_html(request, member_pk: int | None = None):
    context = _export_context(request, "html", member_pk)
    return render(request, "members/my_data_export.html", context)


@never_cache
@login_required
def my_data_pdf(request, member_pk: int | None = None):
    html = render_to_string(
        "members/my_data_pdf.html", _export_context(request, "pdf", member_pk), request=request
    )
    response = HttpResponse(own_data_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="my-data.pdf"'
    return response


# --- Erasure on request --------------------------------------------------------------------


@login_required
def member_erase_view(request, member_pk: int):
    members = Member.objects.visible_to(request.user).prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("club"))
    )
    member = get_object_or_404(members, pk=member_pk)
    if not member_erase_allowed(request.user, member):
        raise PermissionDenied
    form = MemberEraseForm(request.POST or None)
    if not member.is_anonymised and form.is_valid():
        try:
            member_erase(member=member, erased_by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The person's data has been erased."))
            return redirect(member.get_absolute_url())
    return render(request, "members/erase_confirm.html", {"member": member, "form": form})
