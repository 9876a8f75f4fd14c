"""The course catalogue: public reading, national editing, the catalogue's rules, and the
demo seed."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clubs.models import Pillar
from tests import factories
from training.models import Course, InstructorProfile, InstructorQualification
from training.services.catalogue import course_create, course_update

pytestmark = pytest.mark.django_db


def _form(**overrides) -> dict:
    data = {
        "code": "NEW-1",
        "title": "Nowy kurs",
        "title_en": "New course",
        "pillar": Pillar.objects.get(code="cyber").pk,
        "description": "",
        "learning_outcomes": "Pierwszy\nDrugi",
        "hours": "4",
        "minimum_age": "",
        "passing_rule": "attendance",
        "pass_mark": "",
        "minimum_attendance_percent": "80",
        "validity_months": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


# --- Reading ---------------------------------------------------------------------------


def test_anonymous_visitors_browse_active_courses_only(client):
    factories.CourseFactory(code="OPEN-1", title="Kurs otwarty")
    retired = factories.CourseFactory(code="OLD-1", title="Kurs wycofany", is_active=False)
    response = client.get(reverse("training:course-list"))
    assert response.status_code == 200
    assert "OPEN-1" in response.text
    assert "OLD-1" not in response.text
    detail = client.get(reverse("training:course-detail", kwargs={"course_pk": retired.pk}))
    assert detail.status_code == 404


def test_national_staff_see_retired_courses(client, world):
    retired = factories.CourseFactory(code="OLD-1", title="Kurs wycofany", is_active=False)
    client.force_login(world.users["national"])
    assert "OLD-1" in client.get(reverse("training:course-list")).text
    detail = client.get(reverse("training:course-detail", kwargs={"course_pk": retired.pk}))
    assert detail.status_code == 200


def test_the_list_filters_by_pillar_cross_pillar_and_text(client):
    factories.CourseFactory(code="FA-1", title="Pierwsza pomoc dla dzieci", title_en="")
    factories.CourseFactory(
        code="CY-1", title="Hasła", title_en="", pillar=Pillar.objects.get(code="cyber")
    )
    factories.CourseFactory(code="ZPOS-X", title="Moduł przekrojowy", title_en="", pillar=None)
    url = reverse("training:course-list")

    cyber = client.get(url, {"pillar": "cyber"}).text
    assert "Hasła" in cyber and "Pierwsza pomoc dla dzieci" not in cyber

    zpos = client.get(url, {"pillar": "zpos"}).text
    assert "Moduł przekrojowy" in zpos and "Hasła" not in zpos

    text = client.get(url, {"q": "dzieci"}).text
    assert "Pierwsza pomoc dla dzieci" in text and "Moduł przekrojowy" not in text


def test_detail_shows_rules_prerequisites_and_required_qualification(client):
    basic = factories.CourseFactory(code="ZPOS-B", title="Podstawy", pillar=None)
    course = factories.CourseFactory(
        code="KPP-T",
        title="KPP testowy",
        hours=66,
        minimum_age=16,
        passing_rule="assessment",
        pass_mark=70,
        validity_months=36,
        requires_course_qualification=True,
        learning_outcomes="Prowadzi RKO\nUżywa AED",
    )
    course.prerequisites.add(basic)
    text = client.get(reverse("training:course-detail", kwargs={"course_pk": course.pk})).text
    assert "Prowadzi RKO" in text and "Używa AED" in text
    assert "66" in text
    assert "70/100" in text
    assert "36 months" in text
    assert "ZPOS-B" in text
    assert "a verified qualification for KPP-T itself" in text


def test_course_list_query_count_does_not_grow(client, world):
    client.force_login(world.users["national"])
    url = reverse("training:course-list")

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    small = count()
    for code in ("cyber", "drones", "shooting"):
        factories.CourseFactory.create_batch(4, pillar=Pillar.objects.get(code=code))
    factories.CourseFactory.create_batch(3, pillar=None)
    assert count() == small


# --- Editing ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["coordinator", "leader", "instructor", "member"])
def test_only_national_staff_edit_the_catalogue(client, world, role):
    client.force_login(world.users[role])
    assert client.post(reverse("training:course-create"), _form()).status_code == 403
    edit = reverse("training:course-edit", kwargs={"course_pk": world.kwargs["course_pk"]})
    assert client.post(edit, _form(code="HACKED")).status_code == 403
    assert not Course.objects.filter(code__in=["NEW-1", "HACKED"]).exists()


def test_national_staff_add_a_course(client, world):
    client.force_login(world.users["national"])
    prerequisite = world.objects["course"]
    response = client.post(
        reverse("training:course-create"), _form(prerequisites=[prerequisite.pk])
    )
    course = Course.objects.get(code="NEW-1")
    assert response.status_code == 302
    assert response["Location"] == course.get_absolute_url()
    assert list(course.prerequisites.all()) == [prerequisite]
    assert course.pass_mark is None


@pytest.mark.parametrize("pass_mark", ["", "0", "101"])
def test_an_assessment_needs_a_pass_mark_from_1_to_100(client, world, pass_mark):
    client.force_login(world.users["national"])
    response = client.post(
        reverse("training:course-create"), _form(passing_rule="assessment", pass_mark=pass_mark)
    )
    assert response.status_code == 200
    assert not Course.objects.filter(code="NEW-1").exists()
    errors = response.context["form"].errors
    assert "pass_mark" in errors
    if pass_mark in ("", "0"):  # the form accepts 0 and blank; the service explains
        assert "needs a pass mark from 1 to 100" in str(errors["pass_mark"])


def test_an_attendance_course_drops_a_stale_pass_mark():
    course = course_create(code="att-1", title="Obecność", hours=2, pass_mark=55)
    assert course.code == "ATT-1"
    assert course.pass_mark is None


def test_a_course_cannot_be_its_own_prerequisite(client, world):
    course = world.objects["course"]
    client.force_login(world.users["national"])
    with pytest.raises(ValidationError) as error:
        course_update(course=course, prerequisites=[course])
    assert "cannot be its own prerequisite" in str(error.value)
    # The form does not even offer it.
    response = client.get(reverse("training:course-edit", kwargs={"course_pk": course.pk}))
    assert course.pk not in [
        c.pk for c in response.context["form"].fields["prerequisites"].queryset
    ]


def test_a_prerequisite_cycle_is_refused_with_a_clear_message(client, world):
    a = course_create(code="A", title="A", hours=1)
    b = course_create(code="B", title="B", hours=1, prerequisites=[a])
    c = course_create(code="C", title="C", hours=1, prerequisites=[b])
    client.force_login(world.users["national"])
    response = client.post(
        reverse("training:course-edit", kwargs={"course_pk": a.pk}),
        _form(code="A", title="A", prerequisites=[c.pk]),
    )
    assert response.status_code == 200
    assert "C already requires A" in str(response.context["form"].errors["prerequisites"])
    assert list(a.prerequisites.all()) == []
    a.refresh_from_db()
    assert a.pillar is None  # nothing half-written: the other fields kept their values


def test_a_duplicate_code_is_refused():
    course_create(code="DUP", title="Jeden", hours=1)
    with pytest.raises(ValidationError) as error:
        course_create(code="dup", title="Drugi", hours=1)
    assert "already exists" in str(error.value)
    assert Course.objects.filter(code="DUP").count() == 1


def test_national_staff_edit_a_course(client, world):
    course = world.objects["course"]
    client.force_login(world.users["national"])
    response = client.post(
        reverse("training:course-edit", kwargs={"course_pk": course.pk}),
        _form(code=course.code, title="Nowy tytuł", passing_rule="assessment", pass_mark="60"),
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.pass_mark, course.pillar.code) == ("Nowy tytuł", 60, "cyber")


# --- Demo seed -------------------------------------------------------------------------


def test_demo_seed_is_idempotent_and_verified(world):
    from kos_portal.demo import demo_seed
    from training.demo import DEMO_COURSES

    demo_seed()
    counts = (
        Course.objects.count(),
        InstructorProfile.objects.count(),
        InstructorQualification.objects.count(),
    )
    demo_seed()
    assert counts == (
        Course.objects.count(),
        InstructorProfile.objects.count(),
        InstructorQualification.objects.count(),
    )
    codes = {spec["code"] for spec in DEMO_COURSES}
    assert set(Course.objects.filter(code__in=codes).values_list("code", flat=True)) == codes
    kpp = Course.objects.get(code="KPP")
    assert (kpp.hours, kpp.pass_mark, kpp.validity_months) == (66, 70, 36)
    assert kpp.requires_course_qualification
    zpos = Course.objects.get(code="ZPOS-I")
    assert zpos.pillar is None and zpos.minimum_attendance_percent == 100
    assert "72" in zpos.description and "CBRNE" in zpos.description
    assert not zpos.prerequisites.exists() and not zpos.leads_to.exists()

    profile = InstructorProfile.objects.get(user__email="instruktor@kos.example")
    assert profile.may_teach_minors
    assert profile.safeguarding_verified_by.email == "koordynator@kos.example"
    from training.services.instructors import instructor_qualification_problem

    today = [date.today()]
    for code in ("KPP", "CYBER-HIG", "KOM-DEZ", "ZPOS-I"):
        course = Course.objects.get(code=code)
        assert (
            instructor_qualification_problem(
                instructor=profile, course=course, on_dates=today, with_minors=True
            )
            is None
        ), code
    drones = Course.objects.get(code="BSP-A1A3")
    assert instructor_qualification_problem(
        instructor=profile, course=drones, on_dates=today, with_minors=False
    )
