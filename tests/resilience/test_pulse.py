"""The trust and preparedness pulse: anonymous answers, closed surveys, the rate limit,
small groups kept hidden, and the trust KPIs."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clubs.models import Municipality
from resilience import selectors_pulse as selectors
from resilience.models import Survey, SurveyResponse
from resilience.services import pulse as services
from resilience.views.pulse import ANSWERED_COOKIE
from tests import factories

ANSWER = {
    "trust_gmina": "4",
    "trust_osp": "5",
    "trust_police": "3",
    "preparedness": "2",
    "household_72h": "4",
    "website": "",
}


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    # Rate-limit counters live in the cache, which outlives a single test.
    cache.clear()


def answer_url(survey) -> str:
    return reverse("resilience:survey-answer", kwargs={"survey_token": survey.token})


def respond(survey, month: date, values=(4, 5, 3, 2, 4), times: int = 1) -> None:
    fields = dict(zip(services.QUESTION_FIELDS, values, strict=True))
    SurveyResponse.objects.bulk_create(
        [SurveyResponse(survey=survey, month=month, **fields) for _ in range(times)]
    )


def test_a_response_holds_nothing_but_the_survey_the_month_and_the_five_answers():
    # Fails when someone adds a field: anything more could identify a respondent.
    names = {f.name for f in SurveyResponse._meta.get_fields()}
    assert names == {"id", "survey", "month", *services.QUESTION_FIELDS}


def test_answering_stores_one_response_and_writes_nothing_else(client, world):
    survey = world.objects["survey"]
    client.get(answer_url(survey))  # the page itself may set the CSRF cookie
    models = [m for m in apps.get_models() if m is not SurveyResponse]
    before = {m._meta.label: m._default_manager.count() for m in models}

    response = client.post(answer_url(survey), ANSWER, REMOTE_ADDR="10.1.2.3")

    after = {m._meta.label: m._default_manager.count() for m in models}
    assert response.status_code == 302
    assert set(response.cookies) == {ANSWERED_COOKIE}  # "answered", nothing else
    assert after == before
    stored = SurveyResponse.objects.get(survey=survey)
    assert stored.month == date.today().replace(day=1)
    assert (stored.trust_gmina, stored.trust_police, stored.household_72h) == (4, 3, 4)


def test_answer_page_groups_each_statement_in_a_fieldset_with_a_legend(client, world):
    body = client.get(answer_url(world.objects["survey"])).content.decode()

    assert body.count("<fieldset") == 5
    assert "<legend" in body and "I trust the police." in body
    assert body.count('type="radio"') == 25


def test_the_thank_you_page_follows_an_answer(client, world):
    response = client.post(answer_url(world.objects["survey"]), ANSWER, follow=True)

    assert b"Thank you for your answers" in response.content


def test_a_missing_answer_is_refused_and_nothing_is_stored(client, world):
    response = client.post(answer_url(world.objects["survey"]), {**ANSWER, "trust_osp": ""})

    assert response.status_code == 200
    assert b"Choose an answer from 1 to 5." in response.content
    assert not SurveyResponse.objects.exists()


def test_an_answer_outside_the_scale_is_refused(client, world):
    client.post(answer_url(world.objects["survey"]), {**ANSWER, "trust_osp": "6"})

    assert not SurveyResponse.objects.exists()


def test_honeypot_gets_thanked_and_stores_nothing(client, world):
    response = client.post(answer_url(world.objects["survey"]), {**ANSWER, "website": "x.pl"})

    assert response.status_code == 302
    assert not SurveyResponse.objects.exists()


def test_a_closed_survey_refuses_answers_with_a_clear_page(client, world):
    survey = world.objects["survey"]
    survey.opens_on = date.today() - timedelta(days=30)
    survey.closes_on = date.today() - timedelta(days=1)
    survey.save()

    response = client.post(answer_url(survey), ANSWER)

    assert response.status_code == 410
    assert b"takes no more answers" in response.content
    assert not SurveyResponse.objects.exists()
    with pytest.raises(ValidationError):
        services.survey_answer(survey=survey, answers={f: 3 for f in services.QUESTION_FIELDS})


def test_a_survey_not_open_yet_says_when_it_opens(client, world):
    survey = world.objects["survey"]
    survey.opens_on = date.today() + timedelta(days=3)
    survey.save()

    response = client.post(answer_url(survey), ANSWER)

    assert b"not open yet" in response.content
    assert not SurveyResponse.objects.exists()


def test_one_device_answers_a_survey_once(client, world):
    survey = world.objects["survey"]
    assert client.post(answer_url(survey), ANSWER).status_code == 302

    again = client.post(answer_url(survey), ANSWER)

    assert again.status_code == 200
    assert b"already answered" in again.content
    assert SurveyResponse.objects.count() == 1
    assert b"already answered" in client.get(answer_url(survey)).content


def test_the_answered_cookie_is_signed_scoped_to_the_survey_and_says_nothing_else(client, world):
    survey = world.objects["survey"]
    cookie = client.post(answer_url(survey), ANSWER).cookies[ANSWERED_COOKIE]

    assert cookie["path"] == answer_url(survey)  # sent to this survey's page only
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie.value.split(":")[0] == survey.token  # the survey's token and a signature
    client.cookies[ANSWERED_COOKIE] = f"{survey.token}:forged"
    assert client.post(answer_url(survey), ANSWER).status_code == 302  # forged: ignored
    assert SurveyResponse.objects.count() == 2


def test_the_same_device_answers_another_survey(client, world):
    first = world.objects["survey"]
    second = Survey.objects.create(
        municipality=world.municipality, club=world.club, kind=Survey.Kind.PERIODIC, title="B"
    )
    assert client.post(answer_url(first), ANSWER).status_code == 302

    assert client.post(answer_url(second), ANSWER).status_code == 302
    assert SurveyResponse.objects.filter(survey=second).count() == 1


def test_one_person_cannot_outnumber_a_group_of_five_within_an_hour(world, settings):
    # Each answer from a fresh device (cookies cleared) behind the same address.
    url = answer_url(world.objects["survey"])
    limit = settings.SURVEY_ANSWERS_PER_IP_HOUR
    assert limit <= 5
    for _ in range(limit):
        assert Client().post(url, ANSWER, REMOTE_ADDR="10.9.9.9").status_code == 302

    assert Client().post(url, ANSWER, REMOTE_ADDR="10.9.9.9").status_code == 429
    assert SurveyResponse.objects.count() == limit
    assert Client().post(url, ANSWER, REMOTE_ADDR="10.9.9.8").status_code == 302


def test_four_answers_stay_hidden_and_five_are_shown(world):
    survey = world.objects["survey"]
    month = date(2026, 3, 1)
    respond(survey, month, times=4)

    results = selectors.survey_results(survey)
    assert results.months[0].hidden and results.overall.hidden
    assert results.months[0].responses is None
    assert all(q.mean is None for q in results.months[0].questions)

    respond(survey, month, times=1)
    results = selectors.survey_results(survey)
    assert not results.months[0].hidden
    assert results.months[0].responses == 5


def test_small_groups_are_hidden_month_by_month(world):
    survey = world.objects["survey"]
    respond(survey, date(2026, 1, 1), times=5)
    respond(survey, date(2026, 2, 1), times=4)
    respond(survey, date(2026, 3, 1), times=6)

    months = selectors.survey_results(survey).months

    assert [(m.period_label, m.hidden) for m in months] == [
        ("2026-01", False),
        ("2026-02", True),
        ("2026-03", False),
    ]


def test_the_overall_row_is_hidden_when_it_would_give_away_a_hidden_month(world):
    survey = world.objects["survey"]
    respond(survey, date(2026, 1, 1), times=5)
    respond(survey, date(2026, 2, 1), values=(1, 1, 1, 1, 1), times=1)

    results = selectors.survey_results(survey)

    # overall (6) minus January (5) would be February's single answer
    assert results.overall.hidden


def test_survey_page_hides_a_small_group_with_a_message(client, world, settings):
    settings.SURVEY_MIN_RESPONSES = 3
    survey = world.objects["survey"]
    respond(survey, date(2026, 1, 1), times=2)
    client.force_login(world.users["leader"])

    body = client.get(
        reverse("resilience:survey-detail", kwargs={"survey_pk": survey.pk})
    ).content.decode()

    assert "fewer than 3 answers" in body
    assert "4.00" not in body


def test_survey_page_shows_the_link_and_a_qr_code_as_inline_svg(client, world):
    survey = world.objects["survey"]
    client.force_login(world.users["leader"])
    body = client.get(
        reverse("resilience:survey-detail", kwargs={"survey_pk": survey.pk})
    ).content.decode()

    assert answer_url(survey) in body
    assert '<svg width="' in body and 'class="qr-code"' in body
    assert "<img" not in body.split('class="qr-figure"')[1].split("</figure>")[0]


def test_trust_kpis_match_hand_computed_means_and_shares(world):
    survey = world.objects["survey"]
    gmina_survey = Survey.objects.create(
        municipality=world.municipality, kind=Survey.Kind.PERIODIC, title="Gmina"
    )
    # Q1 2026: three answers in January (club survey), two in March (gmina survey)
    respond(survey, date(2026, 1, 1), values=(5, 5, 4, 2, 1), times=3)
    respond(gmina_survey, date(2026, 3, 1), values=(2, 4, 3, 5, 3), times=2)

    [row] = selectors.trust_kpis_for(Municipality.objects.filter(pk=world.municipality.pk))

    assert (row.period, row.period_label, row.responses) == (date(2026, 1, 1), "2026 Q1", 5)
    by_field = {q.field: q for q in row.questions}
    assert by_field["trust_gmina"].mean == pytest.approx((3 * 5 + 2 * 2) / 5)  # 3.8
    assert by_field["trust_gmina"].agree_share == pytest.approx(60)
    assert by_field["trust_osp"].mean == pytest.approx((3 * 5 + 2 * 4) / 5)  # 4.6
    assert by_field["trust_osp"].agree_share == pytest.approx(100)
    assert by_field["preparedness"].mean == pytest.approx((3 * 2 + 2 * 5) / 5)  # 3.2
    assert by_field["preparedness"].agree_share == pytest.approx(40)
    assert by_field["household_72h"].mean == pytest.approx((3 * 1 + 2 * 3) / 5)  # 1.8
    assert by_field["household_72h"].agree_share == pytest.approx(0)


def test_trust_kpis_by_month_hide_the_small_months(world):
    respond(world.objects["survey"], date(2026, 1, 1), times=3)
    respond(world.objects["survey"], date(2026, 3, 1), times=2)

    rows = selectors.trust_kpis_for([world.municipality.pk], period="month")

    assert [(r.period_label, r.hidden, r.responses) for r in rows] == [
        ("2026-01", True, None),
        ("2026-03", True, None),
    ]


def test_trust_kpis_keep_gminas_apart(world):
    other_survey = Survey.objects.create(
        municipality=world.other_municipality, kind=Survey.Kind.PERIODIC, title="Sieradz"
    )
    respond(world.objects["survey"], date(2026, 1, 1), times=5)
    respond(other_survey, date(2026, 1, 1), values=(1, 1, 1, 1, 1), times=6)

    rows = selectors.trust_kpis_for(Municipality.objects.all())

    assert {(r.municipality_id, r.responses) for r in rows} == {
        (world.municipality.pk, 5),
        (world.other_municipality.pk, 6),
    }


def test_trust_page_and_csv_hide_small_periods(client, world):
    respond(world.objects["survey"], date(2026, 1, 1), values=(5, 5, 5, 5, 5), times=5)
    respond(world.objects["survey"], date(2026, 4, 1), values=(1, 1, 1, 1, 1), times=2)
    client.force_login(world.users["coordinator"])
    url = reverse("resilience:trust-kpis", kwargs={"municipality_pk": world.municipality.pk})

    page = client.get(url).content.decode()
    csv = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()

    assert "fewer than 5 answers" in page and "2026 Q2" in page
    assert page.count('<svg class="line-chart"') == 5
    assert "1.00" not in page
    q1, q2 = csv.splitlines()[1:]
    assert q1.startswith("Piaseczno,2026 Q1,5,5.0,100.0")
    assert q2 == "Piaseczno,2026 Q2,fewer than 5 answers" + "," * 10


def test_leader_creates_a_survey_after_their_session(world):
    survey = services.survey_create(
        created_by=world.users["leader"],
        kind=Survey.Kind.AFTER_SESSION,
        title="Po szkoleniu KPP",
        opens_on=date.today(),
        session=world.objects["session"],
    )
    again = services.survey_create(
        created_by=world.users["leader"],
        kind=Survey.Kind.AFTER_SESSION,
        title="Po szkoleniu KPP",
        opens_on=date.today(),
        session=world.objects["session"],
    )

    assert survey == again
    assert (survey.club, survey.municipality) == (world.club, world.municipality)


def test_another_clubs_session_is_refused(world):
    foreign = factories.SessionFactory(club=world.other_club)

    with pytest.raises(ValidationError):
        services.survey_create(
            created_by=world.users["leader"],
            kind=Survey.Kind.AFTER_SESSION,
            title="x",
            opens_on=date.today(),
            session=foreign,
        )


def test_a_leader_cannot_run_a_gmina_wide_survey(world):
    with pytest.raises(ValidationError, match="Only the gmina's coordinator"):
        services.survey_create(
            created_by=world.users["leader"],
            kind=Survey.Kind.PERIODIC,
            title="x",
            opens_on=date.today(),
            municipality=world.municipality,
        )


def test_a_survey_cannot_close_before_it_opens(client, world):
    client.force_login(world.users["leader"])
    response = client.post(
        reverse("resilience:survey-create"),
        {
            "kind": "exercise",
            "exercise": world.objects["exercise"].pk,
            "title": "Po ćwiczeniu",
            "opens_on": "2026-05-10",
            "closes_on": "2026-05-01",
        },
    )

    assert response.status_code == 200
    assert b"can&#x27;t close before it opens" in response.content
    assert not Survey.objects.filter(title="Po ćwiczeniu").exists()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_survey_detail_and_trust_page_query_counts_do_not_grow(client, world):
    survey = world.objects["survey"]
    client.force_login(world.users["coordinator"])
    detail = reverse("resilience:survey-detail", kwargs={"survey_pk": survey.pk})
    trust = reverse("resilience:trust-kpis", kwargs={"municipality_pk": world.municipality.pk})
    respond(survey, date(2026, 1, 1), times=5)
    small = (_queries(client, detail), _queries(client, trust))

    for month in range(2, 13):
        respond(survey, date(2025, month, 1), times=6)
    for n in range(3):
        extra = Survey.objects.create(
            municipality=world.municipality, kind=Survey.Kind.PERIODIC, title=f"S{n}"
        )
        respond(extra, date(2026, 2, 1), times=5)

    assert (_queries(client, detail), _queries(client, trust)) == small


def test_answering_logs_nothing(client, world, caplog):
    caplog.set_level("DEBUG")
    client.post(answer_url(world.objects["survey"]), ANSWER, REMOTE_ADDR="10.4.4.4")

    assert [r for r in caplog.records if not r.name.startswith("django.db")] == []
    assert "10.4.4.4" not in caplog.text
