"""The national course catalogue: creating and changing courses (national staff only)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clubs.models import Pillar
from training.models import Course

# Fields a course form may set; prerequisites are handled apart (many-to-many).
COURSE_FIELDS = (
    "code",
    "title",
    "title_en",
    "pillar",
    "description",
    "learning_outcomes",
    "hours",
    "minimum_age",
    "passing_rule",
    "pass_mark",
    "minimum_attendance_percent",
    "validity_months",
    "requires_course_qualification",
    "is_active",
)


def _prerequisite_graph() -> dict[int, set[int]]:
    """course id -> ids of its direct prerequisites, read in one query."""
    graph: dict[int, set[int]] = {}
    edges = Course.prerequisites.through.objects.values_list("from_course_id", "to_course_id")
    for course_id, prerequisite_id in edges:
        graph.setdefault(course_id, set()).add(prerequisite_id)
    return graph


def _cycle_through(course: Course, prerequisites: list[Course]) -> Course | None:
    """The chosen prerequisite that (directly or further down) needs `course` itself."""
    graph = _prerequisite_graph()
    for prerequisite in prerequisites:
        seen: set[int] = set()
        stack = [prerequisite.pk]
        while stack:
            current = stack.pop()
            if current == course.pk:
                return prerequisite
            if current in seen:
                continue
            seen.add(current)
            stack.extend(graph.get(current, ()))
    return None


def _course_check(course: Course, prerequisites: list[Course]) -> None:
    """The catalogue's rules, each reported next to its field."""
    errors: dict[str, str] = {}
    course.code = (course.code or "").strip().upper()
    course.title = (course.title or "").strip()
    course.title_en = (course.title_en or "").strip()
    if not course.code:
        errors["code"] = _("Give the course a code, e.g. KPP.")
    if not course.title:
        errors["title"] = _("Give the course a Polish title.")
    if course.hours is None or Decimal(course.hours) <= 0:
        errors["hours"] = _("A course lasts more than 0 hours.")
    if course.passing_rule == Course.PassingRule.ASSESSMENT:
        if course.pass_mark is None or not 1 <= course.pass_mark <= 100:
            errors["pass_mark"] = _(
                "A course passed by assessment needs a pass mark from 1 to 100 points."
            )
    else:
        # An attendance course has no mark; a stale one would only confuse the results page.
        course.pass_mark = None
    if not 1 <= (course.minimum_attendance_percent or 0) <= 100:
        errors["minimum_attendance_percent"] = _("Minimum attendance is a share from 1 to 100%.")
    if course.validity_months is not None and course.validity_months < 1:
        errors["validity_months"] = _(
            "A certificate is valid for at least 1 month; leave the field empty for no expiry."
        )
    if course.pk is not None:
        if any(p.pk == course.pk for p in prerequisites):
            errors["prerequisites"] = _("A course cannot be its own prerequisite.")
        else:
            looping = _cycle_through(course, prerequisites)
            if looping is not None:
                errors["prerequisites"] = _(
                    "%(prerequisite)s already requires %(course)s (directly or through other "
                    "courses), so it cannot also be its prerequisite."
                ) % {"prerequisite": looping.code, "course": course.code}
    if errors:
        raise ValidationError(errors)


def _save(course: Course, prerequisites: list[Course]) -> Course:
    if Course.objects.filter(code=course.code).exclude(pk=course.pk).exists():
        raise ValidationError(
            {"code": _("A course with the code %(code)s already exists.") % {"code": course.code}}
        )
    try:
        with transaction.atomic():
            course.save()
    except IntegrityError:
        # Two saves of the same code at once: the unique index caught the second one.
        raise ValidationError(
            {"code": _("A course with the code %(code)s already exists.") % {"code": course.code}}
        ) from None
    course.prerequisites.set(prerequisites)
    return course


@transaction.atomic
def course_create(
    *,
    code: str,
    title: str,
    hours: Decimal | int,
    pillar: Pillar | None = None,
    title_en: str = "",
    description: str = "",
    learning_outcomes: str = "",
    minimum_age: int | None = None,
    passing_rule: str = Course.PassingRule.ATTENDANCE,
    pass_mark: int | None = None,
    minimum_attendance_percent: int = 100,
    validity_months: int | None = None,
    requires_course_qualification: bool = False,
    is_active: bool = True,
    prerequisites: list[Course] | None = None,
) -> Course:
    """Add a course to the catalogue.

    Safe to run twice: the second call is refused on the course code, which is unique.
    A new course has no courses depending on it, so its prerequisites cannot loop.
    """
    course = Course(
        code=code,
        title=title,
        title_en=title_en,
        pillar=pillar,
        description=description.strip(),
        learning_outcomes=learning_outcomes.strip(),
        hours=hours,
        minimum_age=minimum_age,
        passing_rule=passing_rule,
        pass_mark=pass_mark,
        minimum_attendance_percent=minimum_attendance_percent,
        validity_months=validity_months,
        requires_course_qualification=requires_course_qualification,
        is_active=is_active,
    )
    prerequisites = list(prerequisites or [])
    _course_check(course, prerequisites)
    return _save(course, prerequisites)


@transaction.atomic
def course_update(*, course: Course, prerequisites: list[Course] | None = None, **fields) -> Course:
    """Change a course; `fields` are any of COURSE_FIELDS. Running it twice changes nothing more.

    The course rows are locked so that two editors cannot close a prerequisite loop
    between them (each edit alone being fine).
    """
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise TypeError(f"course_update() got unknown fields: {sorted(unknown)}")
    # Lock the whole catalogue (a few dozen rows) while the graph is checked.
    list(Course.objects.select_for_update(of=("self",)).values_list("pk", flat=True))
    for name, value in fields.items():
        setattr(course, name, value.strip() if isinstance(value, str) else value)
    if prerequisites is None:
        prerequisites = list(course.prerequisites.all())
    prerequisites = list(prerequisites)
    _course_check(course, prerequisites)
    return _save(course, prerequisites)
