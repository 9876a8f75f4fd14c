"""Local problem cases: scoping, who may manage them, actions with partners, indicators,
measurements, and the chart and table on the workspace page."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from resilience.models import CaseAction, IndicatorMeasurement, ProblemCase
from resilience.selectors_cases import case_list_for
from resilience.services import cases as services
from tests import factories


@pytest.fixture
def gmina_case(world):
    return ProblemCase.objects.create(
        municipality=world.municipality, title="Hałas nocą", diagnosis="Skargi mieszkańców"
    )


def detail_url(case) -> str:
    return reverse("resilience:case-detail", kwargs={"case_pk": case.pk})


def test_case_list_shows_the_clubs_case_to_its_staff_but_not_to_another_club(world):
    case = world.objects["problem_case"]
    neighbour = factories.ClubFactory(municipality=world.municipality)

    assert case in case_list_for(world.users["leader"])
    assert case in case_list_for(world.users["coordinator"])
    assert case not in case_list_for(factories.leader_of(neighbour))
    assert case not in case_list_for(world.users["outsider"])


def test_instructors_do_not_get_cases_in_their_list(world):
    assert list(case_list_for(world.users["instructor"])) == []


def test_leader_reads_a_gmina_level_case_but_may_not_change_it(world, gmina_case):
    leader = world.users["leader"]

    assert gmina_case in case_list_for(leader)
    with pytest.raises(ValidationError, match="Only the gmina's coordinator"):
        services.case_update(
            case=gmina_case,
            changed_by=leader,
            title="Hałas",
            diagnosis="x",
            stakeholders="",
            trust_risks="",
            status="open",
        )


def test_leader_editing_a_gmina_level_case_gets_the_message_and_nothing_changes(
    client, world, gmina_case
):
    client.force_login(world.users["leader"])
    url = reverse("resilience:case-edit", kwargs={"case_pk": gmina_case.pk})
    response = client.post(url, {"title": "Zmienione", "diagnosis": "x", "status": "closed"})

    assert response.status_code == 200
    assert "Only the gmina&#x27;s coordinator" in response.content.decode()
    gmina_case.refresh_from_db()
    assert (gmina_case.title, gmina_case.status) == ("Hałas nocą", "open")


def test_coordinator_opens_a_gmina_level_case(client, world):
    client.force_login(world.users["coordinator"])
    response = client.post(
        reverse("resilience:case-create"),
        {
            "municipality": world.municipality.pk,
            "title": "Kradzieże rowerów",
            "diagnosis": "Przy dworcu",
            "status": "open",
        },
    )

    case = ProblemCase.objects.get(title="Kradzieże rowerów")
    assert response.status_code == 302
    assert (case.municipality, case.club, case.created_by) == (
        world.municipality,
        None,
        world.users["coordinator"],
    )


def test_leader_must_choose_their_club_and_cannot_open_a_gmina_case(world):
    with pytest.raises(ValidationError, match="Only the gmina's coordinator"):
        services.case_create(
            created_by=world.users["leader"],
            municipality=world.municipality,
            title="x",
            diagnosis="y",
        )
    with pytest.raises(ValidationError, match="may not manage this club"):
        services.case_create(
            created_by=world.users["leader"], club=world.other_club, title="x", diagnosis="y"
        )


def test_leader_opens_a_case_for_their_club_and_running_it_twice_gives_one(world):
    kwargs = {"created_by": world.users["leader"], "club": world.club, "diagnosis": "Graffiti"}
    first = services.case_create(title="Graffiti na szkole", **kwargs)
    again = services.case_create(title="Graffiti na szkole ", **kwargs)

    assert first == again
    assert first.municipality == world.municipality
    with pytest.raises(ValidationError):
        services.case_create(**{**kwargs, "diagnosis": "Coś innego"}, title="Graffiti na szkole")


def test_action_partner_must_be_from_the_cases_gmina(world):
    case = world.objects["problem_case"]
    elsewhere = factories.PartnerFactory(municipality=world.other_municipality)

    with pytest.raises(ValidationError):
        services.case_action_create(
            case=case, created_by=world.users["leader"], description="x", partner=elsewhere
        )
    assert case.actions.count() == 1


def test_naming_the_police_as_partner_gives_it_no_portal_access(world):
    police = factories.PartnerFactory(
        municipality=world.municipality, kind="police", name="KPP Piaseczno"
    )
    services.case_action_create(
        case=world.objects["problem_case"],
        created_by=world.users["leader"],
        description="Wspólny patrol",
        partner=police,
        status=CaseAction.Status.UNDER_WAY,
    )

    # Partners have no users or assignments: nothing the access rules could read.
    assert not [f for f in police._meta.get_fields() if f.name in ("user", "users")]
    assert world.objects["problem_case"].actions.filter(partner=police).count() == 1


def test_action_form_offers_only_the_gminas_partners(client, world):
    factories.PartnerFactory(municipality=world.other_municipality, name="OSP Daleko")
    client.force_login(world.users["leader"])
    url = reverse(
        "resilience:case-action-create", kwargs={"case_pk": world.objects["problem_case"].pk}
    )
    body = client.get(url).content.decode()

    assert "OSP Złotokłos" in body
    assert "OSP Daleko" not in body


def test_measurement_for_the_same_day_replaces_the_first(world):
    indicator = world.objects["indicator"]
    leader = world.users["leader"]
    day = date.today() - timedelta(days=10)

    services.measurement_add(indicator=indicator, recorded_by=leader, measured_on=day, value=8)
    services.measurement_add(indicator=indicator, recorded_by=leader, measured_on=day, value=7)

    assert list(
        IndicatorMeasurement.objects.filter(indicator=indicator, measured_on=day).values_list(
            "value", flat=True
        )
    ) == [Decimal("7")]


def test_measurement_in_the_future_is_refused(world):
    with pytest.raises(ValidationError, match="future"):
        services.measurement_add(
            indicator=world.objects["indicator"],
            recorded_by=world.users["leader"],
            measured_on=date.today() + timedelta(days=1),
            value=1,
        )


def test_indicator_needs_a_target_other_than_its_baseline(world):
    with pytest.raises(ValidationError):
        services.indicator_create(
            case=world.objects["problem_case"],
            created_by=world.users["leader"],
            name="Skargi",
            baseline=Decimal(3),
            target=Decimal(3),
        )


def test_workspace_chart_and_table_show_the_same_numbers(client, world):
    indicator = world.objects["indicator"]  # baseline 12, target 4, today 9
    for days, value in ((60, 11), (30, Decimal("10.5"))):
        IndicatorMeasurement.objects.create(
            indicator=indicator, measured_on=date.today() - timedelta(days=days), value=value
        )
    client.force_login(world.users["leader"])
    body = client.get(detail_url(world.objects["problem_case"])).content.decode()

    svg = re.search(r"<svg class=\"line-chart\".*?</svg>", body, re.S).group(0)
    chart_values = re.findall(r'class="chart-value"[^>]*>([^<]+)<', svg)
    table = body[body.index('<table class="chart-table"') :]
    table_values = re.findall(r'<td class="num">([^<]+)</td>', table)[:3]
    assert chart_values == ["11.00", "10.50", "9.00"]
    assert [Decimal(v) for v in table_values] == [Decimal("11"), Decimal("10.5"), Decimal("9")]
    assert "Baseline: 12" in svg and "Target: 4" in svg
    assert 'style="' not in svg
    assert svg.count("<polyline") == 1
    assert "Progress to the target" in body and "38%" in body  # (9 − 12) / (4 − 12)


def test_instructor_may_not_open_the_case_page(client, world):
    client.force_login(world.users["instructor"])
    assert client.get(detail_url(world.objects["problem_case"])).status_code == 403


def test_case_detail_query_count_does_not_grow(client, world):
    case = world.objects["problem_case"]
    client.force_login(world.users["leader"])

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(detail_url(case)).status_code == 200
        return len(context.captured_queries)

    small = count()
    for n in range(4):
        partner = factories.PartnerFactory(municipality=world.municipality)
        case.actions.create(description=f"Działanie {n}", partner=partner)
        indicator = case.indicators.create(name=f"Wskaźnik {n}", baseline=1, target=5)
        for days in range(5):
            indicator.measurements.create(
                measured_on=date.today() - timedelta(days=days), value=days
            )
    assert count() == small
