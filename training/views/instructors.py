"""Instructors: the list and profiles for staff, the instructor's own profile and
qualifications, verification, the safeguarding checks, the calendar and its iCal feed.

Profiles are looked up through InstructorProfile.objects.visible_to (outside scope: 404);
actions are decided by services.instructor_action_allowed (in scope but refused: 403).
Documents are only ever sent through these views, never linked from MEDIA_URL.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kos_portal import access
from kos_portal.pagination import Paginator
from kos_portal.roles import Role
from training import selectors_catalogue as selectors
from training.forms.instructors import (
    InstructorProfileForm,
    QualificationForm,
    SafeguardingForm,
    VerifyForm,
)
from training.models import InstructorProfile, InstructorQualification
from training.services import instructors as services

VIEW = "training.view_instructor"
VERIFY = "training.verify_qualification"


def _require_instructor(user) -> None:
    """Own-profile pages are for people who hold the instructor role somewhere."""
    if not access.has_role(user, Role.INSTRUCTOR):
        raise PermissionDenied


# --- Staff: the list and one instructor ------------------------------------------------


@login_required
def instructor_list(request):
    access.require(request.user, VIEW)
    text = request.GET.get("q", "")[:100]
    instructors = selectors.instructor_list(request.user, text=text)
    page = Paginator(instructors, 50, load=selectors.with_qualification_states).get_page(
        request.GET.get("page")
    )
    return render(request, "training/instructor_list.html", {"page": page, "q": text})


@login_required
def instructor_detail(request, instructor_pk: int):
    profile = selectors.instructor_detail(request.user, instructor_pk)
    own = services.is_own_profile(request.user, profile)
    if not own:
        access.require(request.user, VIEW)
    may_verify = not own and services.instructor_action_allowed(request.user, VERIFY, profile)
    context = {
        "profile": profile,
        "own": own,
        "may_verify": may_verify,
        "may_see_documents": own or may_verify,
        "qualifications": list(profile.qualifications.all()),
    }
    return render(request, "training/instructor_detail.html", context)


# --- The instructor's own profile and qualifications -----------------------------------


@login_required
def instructor_profile_edit(request):
    _require_instructor(request.user)
    profile = services.instructor_profile_of(request.user)
    form = InstructorProfileForm(
        request.POST or None, initial={"phone": profile.phone, "bio": profile.bio}
    )
    if form.is_valid():
        try:
            profile = services.instructor_profile_update(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your instructor profile was saved."))
            return redirect("training:instructor-detail", instructor_pk=profile.pk)
    return render(request, "training/instructor_profile_edit.html", {"form": form})


@login_required
def qualification_create(request):
    _require_instructor(request.user)
    form = QualificationForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            profile = services.instructor_profile_ensure(user=request.user)
            services.qualification_create(instructor=profile, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The qualification was recorded. A coordinator will verify it."),
            )
            return redirect("training:instructor-detail", instructor_pk=profile.pk)
    return render(request, "training/qualification_form.html", {"form": form})


def _qualification_in_scope(user, qualification_pk: int) -> InstructorQualification:
    visible = InstructorProfile.objects.visible_to(user)
    return get_object_or_404(
        InstructorQualification.objects.select_related("instructor__user", "pillar", "course"),
        pk=qualification_pk,
        instructor__in=visible,
    )


@require_POST
@login_required
def qualification_verify(request, qualification_pk: int):
    qualification = _qualification_in_scope(request.user, qualification_pk)
    if not services.instructor_action_allowed(request.user, VERIFY, qualification.instructor):
        raise PermissionDenied
    form = VerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to verify the qualification."))
    else:
        try:
            if form.cleaned_data["action"] == "verify":
                services.qualification_verify(qualification=qualification, verified_by=request.user)
                messages.success(request, _("The qualification is verified."))
            else:
                services.qualification_unverify(
                    qualification=qualification, unverified_by=request.user
                )
                messages.success(request, _("The verification was withdrawn."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
    return redirect("training:instructor-detail", instructor_pk=qualification.instructor_id)


@login_required
def qualification_document(request, qualification_pk: int):
    """The certificate scan: for the instructor and those who may verify it."""
    qualification = _qualification_in_scope(request.user, qualification_pk)
    own = services.is_own_profile(request.user, qualification.instructor)
    if not own and not services.instructor_action_allowed(
        request.user, VERIFY, qualification.instructor
    ):
        raise PermissionDenied
    if not qualification.document:
        raise Http404(_("No document was uploaded for this qualification."))
    try:
        handle = default_storage.open(qualification.document.name, "rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=services.qualification_document_name(qualification),
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- Safeguarding checks ---------------------------------------------------------------


@login_required
def safeguarding_record(request, instructor_pk: int):
    """Coordinators record and verify the checks; the instructor may enter the dates."""
    profile = get_object_or_404(
        InstructorProfile.objects.visible_to(request.user).select_related("user"),
        pk=instructor_pk,
    )
    own = services.is_own_profile(request.user, profile)
    may_verify = not own and services.instructor_action_allowed(request.user, VERIFY, profile)
    if not (own or may_verify):
        raise PermissionDenied
    initial = {
        "offender_register_checked_on": profile.offender_register_checked_on,
        "child_protection_statement_on": profile.child_protection_statement_on,
        "verified": profile.safeguarding_verified_at is not None,
    }
    form = SafeguardingForm(request.POST or None, initial=initial, may_verify=may_verify)
    if form.is_valid():
        try:
            services.safeguarding_record(
                profile=profile,
                offender_register_checked_on=form.cleaned_data["offender_register_checked_on"],
                child_protection_statement_on=form.cleaned_data["child_protection_statement_on"],
                recorded_by=request.user,
                verify=form.cleaned_data["verified"] if may_verify else None,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The checks were saved."))
            return redirect("training:instructor-detail", instructor_pk=profile.pk)
    context = {"profile": profile, "form": form, "may_verify": may_verify, "own": own}
    return render(request, "training/instructor_safeguarding.html", context)


# --- Calendar and iCal feed ------------------------------------------------------------


@login_required
def my_calendar(request):
    _require_instructor(request.user)
    profile = services.instructor_profile_of(request.user)
    feed_url = None
    if profile.pk:
        feed_url = request.build_absolute_uri(
            reverse("training:ical-feed", kwargs={"ical_token": profile.ical_token})
        )
    context = {"meetings": selectors.calendar_meetings(request.user), "feed_url": feed_url}
    return render(request, "training/calendar.html", context)


@require_POST
@login_required
def ical_regenerate(request):
    _require_instructor(request.user)
    services.ical_token_regenerate(user=request.user)
    messages.success(
        request,
        _("Your calendar has a new link. The old one no longer works: subscribe again."),
    )
    return redirect("training:my-calendar")


def ical_feed(request, ical_token: str):
    """Public URL: the secret token is the only key. A wrong token answers 404."""
    profile = (
        InstructorProfile.objects.select_related("user")
        .filter(ical_token=ical_token, user__is_active=True)
        .first()
    )
    if profile is None:
        raise Http404
    body = services.ical_calendar(
        profile=profile,
        meetings=selectors.ical_meetings(profile),
        base_url=request.build_absolute_uri("/").rstrip("/"),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kos-training.ics"'
    # The token is in the URL: keep the feed out of shared caches.
    patch_cache_control(response, private=True, max_age=0)
    return response
