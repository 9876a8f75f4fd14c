"""Instructors: the qualification gate, profiles, qualifications, safeguarding checks, iCal."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from training.models import Course, InstructorProfile


def instructor_qualification_problem(
    *,
    instructor: InstructorProfile,
    course: Course,
    on_dates: list[date],
    with_minors: bool,
) -> str | None:
    """Why `instructor` may not teach `course` on every one of `on_dates`, or None.

    A verified qualification must cover the course (its own, or its pillar's unless the
    course needs a course-specific one) on each date; with minors in the group the
    safeguarding checks must also be recorded and verified. Uses the prefetched
    `qualifications` when the caller prefetched them.
    """
    name = str(instructor)
    qualifications = list(instructor.qualifications.all())
    for on in sorted(set(on_dates)):
        if not any(q.covers(course, on) for q in qualifications):
            return _("%(name)s has no verified qualification for %(course)s valid on %(date)s.") % {
                "name": name,
                "course": course.code,
                "date": on.isoformat(),
            }
    if with_minors and not instructor.may_teach_minors:
        return _(
            "%(name)s cannot teach members under 18: the Sex Offenders Register check and the "
            "child-protection statement must be recorded and verified by a coordinator."
        ) % {"name": name}
    return None
