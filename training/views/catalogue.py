"""The course catalogue: public to read, national staff to edit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kos_portal import access
from kos_portal.pagination import Paginator
from training import selectors_catalogue as selectors
from training.forms.catalogue import CourseFilterForm, CourseForm
from training.models import Course
from training.services import catalogue as services

MANAGE = "training.manage_catalogue"


def course_list(request):
    """Anyone may browse the catalogue: it is public information."""
    manager = access.can(request.user, MANAGE)
    filters = CourseFilterForm(request.GET or None, show_offered=manager)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    courses = selectors.course_list(
        request.user,
        pillar=chosen.get("pillar", ""),
        text=chosen.get("q", ""),
        offered=chosen.get("offered", ""),
    )
    page = Paginator(courses, 50).get_page(request.GET.get("page"))
    context = {"page": page, "filters": filters, "can_manage": manager}
    return render(request, "training/course_list.html", context)


def course_detail(request, course_pk: int):
    course = selectors.course_detail(request.user, course_pk)
    context = {
        "course": course,
        "outcomes": [
            line.strip() for line in course.learning_outcomes.splitlines() if line.strip()
        ],
        "can_manage": access.can(request.user, MANAGE),
    }
    return render(request, "training/course_detail.html", context)


def _course_form_page(request, form: CourseForm, course: Course | None):
    if form.is_valid():
        data = dict(form.cleaned_data)
        prerequisites = list(data.pop("prerequisites"))
        try:
            if course is None:
                course = services.course_create(prerequisites=prerequisites, **data)
                messages.success(
                    request, _("%(code)s was added to the catalogue.") % {"code": course.code}
                )
            else:
                services.course_update(course=course, prerequisites=prerequisites, **data)
                messages.success(request, _("%(code)s was saved.") % {"code": course.code})
        except ValidationError as error:
            if course is not None:
                course.refresh_from_db()  # the service set the refused values on it
            form.add_error(None, error)
        else:
            return redirect(course)
    return render(request, "training/course_form.html", {"form": form, "course": course})


@login_required
def course_create(request):
    access.require(request.user, MANAGE)
    return _course_form_page(request, CourseForm(request.POST or None), None)


@login_required
def course_edit(request, course_pk: int):
    access.require(request.user, MANAGE)
    course = get_object_or_404(Course, pk=course_pk)
    form = CourseForm(request.POST or None, instance=course)
    return _course_form_page(request, form, course)
