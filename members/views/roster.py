"""Staff pages for members: roster and its export, registration, a person's page, edits,
statuses, consents, applications, the access log; and the public application form.

Every page that shows or exports personal data writes a row to the access log.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from clubs.models import Club
from kos_portal.access import require
from kos_portal.exports import export_response
from kos_portal.pagination import Paginator
from members import age
from members import selectors as sel
from members.forms.roster import (
    AccessLogFilterForm,
    ApplicationDecisionForm,
    ConsentRecordForm,
    MemberEditForm,
    MemberRegistrationForm,
    MembershipStatusForm,
    PublicApplicationForm,
    RosterFilterForm,
)
from members.models import Member, Membership, PersonalDataAccess
from members.services import consents as consent_services
from members.services import memberships as membership_services
from members.services import registration
from members.services.access_log import personal_data_access_log, request_detail
from members.services.logins import login_invite_refusal

Action = PersonalDataAccess.Action
ROSTER_PAGE_SIZE = 50
APPLICATIONS_PAGE_SIZE = 50
ACCESS_LOG_PAGE_SIZE = 100
EXPORT_FORMATS = ("csv", "xlsx")
APPLY_RATE = "5/h"  # per IP; only well-formed submissions count

# --- Roster and export -----------------------------------------------------------------


def _roster(request, club: Club):
    """The filter form and the memberships it selects; a bad filter selects nothing, so a
    mistyped filter never shows (or exports) more than was asked for."""
    form = RosterFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, Membership.objects.none()
    data = form.cleaned_data if form.is_bound else {}
    filters = sel.RosterFilters(
        status=data.get("status") or "",
        skill=data.get("skill"),
        minors=data.get("minors") or "",
        q=data.get("q") or "",
    )
    return form, sel.roster_for(request.user, club, filters)


@login_required
def roster(request, club_pk: int):
    club = sel.club_for_members(request.user, club_pk)
    form, memberships = _roster(request, club)
    page = Paginator(memberships, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for membership in page:
        membership.is_minor = age.is_minor(membership.member.birth_date, today)
    personal_data_access_log(
        user=request.user,
        action=Action.LIST,
        club=club,
        member_count=len(page.object_list),
        detail=request_detail(request),
    )
    counts = sel.roster_status_counts(request.user, club)
    context = {
        "club": club,
        "page": page,
        "filter_form": form,
        "counts": [(value, label, counts[value]) for value, label in Membership.Status.choices],
        "query": request.GET.urlencode(),
        "status_choices": Membership.Status.choices,
    }
    return render(request, "members/roster.html", context)


@login_required
def roster_export(request, club_pk: int):
    club = sel.club_for_members(request.user, club_pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    _form, memberships = _roster(request, club)
    rows = list(memberships)  # counted for the log before the file is written
    personal_data_access_log(
        user=request.user,
        action=Action.EXPORT,
        club=club,
        member_count=len(rows),
        detail=request_detail(request, fmt),
    )
    return roster_file(fmt, club, rows)


def roster_file(fmt: str, club: Club, rows: list[Membership]):
    """The roster's CSV or XLSX download of `rows` (the filtered list, or the ticked people)."""
    header = [
        _("Last name"),
        _("First name"),
        _("Date of birth"),
        _("Email address"),
        _("Phone"),
        _("Gmina of residence"),
        _("Emergency contact"),
        _("Emergency contact phone"),
        _("Skills"),
        _("Status"),
        _("Joined on"),
        _("Left on"),
    ]
    body = (_export_row(m) for m in rows)
    filename = f"members-{club.pk}-{timezone.localdate().isoformat()}"
    return export_response(fmt, filename, header, body)


def _export_row(membership: Membership) -> list:
    member = membership.member
    # An erased person keeps their row (totals must not change) but shows only the label,
    # whatever might be left in the contact columns.
    anonymised = member.is_anonymised
    return [
        member.display_name if anonymised else member.last_name,
        "" if anonymised else member.first_name,
        member.birth_date,
        "" if anonymised else member.email,
        "" if anonymised else member.phone,
        member.municipality.name if member.municipality else "",
        "" if anonymised else member.emergency_contact_name,
        "" if anonymised else member.emergency_contact_phone,
        ", ".join(skill.name for skill in member.skills.all()),
        membership.get_status_display(),
        membership.joined_on,
        membership.left_on,
    ]


# --- Registration ----------------------------------------------------------------------


def _duplicate_context(user, form) -> dict:
    """People the new registration may be: full names for those the user may see, only
    "someone in another club" for the rest."""
    data = form.cleaned_data
    duplicates = list(
        registration.member_find_duplicates(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            birth_date=data["birth_date"],
        )
    )
    visible = set(
        Member.objects.visible_to(user)
        .filter(pk__in=[d.pk for d in duplicates])
        .values_list("pk", flat=True)
    )
    return {
        "duplicates": duplicates,
        "visible_duplicates": [d for d in duplicates if d.pk in visible],
        "hidden_duplicates": [d for d in duplicates if d.pk not in visible],
    }


@login_required
def member_create(request, club_pk: int):
    club = sel.club_for_members(request.user, club_pk, "members.register_member")
    if not club.takes_new_members:
        return render(request, "members/member_create_closed.html", {"club": club})
    form = MemberRegistrationForm(request.POST or None)
    context = {"club": club, "form": form}
    if form.is_valid():
        choice = form.cleaned_data["duplicate_choice"]
        duplicates = _duplicate_context(request.user, form)
        link_to = None
        if choice.startswith("link:"):
            link_to = next((d for d in duplicates["duplicates"] if f"link:{d.pk}" == choice), None)
            if link_to is None:
                form.add_error(None, _("Choose again: the person to link was not found."))
        elif choice != "new" and duplicates["duplicates"]:
            # The confirmation step: link the existing person, or say it is someone else.
            context.update(duplicates, confirm=True)
            return render(request, "members/member_form.html", context)
        if not form.errors:
            try:
                membership = registration.member_register(
                    club=club,
                    registered_by=request.user,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    birth_date=form.cleaned_data["birth_date"],
                    email=form.cleaned_data["email"],
                    phone=form.cleaned_data["phone"],
                    municipality=form.cleaned_data["municipality"],
                    emergency_contact_name=form.cleaned_data["emergency_contact_name"],
                    emergency_contact_phone=form.cleaned_data["emergency_contact_phone"],
                    skills=form.cleaned_data["skills"],
                    consents=form.consents(),
                    guardian=form.guardian(),
                    method=form.cleaned_data["method"],
                    link_to=link_to,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if membership.status == Membership.Status.APPLICANT:
                    messages.warning(
                        request,
                        _(
                            "%(person)s is under 18 and no guardian's consent is recorded: "
                            "they are registered as an applicant and become active once "
                            "the consent is recorded."
                        )
                        % {"person": membership.member},
                    )
                else:
                    messages.success(
                        request,
                        _("%(person)s is now a member of the club.")
                        % {"person": membership.member},
                    )
                return redirect(membership.member)
    return render(request, "members/member_form.html", context)


# --- One person ------------------------------------------------------------------------


@login_required
def member_detail(request, member_pk: int):
    member = sel.member_get_for(request.user, member_pk)
    memberships = sel.member_memberships_for(request.user, member)
    guardian_consents = sel.member_guardian_consents(member)
    personal_data_access_log(user=request.user, action=Action.VIEW, member=member)
    for membership in memberships:
        membership.can_change = sel.member_may(
            request.user, "members.change_membership", [membership]
        )
    context = {
        "member": member,
        "memberships": memberships,
        "consents": sel.member_consents(member),
        "current_consents": consent_services.current_consents(member),
        "guardian_consents": guardian_consents,
        "is_minor": age.is_minor(member.birth_date),
        "guardian_missing": age.is_minor(member.birth_date)
        and not any(g.is_current for g in guardian_consents),
        "age": age.age_on(member.birth_date) if member.birth_date else None,
        "skills": list(member.skills.all()),
        "can_edit": sel.member_may(request.user, "members.change_member", memberships),
        "erase_club": sel.member_erase_club(request.user, memberships),
        # Logins for members and guardians (members.services.logins)
        "can_invite_login": sel.member_may(request.user, "members.invite_login", memberships),
        "login_refusal": login_invite_refusal(member),
    }
    return render(request, "members/member_detail.html", context)


def _member_for_change(request, member_pk: int) -> tuple[Member, list[Membership]]:
    member = sel.member_get_for(request.user, member_pk)
    memberships = sel.member_memberships_for(request.user, member)
    if not sel.member_may(request.user, "members.change_member", memberships):
        raise PermissionDenied
    return member, memberships


@login_required
def member_edit(request, member_pk: int):
    member, _memberships = _member_for_change(request, member_pk)
    if member.is_anonymised:
        raise Http404
    initial = {name: getattr(member, name) for name in registration.EDITABLE_FIELDS} | {
        "skills": list(member.skills.all())
    }
    form = MemberEditForm(request.POST or None, initial=initial)
    if form.is_valid():
        data = dict(form.cleaned_data)
        skills = data.pop("skills")
        try:
            registration.member_update(
                member=member, changed_by=request.user, skills=skills, **data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            personal_data_access_log(user=request.user, action=Action.CHANGE, member=member)
            messages.success(request, _("The person's data was saved."))
            return redirect(member)
    return render(request, "members/member_edit.html", {"member": member, "form": form})


@login_required
def consent_record(request, member_pk: int):
    member, _memberships = _member_for_change(request, member_pk)
    if member.is_anonymised:
        raise Http404
    form = ConsentRecordForm(request.POST or None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == form.GUARDIAN and data["given"]:
                consent_services.guardian_consent_record(
                    member=member,
                    guardian_name=data["guardian_name"],
                    guardian_contact=data["guardian_contact"],
                    guardian_relation=data["guardian_relation"],
                    consent_date=data["guardian_consent_date"],
                    recorded_by=request.user,
                    method=data["method"],
                )
            elif data["kind"] == form.GUARDIAN:
                consent_services.guardian_consent_withdraw(member=member, withdrawn_by=request.user)
            elif data["given"]:
                consent_services.consent_record(
                    member=member,
                    purpose=data["kind"],
                    given=True,
                    recorded_by=request.user,
                    method=data["method"],
                    guardian=form.consent_guardian(),
                )
            else:
                consent_services.consent_withdraw(
                    member=member,
                    purpose=data["kind"],
                    recorded_by=request.user,
                    method=data["method"],
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The consent was recorded."))
            return redirect(member)
    context = {
        "member": member,
        "form": form,
        "texts": consent_services.CONSENT_TEXTS,
        "guardian_text": consent_services.GUARDIAN_CONSENT,
    }
    return render(request, "members/consent_record.html", context)


# --- Statuses and applications ---------------------------------------------------------


@login_required
def membership_status(request, membership_pk: int):
    membership = sel.membership_get_for(request.user, membership_pk, "members.change_membership")
    form = MembershipStatusForm(request.POST or None, initial={"to_status": membership.status})
    if form.is_valid():
        try:
            membership_services.membership_status_change(
                membership=membership,
                to_status=form.cleaned_data["to_status"],
                changed_by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The membership status was changed."))
            return redirect(membership.member)
    return render(
        request, "members/membership_status.html", {"membership": membership, "form": form}
    )


@login_required
def application_list(request):
    require(request.user, "members.change_membership")
    applications = sel.applications_for(request.user)
    page = Paginator(applications, APPLICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for membership in page:
        member = membership.member
        membership.guardian_missing = age.is_minor(member.birth_date, today) and not any(
            g.is_current for g in member.guardian_consents.all()
        )
    personal_data_access_log(
        user=request.user,
        action=Action.LIST,
        member_count=len(page.object_list),
        detail=request_detail(request),
    )
    context = {"page": page, "decision_form": ApplicationDecisionForm()}
    return render(request, "members/application_list.html", context)


@require_POST
@login_required
def application_decide(request, membership_pk: int):
    membership = sel.membership_get_for(request.user, membership_pk, "members.change_membership")
    form = ApplicationDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to approve or reject the application."))
        return redirect("members:application-list")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        membership_services.application_decide(
            membership=membership,
            approve=approve,
            decided_by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        person = {"person": membership.member}
        if approve:
            messages.success(request, _("%(person)s is now a member of the club.") % person)
        else:
            messages.success(request, _("The application of %(person)s was rejected.") % person)
    return redirect("members:application-list")


# --- Access log ------------------------------------------------------------------------


@login_required
def access_log(request):
    require(request.user, "members.view_access_log")
    form = AccessLogFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        rows = PersonalDataAccess.objects.none()
    else:
        data = form.cleaned_data if form.is_bound else {}
        rows = sel.access_log_for(
            request.user,
            sel.AccessLogFilters(
                user_email=data.get("user_email") or "",
                member=data.get("member") or "",
                action=data.get("action") or "",
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
            ),
        )
    page = Paginator(rows, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "form": form, "query": query.urlencode()}
    return render(request, "members/access_log.html", context)


# --- Public application ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def club_apply(request, club_pk: int):
    """Public: a citizen applies to join an active club."""
    club = get_object_or_404(
        Club.objects.filter(status=Club.Status.ACTIVE).select_related("municipality"),
        pk=club_pk,
    )
    form = PublicApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        limited = is_ratelimited(
            request,
            group="members.club-apply",
            key="ip",
            rate=APPLY_RATE,
            method="POST",
            increment=True,
        )
        if limited:
            message = _(
                "You have sent several applications in a short time. Please try again in an hour."
            )
            return render(
                request,
                "members/apply_limited.html",
                {"club": club, "message": message},
                status=429,
            )
        if not form.is_spam:
            data = form.cleaned_data
            try:
                registration.membership_apply(
                    club=club,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    birth_date=data["birth_date"],
                    email=data["email"],
                    phone=data["phone"],
                    municipality=data["municipality"],
                    message=data["message"],
                    consents=form.consents(),
                    guardian=form.guardian(),
                )
            except ValidationError as error:
                form.add_error(None, error)
        if not form.errors:
            return render(request, "members/apply_done.html", {"club": club})
    return render(request, "members/apply.html", {"club": club, "form": form})
