"""A member's own pages (their data, consents, downloads) and erasure on request (RODO)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.forms.self_service import ConsentWithdrawForm, MemberEraseForm
from members.models import Member, Membership
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


@never_cache
@login_required
def my_data(request):
    member = own_member_get(request.user)
    context = {"member": member, "consents": consent_overview(member)}
    return render(request, "members/my_data.html", context)


@require_POST
@login_required
def my_consent_withdraw(request):
    member = own_member_get(request.user)
    form = ConsentWithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the consent to withdraw."))
        return redirect("members:my-data")
    try:
        own_consent_withdraw(member=member, purpose=form.cleaned_data["purpose"], user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your consent has been withdrawn."))
    return redirect("members:my-data")


@never_cache
@login_required
def my_data_json(request):
    member = own_member_get(request.user)
    data = own_data_export(member=member, user=request.user, fmt="json")
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


def _export_context(request, fmt: str) -> dict:
    member = own_member_get(request.user)
    data = own_data_export(member=member, user=request.user, fmt=fmt)
    return {
        "member": member,
        "data": data,
        "consents": consent_overview(member),
        "tables": own_data_tables(data),
    }


@never_cache
@login_required
def my_data_html(request):
    return render(request, "members/my_data_export.html", _export_context(request, "html"))


@never_cache
@login_required
def my_data_pdf(request):
    html = render_to_string(
        "members/my_data_pdf.html", _export_context(request, "pdf"), request=request
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
