from urllib.parse import urlencode

from allauth.account.utils import perform_login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clubs.forms.invitations import InvitationForm, InvitationSignupForm
from clubs.models import Invitation
from clubs.services import invitations as services
from kos_portal import access
from kos_portal.access import require
from kos_portal.pagination import Paginator

# --- Invitations ---------------------------------------------------------------------


@login_required
def invitation_list(request):
    require(request.user, "clubs.invite")
    invitations = Invitation.objects.visible_to(request.user).select_related(
        "club", "municipality", "invited_by"
    )
    page = Paginator(invitations, 50).get_page(request.GET.get("page"))
    for invitation in page:
        invitation.can_revoke = invitation.state == "pending" and invitation.role in (
            access.invitable_roles(request.user, invitation.target)
        )
    return render(request, "clubs/invitation_list.html", {"page": page})


@login_required
def invitation_create(request):
    require(request.user, "clubs.invite")
    form = InvitationForm(request.POST or None, user=request.user)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                invited_by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                municipality=form.cleaned_data.get("municipality"),
                club=form.cleaned_data.get("club"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("clubs:invitation-list")
    context = {"form": form, "valid_days": settings.INVITATION_VALID_DAYS}
    return render(request, "clubs/invitation_create.html", context)


@require_POST
@login_required
def invitation_revoke(request, invitation_pk: int):
    invitation = get_object_or_404(Invitation.objects.visible_to(request.user), pk=invitation_pk)
    if invitation.role not in access.invitable_roles(request.user, invitation.target):
        raise PermissionDenied
    try:
        services.invitation_revoke(invitation=invitation, revoked_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The invitation for %(email)s was withdrawn.") % {"email": invitation.email}
        )
    return redirect("clubs:invitation-list")


def invitation_accept(request, token: str):
    """Public: the link from the email. Existing accounts sign in first; new ones are made here."""
    invitation = get_object_or_404(
        Invitation.objects.select_related("club", "municipality", "invited_by"), token=token
    )
    context = {"invitation": invitation}
    refusal = services.invitation_refusal(invitation)
    if refusal:
        context["refusal"] = refusal
        return render(request, "clubs/invitation_unusable.html", context, status=410)
    account = get_user_model().objects.filter(email__iexact=invitation.email).first()
    if request.user.is_authenticated and request.user != account:
        return render(request, "clubs/invitation_wrong_account.html", context, status=403)
    if account is not None:
        if request.user.is_authenticated and request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=request.user)
            except ValidationError as error:
                context["refusal"] = " ".join(error.messages)
                return render(request, "clubs/invitation_unusable.html", context, status=410)
            messages.success(request, _("Welcome! Your new role is active."))
            return redirect("home")
        context["login_url"] = (
            f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: request.path})}"
        )
        return render(request, "clubs/invitation_accept.html", context)
    form = InvitationSignupForm(request.POST or None, invitation=invitation)
    if form.is_valid():
        try:
            user = services.invitation_accept_new_user(
                invitation=invitation,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Welcome! Your account is ready."))
            return perform_login(request, user, redirect_url=reverse("home"))
    context["form"] = form
    return render(request, "clubs/invitation_signup.html", context)
