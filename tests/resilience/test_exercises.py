"""Exercises: who plans them, who may take part (minors), reviews, actions, training needs,
overdue reminders and query counts."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import GuardianConsent
from resilience.models import CorrectiveAction, Exercise, ExerciseParticipation
from resilience.services.exercises import (
    action_save,
    corrective_action_reminders_send,
    exercise_allowed,
    participation_record,
)
from resilience.tasks import corrective_action_reminders_task
from tests import factories


def minor_of(club, *, on: date | None = None):
    member = factories.MemberFactory(birth_date=(on or date.today()) - timedelta(days=365 * 15))
    factories.MembershipFactory(member=member, club=club)
    return member


def consent_for(member):
    return GuardianConsent.objects.create(
        member=member,
        guardian_name="Anna Kowalska",
        guardian_contact="anna@kos.example",
        consent_date=date.today(),
        text_version="1",
        method="paper",
    )


# --- Permissions -------------------------------------------------------------------------


def test_leader_plans_club_exercises_but_not_gmina_level_ones(world):
    leader = world.users["leader"]
    gmina_exercise = factories.ExerciseFactory(club=None, municipality=world.municipality)

    assert exercise_allowed(leader, "resilience.plan_exercise", world.objects["exercise"])
    assert not exercise_allowed(leader, "resilience.plan_exercise", gmina_exercise)
    assert not exercise_allowed(leader, "resilience.review_exercise", gmina_exercise)
    assert exercise_allowed(world.users["coordinator"], "resilience.plan_exercise", gmina_exercise)


def test_leader_gets_403_editing_a_gmina_level_exercise(client, world):
    gmina_exercise = factories.ExerciseFactory(club=None, municipality=world.municipality)
    client.force_login(world.users["leader"])

    url = reverse("resilience:exercise-edit", kwargs={"exercise_pk": gmina_exercise.pk})

    assert client.get(url).status_code == 403


def test_leader_is_offered_only_their_club_as_organiser(client, world):
    factories.ClubFactory(municipality=world.municipality, name="KOS Tarczyn")
    client.force_login(world.users["leader"])
    url = reverse("resilience:exercise-create", kwargs={"municipality_pk": world.municipality.pk})

    choices = client.get(url).context["form"].fields["organiser"].choices

    assert choices == [(str(world.club.pk), world.club.name)]


def test_coordinator_plans_a_gmina_level_exercise_with_a_threat_and_partners(client, world):
    client.force_login(world.users["coordinator"])
    url = reverse("resilience:exercise-create", kwargs={"municipality_pk": world.municipality.pk})

    response = client.post(
        url,
        {
            "organiser": "gmina",
            "title": "Ćwiczenia powodziowe",
            "scenario": "Wezbranie rzeki",
            "threat": world.objects["threat"].pk,
            "starts_at": "2030-05-10T10:00",
            "place": "Wał przeciwpowodziowy",
            "partners": [world.objects["partner"].pk],
        },
    )

    exercise = Exercise.objects.get(title="Ćwiczenia powodziowe")
    assert response.status_code == 302
    assert exercise.club is None and exercise.municipality == world.municipality
    assert list(exercise.partners.all()) == [world.objects["partner"]]


def test_a_threat_from_another_gmina_is_refused(world):
    from resilience.services.exercises import exercise_save

    other_threat = factories.ThreatFactory(municipality=world.other_municipality)
    with pytest.raises(ValidationError, match="register of the exercise's gmina"):
        exercise_save(
            municipality=world.municipality,
            club=world.club,
            title="X",
            scenario="Y",
            threat=other_threat,
            objectives="",
            pillars=[],
            starts_at=timezone.now(),
            place="Z",
            partners=[],
            evaluators="",
            saved_by=world.users["leader"],
        )


# --- Participation: membership and minors ------------------------------------------------


def test_member_of_the_club_takes_part(world):
    exercise = world.objects["exercise"]

    participation_record(exercise=exercise, member=world.objects["member"], role="rescuer")
    participation_record(exercise=exercise, member=world.objects["member"], role="observer")

    assert ExerciseParticipation.objects.get(exercise=exercise).role == "observer"


def test_member_of_another_club_cannot_take_part_in_a_club_exercise(world):
    stranger = factories.MembershipFactory(club=world.other_club).member

    with pytest.raises(ValidationError, match="no active membership in KOS Złotokłos"):
        participation_record(exercise=world.objects["exercise"], member=stranger, role="observer")


def test_any_club_of_the_gmina_takes_part_in_a_gmina_level_exercise(world):
    gmina_exercise = factories.ExerciseFactory(club=None, municipality=world.municipality)
    neighbour = factories.MembershipFactory(
        club=factories.ClubFactory(municipality=world.municipality)
    ).member
    stranger = factories.MembershipFactory(club=world.other_club).member

    participation_record(exercise=gmina_exercise, member=neighbour, role="participant")
    with pytest.raises(ValidationError, match="club of this gmina"):
        participation_record(exercise=gmina_exercise, member=stranger, role="participant")


def test_ended_membership_does_not_count(world):
    member = world.objects["member"]
    member.memberships.update(status="ended")

    with pytest.raises(ValidationError, match="no active membership"):
        participation_record(exercise=world.objects["exercise"], member=member, role="observer")


def test_minor_without_guardian_consent_is_refused(world):
    minor = minor_of(world.club)

    with pytest.raises(ValidationError, match="record a guardian's consent first"):
        participation_record(exercise=world.objects["exercise"], member=minor, role="observer")
    assert not ExerciseParticipation.objects.filter(member=minor).exists()


def test_minor_with_withdrawn_consent_is_refused(world):
    minor = minor_of(world.club)
    consent = consent_for(minor)
    consent.withdrawn_at = timezone.now()
    consent.save()

    with pytest.raises(ValidationError, match="guardian's consent"):
        participation_record(exercise=world.objects["exercise"], member=minor, role="observer")


def test_minor_with_consent_takes_part_but_never_as_rescuer(world):
    minor = minor_of(world.club)
    consent_for(minor)
    exercise = world.objects["exercise"]

    participation_record(exercise=exercise, member=minor, role="casualty")
    with pytest.raises(ValidationError, match="cannot take part as a rescuer"):
        participation_record(exercise=exercise, member=minor, role="rescuer")

    assert ExerciseParticipation.objects.get(member=minor).role == "casualty"


def test_age_is_taken_on_the_exercise_date(world):
    exercise = factories.ExerciseFactory(
        club=world.club, starts_at=timezone.now() + timedelta(days=60)
    )
    turns_18_next_month = factories.MemberFactory(
        birth_date=date.today().replace(year=date.today().year - 18) + timedelta(days=30)
    )
    factories.MembershipFactory(member=turns_18_next_month, club=world.club)

    participation_record(exercise=exercise, member=turns_18_next_month, role="rescuer")


def test_participants_page_shows_the_minors_rule_message(client, world):
    minor = minor_of(world.club)
    consent_for(minor)
    client.force_login(world.users["leader"])
    url = reverse(
        "resilience:exercise-participants", kwargs={"exercise_pk": world.objects["exercise"].pk}
    )

    response = client.post(url, {"member": minor.pk, "role": "rescuer"})

    assert response.status_code == 200
    assert "cannot take part as a rescuer" in response.content.decode()


def test_attendance_is_marked_after_the_exercise(client, world):
    exercise = world.objects["exercise"]
    participation = participation_record(
        exercise=exercise, member=world.objects["member"], role="participant"
    )
    client.force_login(world.users["leader"])

    client.post(
        reverse("resilience:exercise-attendance", kwargs={"exercise_pk": exercise.pk}),
        {"attended": [participation.pk]},
    )

    participation.refresh_from_db()
    assert participation.attended


def test_attendance_cannot_be_marked_before_the_exercise(client, world):
    exercise = factories.ExerciseFactory(club=world.club)
    participation = participation_record(
        exercise=exercise, member=world.objects["member"], role="participant"
    )
    client.force_login(world.users["leader"])

    response = client.post(
        reverse("resilience:exercise-attendance", kwargs={"exercise_pk": exercise.pk}),
        {"attended": [participation.pk]},
    )

    participation.refresh_from_db()
    assert "once the exercise has started" in response.content.decode()
    assert not participation.attended


# --- Review, actions, training needs -------------------------------------------------------


def test_leader_writes_the_review_and_adds_an_action(client, world):
    exercise = factories.ExerciseFactory(
        club=world.club, starts_at=timezone.now() - timedelta(days=1)
    )
    client.force_login(world.users["leader"])

    client.post(
        reverse("resilience:review-edit", kwargs={"exercise_pk": exercise.pk}),
        {"went_well": "Szybka ewakuacja", "went_badly": "Brak łączności", "lessons": "Radia"},
    )
    response = client.post(
        reverse("resilience:action-create", kwargs={"exercise_pk": exercise.pk}),
        {
            "description": "Kurs łączności",
            "owner": world.users["leader"].pk,
            "due_on": (date.today() + timedelta(days=14)).isoformat(),
            "status": "open",
            "suggested_course": world.objects["course"].pk,
        },
    )

    assert response.status_code == 302
    action = CorrectiveAction.objects.get(description="Kurs łączności")
    assert action.review.exercise == exercise and action.review.lessons == "Radia"


def test_action_owner_must_be_one_of_the_exercises_people(world):
    with pytest.raises(ValidationError, match="role in the exercise's club or gmina"):
        action_save(
            review=world.objects["review"],
            description="X",
            owner=world.users["outsider"],
            due_on=date.today(),
            status="open",
            suggested_course=None,
            scheduled_session=None,
        )


def test_done_action_records_its_completion_date(world):
    action = world.objects["corrective_action"]

    action_save(
        review=action.review,
        action=action,
        description=action.description,
        owner=action.owner,
        due_on=action.due_on,
        status="done",
        suggested_course=action.suggested_course,
        scheduled_session=None,
    )

    action.refresh_from_db()
    assert action.completed_on == date.today()


def test_open_actions_with_a_course_show_as_training_needs(client, world):
    client.force_login(world.users["leader"])
    done = world.objects["review"].actions.create(
        description="Zrobione",
        owner=world.users["leader"],
        due_on=date.today(),
        status="done",
        suggested_course=factories.CourseFactory(),
    )

    detail = client.get(world.objects["exercise"].get_absolute_url())
    matrix = client.get(
        reverse("resilience:risk-matrix", kwargs={"municipality_pk": world.municipality.pk})
    )

    for response in (detail, matrix):
        needs = list(response.context["training_needs"])
        assert needs == [world.objects["corrective_action"]]
        assert done not in needs
        assert reverse("training:session-create", kwargs={"club_pk": world.club.pk}) in (
            response.content.decode()
        )


def test_the_outsider_sees_no_training_needs_of_another_gmina(world):
    from resilience.selectors_threats import training_needs_for

    assert list(training_needs_for(world.users["outsider"])) == []


# --- Reminders ------------------------------------------------------------------------------


def test_overdue_action_reminds_its_owner_once(world):
    action = world.objects["corrective_action"]

    with time_machine.travel(action.due_on + timedelta(days=1)):
        first = corrective_action_reminders_task()
    with time_machine.travel(action.due_on + timedelta(days=2)):
        second = corrective_action_reminders_task()

    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.users["leader"].email]
    assert "Overdue corrective action" in message.subject
    assert message.alternatives and "Szkolenie z łączności" in message.alternatives[0][0]


def test_a_new_due_date_brings_a_new_reminder_once_it_is_overdue(world):
    action = world.objects["corrective_action"]
    with time_machine.travel(action.due_on + timedelta(days=1)):
        corrective_action_reminders_send()
    action.due_on += timedelta(days=10)
    action.save()

    with time_machine.travel(action.due_on):
        assert corrective_action_reminders_send() == 0  # due today: not overdue yet
    with time_machine.travel(action.due_on + timedelta(days=1)):
        assert corrective_action_reminders_send() == 1


def test_done_and_not_yet_due_actions_send_nothing(world):
    action = world.objects["corrective_action"]

    assert corrective_action_reminders_send() == 0
    action.status = "done"
    action.save()
    with time_machine.travel(action.due_on + timedelta(days=5)):
        assert corrective_action_reminders_send() == 0
    assert mail.outbox == []


@pytest.fixture
def polish_catalog(tmp_path, settings):
    """The current django.po compiled here (the .mo in locale/ is build output and may be
    stale); changing LOCALE_PATHS also resets Django's translation cache."""
    import polib
    from django.conf import settings as django_settings

    mo_dir = tmp_path / "locale" / "pl" / "LC_MESSAGES"
    mo_dir.mkdir(parents=True)
    po_path = django_settings.BASE_DIR / "locale" / "pl" / "LC_MESSAGES" / "django.po"
    polib.pofile(str(po_path)).save_as_mofile(str(mo_dir / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]


def test_reminder_is_in_the_owners_language(world, polish_catalog):
    action = world.objects["corrective_action"]
    owner = world.users["leader"]
    owner.language = "pl"
    owner.save()

    with time_machine.travel(action.due_on + timedelta(days=1)):
        corrective_action_reminders_send()

    assert "Zaległe działanie naprawcze" in mail.outbox[0].subject


def test_failed_send_releases_the_claim_for_a_retry(world, monkeypatch):
    action = world.objects["corrective_action"]

    def broken_send(self, *args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken_send)
    with time_machine.travel(action.due_on + timedelta(days=1)):
        with pytest.raises(OSError):
            corrective_action_reminders_send()
        monkeypatch.undo()
        assert corrective_action_reminders_send() == 1


def test_task_retries_on_mail_errors_and_survives_a_lost_worker():
    options = corrective_action_reminders_task
    assert OSError in options.autoretry_for
    assert options.acks_late and options.reject_on_worker_lost


# --- Query counts ----------------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("page", ["exercise-list", "exercise-detail"])
def test_exercise_pages_keep_a_constant_query_count(client, world, page):
    exercise = world.objects["exercise"]
    kwargs = {"exercise_pk": exercise.pk} if page == "exercise-detail" else {}
    url = reverse(f"resilience:{page}", kwargs=kwargs)
    client.force_login(world.users["leader"])
    # One participant from the start: listing names writes one access-log row either way.
    participation_record(exercise=exercise, member=world.objects["member"], role="observer")
    small = queries_for(client, url)
    for _ in range(5):
        factories.ExerciseFactory(club=world.club, threat=world.objects["threat"])
        factories.ExerciseFactory(club=None, municipality=world.municipality)
        member = factories.MembershipFactory(club=world.club).member
        participation_record(exercise=exercise, member=member, role="participant")
        world.objects["review"].actions.create(
            description="Kurs",
            owner=world.users["leader"],
            due_on=date.today(),
            suggested_course=factories.CourseFactory(),
        )
    exercise.pillars.add(factories._pillar())
    exercise.partners.add(world.objects["partner"])

    assert queries_for(client, url) == small


def test_a_coordinator_gets_one_plan_button_per_gmina(client, world):
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("resilience:exercise-list")).content.decode()
    create = reverse(
        "resilience:exercise-create", kwargs={"municipality_pk": world.municipality.pk}
    )
    assert f'href="{create}"' in page
    assert 'name="in"' not in page


def test_national_staff_pick_the_gmina_from_a_list_when_there_are_many(client, world):
    many = [factories.MunicipalityFactory(name=f"Gmina & {n}") for n in range(11)]
    client.force_login(world.users["national"])
    page = client.get(reverse("resilience:exercise-list")).content.decode()
    assert 'name="in"' in page
    assert f'<option value="{many[0].pk}">Gmina &amp; 0</option>' in page
    assert "Plan an exercise in Gmina" not in page  # no button per gmina
    response = client.get(reverse("resilience:exercise-list"), {"in": many[3].pk})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "resilience:exercise-create", kwargs={"municipality_pk": many[3].pk}
    )


def test_the_picker_leads_nowhere_outside_the_users_gminas(client, world):
    client.force_login(world.users["coordinator"])
    response = client.get(
        reverse("resilience:exercise-list"), {"in": world.other_municipality.pk}, follow=True
    )
    assert response.status_code == 404
