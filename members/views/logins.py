"""Logins for members and guardians: staff invite (one person, or ticked people on the
roster), and the public link from the email sets a password and signs the person in."""

from __future__ import annotations

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
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clubs.forms.invitations import InvitationSignupForm
from members import selectors as sel
from members.forms.logins import LoginInviteForm, RosterLoginInviteForm
from members.models import LoginInvitation, Member, PersonalDataAccess
from members.services import logins
from members.services.access_log import personal_data_access_log

Action = PersonalDataAccess.Action


def _guardian_email_guess(member: Member) -> str:
    """The guardian's contact from their recorded consent, when it is an email address."""
    for consent in member.guardian_consents.order_by("-consent_date", "-pk"):
        if "@" in consent.guardian_contact:
            return consent.guardian_contact.strip()
    return ""


@login_required
def member_login_invite(request, member_pk: int):
    member = sel.member_get_for(request.user, member_pk)
    memberships = sel.member_memberships_for(request.user, member)
    if not sel.member_may(request.user, "members.invite_login", memberships):
        raise PermissionDenied
    state = logins.login_state(member)
    own_allowed = state["own_refusal"] is None
    form = LoginInviteForm(
        request.POST or None,
        own_allowed=own_allowed,
        guardian_allowed=state["guardian_possible"],
        initial={"guardian_email": _guardian_email_guess(member)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation = logins.login_invite(
                member=member,
                invited_by=request.user,
                kind=form.cleaned_data["kind"],
                email=form.cleaned_data.get("guardian_email") or "",
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            personal_data_access_log(
                user=request.user, action=Action.CHANGE, member=member, detail="login invitation"
            )
            messages.success(
                request, _("Invitation to log in sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect(member)
    if request.method == "GET":
        personal_data_access_log(user=request.user, action=Action.VIEW, member=member)
    context = {
        "member": member,
        "form": form,
        "can_invite": own_allowed or state["guardian_possible"],
        "valid_days": settings.INVITATION_VALID_DAYS,
        **state,
    }
    return render(request, "members/login_invite.html", context)


@require_POST
@login_required
def roster_login_invite(request, club_pk: int):
    club = sel.club_for_members(request.user, club_pk, "members.invite_login")
    people = sel.roster_for(request.user, club).values("member_id")
    form = RosterLoginInviteForm(
        request.POST, members=Member.objects.visible_to(request.user).filter(pk__in=people)
    )
    roster_url = reverse("members:roster", kwargs={"club_pk": club.pk})
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("members", [])))
        return redirect(roster_url)
    invited, skipped = logins.login_invite_many(
        members=form.cleaned_data["members"], club=club, invited_by=request.user
    )
    if invited:
        personal_data_access_log(
            user=request.user,
            action=Action.CHANGE,
            club=club,
            member_count=len(invited),
            detail="login invitations",
        )
        count = len(invited)
        messages.success(
            request,
            ngettext(
                "%(count)s invitation to log in sent.",
                "%(count)s invitations to log in sent.",
                count,
            )
            % {"count": count},
        )
    for member, reason in skipped:
        messages.warning(
            request,
            _("Not invited: %(name)s. %(reason)s")
            % {"name": member.display_name, "reason": reason},
        )
    return redirect(roster_url)


def login_accept(request, login_token: str):
    """Public: the link from the email. A new login is made here (set a password); an
    address that already has an account signs in first and then accepts."""
    invitation = get_object_or_404(
        LoginInvitation.objects.select_related("member", "club", "invited_by"), token=login_token
    )
    context = {
        "invitation": invitation,
        "guardian": invitation.kind == LoginInvitation.Kind.GUARDIAN,
    }
    refusal = logins.login_invitation_refusal(invitation)
    if refusal:
        context["refusal"] = refusal
        return render(request, "clubs/invitation_unusable.html", context, status=410)
    account = get_user_model().objects.filter(email__iexact=invitation.email).first()
    if request.user.is_authenticated and request.user != account:
        return render(request, "clubs/invitation_wrong_account.html", context, status=403)
    if account is not None:
        if request.user.is_authenticated and request.method == "POST":
            try:
                logins.login_invitation_accept(invitation=invitation, user=request.user)
            except ValidationError as error:
                context["refusal"] = " ".join(error.messages)
                return render(request, "clubs/invitation_unusable.html", context, status=410)
            messages.success(request, _("Welcome! Your login is ready."))
            return redirect("home")
        context["login_url"] = (
            f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: request.path})}"
        )
        return render(request, "members/login_accept.html", context)
    member = invitation.member
    initial = (
        {}
        if context["guardian"]
        else {
            "first_name": member.first_name,
            "last_name": member.last_name,
        }
    )
    form = InvitationSignupForm(request.POST or None, invitation=invitation, initial=initial)
    if form.is_valid():
        try:
            user = logins.login_invitation_accept_new_user(
                invitation=invitation,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Welcome! Your login is ready."))
            return perform_login(request, user, redirect_url=reverse("home"))
    context["form"] = form
    return render(request, "members/login_signup.html", context)
