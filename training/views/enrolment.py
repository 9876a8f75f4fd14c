"""Enrolment actions: staff enrol a member, members enrol themselves, either cancels."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kos_portal.access import require
from training import selectors_sessions as sel
from training.forms.enrolment import EnrolMembersForm
from training.models import Enrolment, Session
from training.services import enrolment as services


def _back(request, session: Session):
    """Where to go after an action: a safe `next`, else the session page if the user can
    see it, else their own data page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    if Session.objects.visible_to(request.user).filter(pk=session.pk).exists():
        return redirect(session)
    return redirect("members:my-data")


def _success(request, enrolment: Enrolment, *, own: bool) -> None:
    if enrolment.status == Enrolment.Status.WAITLISTED:
        text = (
            _("The session is full; you are number %(position)s on the waiting list.")
            if own
            else _("The session is full; %(name)s is number %(position)s on the waiting list.")
        )
    else:
        text = _("You are enrolled.") if own else _("%(name)s is enrolled.")
    messages.success(
        request,
        text % {"name": enrolment.member.display_name, "position": enrolment.waitlist_position},
    )


@require_POST
@login_required
def session_enrol(request, session_pk: int):
    session = get_object_or_404(
        Session.objects.visible_to(request.user).select_related("club__municipality"),
        pk=session_pk,
    )
    require(request.user, "training.enrol", session)
    form = EnrolMembersForm(request.POST, members=sel.session_member_choices(request.user, session))
    if not form.is_valid():
        messages.error(request, _("Choose members of the club who are not enrolled yet."))
        return redirect(session)
    outcomes = services.enrolment_create_many(
        session=session, members=list(form.cleaned_data["members"]), enrolled_by=request.user
    )
    for outcome in outcomes:  # one line per person: enrolled, waiting, or why not
        if outcome.enrolment is not None:
            _success(request, outcome.enrolment, own=False)
        else:
            messages.error(
                request,
                _("%(name)s is not enrolled: %(reason)s")
                % {"name": outcome.member.display_name, "reason": outcome.refusal},
            )
    return redirect(session)


@require_POST
@login_required
def session_enrol_self(request, session_pk: int):
    # "member": a child the user is guardian of (members.Guardianship); else themselves.
    member = sel.person_for_self_enrolment(request.user, request.POST.get("member"))
    if member is None:
        raise PermissionDenied
    session = sel.session_for_self_enrolment(request.user, session_pk, member)
    own = member.user_id == request.user.pk
    try:
        enrolment = services.enrolment_create(
            session=session, member=member, enrolled_by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _success(request, enrolment, own=own)
    return _back(request, session)


@require_POST
@login_required
def enrolment_cancel(request, enrolment_pk: int):
    enrolment = sel.enrolment_get_for(request.user, enrolment_pk)
    own = enrolment.member.user_id is not None and enrolment.member.user_id == request.user.pk
    if not own:
        require(request.user, "training.enrol", enrolment)
    try:
        services.enrolment_cancel(enrolment=enrolment, cancelled_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if own:
            messages.success(request, _("Your place is cancelled."))
        else:
            messages.success(
                request,
                _("%(name)s's place is cancelled.") % {"name": enrolment.member.display_name},
            )
    return _back(request, enrolment.session)
