"""The roster's bulk actions: change the status of, download or write to the ticked people
(inviting them to log in is members.views.logins.roster_login_invite)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from members import selectors as sel
from members.forms.roster_bulk import RosterBulkForm
from members.models import Member, PersonalDataAccess
from members.services import memberships as membership_services
from members.services.access_log import personal_data_access_log
from members.views.roster import roster_file

Action = PersonalDataAccess.Action


@require_POST
@login_required
def roster_bulk(request, club_pk: int):
    club = sel.club_for_members(request.user, club_pk, "members.change_membership")
    roster = sel.roster_for(request.user, club)
    form = RosterBulkForm(
        request.POST,
        members=Member.objects.visible_to(request.user).filter(pk__in=roster.values("member_id")),
    )
    roster_url = reverse("members:roster", kwargs={"club_pk": club.pk})
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(roster_url)
    data = form.cleaned_data
    chosen = list(roster.filter(member__in=data["members"]))
    action = data["action"]
    if action in (form.CSV, form.XLSX):
        personal_data_access_log(
            user=request.user,
            action=Action.EXPORT,
            club=club,
            member_count=len(chosen),
            detail=f"{action}: ticked",
        )
        return roster_file(action, club, chosen)
    if action == form.EMAIL:
        personal_data_access_log(
            user=request.user, action=Action.LIST, club=club, member_count=len(chosen),
            detail="email: ticked",
        )  # fmt: skip
        with_email = [m.member for m in chosen if m.member.email and not m.member.is_anonymised]
        context = {
            "club": club,
            "people": with_email,
            "without_email": [m.member for m in chosen if m.member not in with_email],
            "bcc": ",".join(person.email for person in with_email),
        }
        return render(request, "members/roster_email.html", context)
    changed = 0
    for membership in chosen:
        try:
            before = membership.status
            membership = membership_services.membership_status_change(
                membership=membership,
                to_status=data["to_status"],
                changed_by=request.user,
                reason=data["reason"],
            )
            changed += membership.status != before
        except ValidationError as error:
            messages.warning(
                request,
                _("Not changed: %(name)s. %(reason)s")
                % {"name": membership.member.display_name, "reason": " ".join(error.messages)},
            )
    if changed:
        messages.success(
            request,
            ngettext(
                "%(count)s person's status changed.", "%(count)s people's status changed.", changed
            )
            % {"count": changed},
        )
    return redirect(roster_url)
