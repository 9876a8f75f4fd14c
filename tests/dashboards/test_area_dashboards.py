"""Area dashboards (country, voivodeship, powiat, gmina): numbers from rollup rows written
here by hand, drill-down, scoping, exports and query counts."""

import csv
import io
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from openpyxl import load_workbook

from clubs.models import Club, Pillar
from dashboards.models import (
    AreaMonthStat,
    AreaPartnerStat,
    AreaPillarStat,
    AreaStat,
    ClubStat,
    RollupRun,
)
from tests import factories

REFRESHED = datetime(2026, 3, 15, 6, 30, tzinfo=UTC)
MAX_QUERIES = 12


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def area(level, code, name, **numbers) -> AreaStat:
    return AreaStat.objects.create(
        level=level, code=code, name=name, refreshed_at=REFRESHED, **numbers
    )


def club_stat(club, **numbers) -> ClubStat:
    return ClubStat.objects.create(
        club=club, municipality=club.municipality, refreshed_at=REFRESHED, **numbers
    )


class Land:
    """Two voivodeships; mazowieckie has one powiat with the gminas Piaseczno and Góra
    Kalwaria, łódzkie one with Sieradz. Rollup rows with round, hand-checkable numbers."""

    def __init__(self):
        self.maz = factories.VoivodeshipFactory(code="14", name="mazowieckie")
        self.lodz = factories.VoivodeshipFactory(code="10", name="łódzkie")
        self.pia_powiat = factories.PowiatFactory(
            code="1418", name="piaseczyński", voivodeship=self.maz
        )
        self.sie_powiat = factories.PowiatFactory(
            code="1014", name="sieradzki", voivodeship=self.lodz
        )
        self.piaseczno = factories.MunicipalityFactory(
            code="1418062", name="Piaseczno", powiat=self.pia_powiat
        )
        self.gora = factories.MunicipalityFactory(
            code="1418022", name="Góra Kalwaria", powiat=self.pia_powiat
        )
        self.sieradz = factories.MunicipalityFactory(
            code="1014011", name="Sieradz", powiat=self.sie_powiat
        )
        self.club_a = factories.ClubFactory(name="KOS Złotokłos", municipality=self.piaseczno)
        self.club_b = factories.ClubFactory(
            name="KOS Zalesie", municipality=self.piaseczno, status=Club.Status.SUSPENDED
        )
        self.club_gora = factories.ClubFactory(name="KOS Góra", municipality=self.gora)
        self.club_sieradz = factories.ClubFactory(name="KOS Sieradz", municipality=self.sieradz)
        self.run = RollupRun.objects.create(
            started_at=REFRESHED, finished_at=REFRESHED, duration_ms=900, as_of=date(2026, 3, 15)
        )
        # Country: 3 of 10 gminas covered (30%); 50 certified among 200,000 known residents
        # (0.25 per 1,000); 60 + 40 of 400 active members young (15% + 10% = 25%).
        self.country = area(
            "country", "", "Polska",
            gminas=10, gminas_with_active_club=3,
            clubs_proposed=2, clubs_active=5, clubs_suspended=1, clubs_closed=0,
            population_known=200_000, certified_in_known_population=50,
            members_active=400, members_under_18=60, members_18_25=40,
            members_certified_valid=30, members_certified_ever=45,
            sessions_held=17, sessions_planned=6,
            certificates_issued=70, certificates_valid=52, certificates_expiring_90=9,
            instructors=11,
        )  # fmt: skip
        # mazowieckie: 1 of 3 gminas (33.3%), population unknown everywhere.
        self.maz_stat = area(
            "voivodeship", "14", "mazowieckie", voivodeship=self.maz,
            gminas=3, gminas_with_active_club=1, clubs_active=2, members_active=150,
        )  # fmt: skip
        # łódzkie: 2 of 7 (28.6%).
        self.lodz_stat = area(
            "voivodeship", "10", "łódzkie", voivodeship=self.lodz,
            gminas=7, gminas_with_active_club=2, clubs_active=3, members_active=250,
        )  # fmt: skip
        self.powiat_stat = area(
            "powiat", "1418", "piaseczyński", voivodeship=self.maz, powiat=self.pia_powiat,
            gminas=2, gminas_with_active_club=1, clubs_active=2, members_active=150,
        )  # fmt: skip
        # Piaseczno: 45 certified among 30,000 residents = 1.5 per 1,000.
        self.pia_stat = area(
            "gmina", "1418062", "Piaseczno", voivodeship=self.maz, powiat=self.pia_powiat,
            municipality=self.piaseczno, gminas=1, gminas_with_active_club=1,
            clubs_active=1, clubs_suspended=1, members_active=120, members_under_18=30,
            population_known=30_000, certified_in_known_population=45,
        )  # fmt: skip
        self.gora_stat = area(
            "gmina", "1418022", "Góra Kalwaria", voivodeship=self.maz, powiat=self.pia_powiat,
            municipality=self.gora, gminas=1, clubs_active=1, members_active=30,
        )  # fmt: skip
        self.sieradz_stat = area(
            "gmina", "1014011", "Sieradz", voivodeship=self.lodz, powiat=self.sie_powiat,
            municipality=self.sieradz, gminas=1, gminas_with_active_club=1, clubs_active=1,
        )  # fmt: skip
        first = Pillar.objects.get(number=1)
        AreaPillarStat.objects.create(
            area=self.country, pillar=first,
            members_certified_ever=20, members_certified_valid=12, certificates_expiring_90=3,
            instructors_qualified=4, qualifications_expiring_90=1,
        )  # fmt: skip
        AreaMonthStat.objects.create(
            area=self.country, month=date(2026, 3, 1), certificates_issued=7, sessions_held=2
        )
        AreaMonthStat.objects.create(
            area=self.country, month=date(2025, 1, 1), certificates_issued=5, sessions_held=0
        )
        AreaMonthStat.objects.create(  # older than 24 months: not shown
            area=self.country, month=date(2024, 3, 1), certificates_issued=99, sessions_held=9
        )
        # 10 OSP partners for the 8 clubs not closed (1.25 per club); 4 of 8 have one (50%).
        AreaPartnerStat.objects.create(
            area=self.country, kind="osp", partners=10, clubs_with_kind=4
        )
        club_stat(self.club_a, members_active=100, sessions_held=4, no_session_90_days=True)
        club_stat(self.club_b, members_active=20, leader_lapsing=True)
        club_stat(self.club_gora, members_active=30)
        club_stat(self.club_sieradz, members_active=7, agreements_expiring=True)


@pytest.fixture
def land(db) -> Land:
    return Land()


@pytest.fixture
def national(db):
    return factories.national_user(email="krajowy@kos.example")


def page(client, user, name, **kwargs):
    client.force_login(user)
    response = client.get(reverse(f"dashboards:{name}", kwargs=kwargs))
    assert response.status_code == 200
    return response.content.decode()


# --- Numbers ---------------------------------------------------------------------------------


def test_country_numbers_are_the_hand_computed_ones(client, land, national):
    html = page(client, national, "country")
    assert "Dashboard: Poland" in html
    assert "30%" in html  # coverage 3 / 10
    assert "3 of 10 gminas have an active club" in html
    assert "0.25" in html  # 50 * 1000 / 200,000
    assert "25%" in html  # youth (60 + 40) / 400
    assert "of 8 clubs in any status" in html
    assert "30 with a valid certificate, 45 ever certified" in html
    assert "6 planned" in html
    assert "1 qualifications expiring in 90 days" in html
    assert f"Numbers refreshed at {date_format(localtime(REFRESHED), 'DATETIME_FORMAT')}" in html
    # Partner kinds: 1.25 OSP partners per club, 50% of the clubs have one.
    assert ">1.25<" in html and ">50%<" in html


def test_country_map_tiles_show_coverage_and_link_to_voivodeships(client, land, national):
    html = page(client, national, "country")
    maz = reverse("dashboards:voivodeship", kwargs={"voivodeship_code": "14"})
    lodz = reverse("dashboards:voivodeship", kwargs={"voivodeship_code": "10"})
    assert f'<a href="{maz}" aria-label="mazowieckie: coverage 33.3%, 2 active clubs"' in html
    assert f'<a href="{lodz}" aria-label="łódzkie: coverage 28.6%, 3 active clubs"' in html
    assert ">33.3%</text>" in html and ">28.6%</text>" in html
    # A voivodeship without numbers is drawn but not a link.
    assert 'aria-label="podlaskie: no numbers"' in html
    # The table of voivodeships links to the same pages (drill-down).
    assert f'<th scope="row"><a href="{maz}">mazowieckie</a></th>' in html


def test_voivodeship_page_lists_its_powiats_and_says_population_unknown(client, land, national):
    html = page(client, national, "voivodeship", voivodeship_code="14")
    powiat = reverse("dashboards:powiat", kwargs={"powiat_code": "1418"})
    assert f'<a href="{powiat}">piaseczyński</a>' in html
    assert "population unknown" in html
    assert "33.3%" in html
    assert f'<a href="{reverse("dashboards:country")}">Poland</a>' in html  # breadcrumbs
    assert '<span aria-current="page">mazowieckie</span>' in html


def test_powiat_page_lists_its_gminas(client, land, national):
    html = page(client, national, "powiat", powiat_code="1418")
    for gmina in (land.piaseczno, land.gora):
        url = reverse("dashboards:gmina", kwargs={"municipality_pk": gmina.pk})
        assert f'<a href="{url}">{gmina.name}</a>' in html
    assert "Sieradz" not in html
    assert "50%" in html  # 1 of 2 gminas


def test_gmina_page_lists_its_clubs_with_health_signals(client, land, national):
    html = page(client, national, "gmina", municipality_pk=land.piaseczno.pk)
    assert "100%" in html and "1.5" in html  # coverage; 45 * 1000 / 30,000
    club_a = reverse("dashboards:club", kwargs={"club_pk": land.club_a.pk})
    club_b = reverse("dashboards:club", kwargs={"club_pk": land.club_b.pk})
    assert f'<a href="{club_a}">KOS Złotokłos</a>' in html
    assert f'<a href="{club_b}">KOS Zalesie</a>' in html
    assert "KOS Góra" not in html
    assert '<li class="health-flag">no session in 90 days</li>' in html
    assert '<li class="health-flag">leader lapsing</li>' in html
    reports = reverse("dashboards:report-list", kwargs={"municipality_pk": land.piaseczno.pk})
    assert f'href="{reports}"' in html
    # national staff see the way back up
    assert f'<a href="{reverse("dashboards:powiat", args=["1418"])}">piaseczyński</a>' in html


def test_pages_without_rollups_say_so(client, national):
    gmina = factories.MunicipalityFactory(name="Nowa")
    for name, kwargs in (
        ("country", {}),
        ("voivodeship", {"voivodeship_code": gmina.powiat.voivodeship.code}),
        ("powiat", {"powiat_code": gmina.powiat.code}),
        ("gmina", {"municipality_pk": gmina.pk}),
    ):
        html = page(client, national, name, **kwargs)
        assert "Numbers not computed yet" in html
        assert "Refresh now" in html


def test_unknown_territory_codes_are_404(client, land, national):
    client.force_login(national)
    assert client.get(reverse("dashboards:voivodeship", args=["98"])).status_code == 404
    assert client.get(reverse("dashboards:powiat", args=["9899"])).status_code == 404
    assert client.get(reverse("dashboards:gmina", args=[999999])).status_code == 404


# --- Index and scoping -------------------------------------------------------------------------


def test_index_sends_each_role_to_its_own_dashboard(client, land, national):
    client.force_login(national)
    assert client.get(reverse("dashboards:index")).url == reverse("dashboards:country")
    # A coordinator of two gminas lands on the first by name and sees a link to the other.
    coordinator = factories.coordinator_of(land.piaseczno)
    factories.AssignmentFactory(user=coordinator, role="coordinator", municipality=land.gora)
    client.force_login(coordinator)
    gora = reverse("dashboards:gmina", kwargs={"municipality_pk": land.gora.pk})
    pia = reverse("dashboards:gmina", kwargs={"municipality_pk": land.piaseczno.pk})
    assert client.get(reverse("dashboards:index")).url == gora
    assert f'<a href="{pia}">Piaseczno</a>' in client.get(gora).content.decode()
    leader = factories.leader_of(land.club_a)
    client.force_login(leader)
    assert client.get(reverse("dashboards:index")).url == reverse(
        "dashboards:club", kwargs={"club_pk": land.club_a.pk}
    )
    client.force_login(factories.instructor_of(land.club_a))
    assert client.get(reverse("dashboards:index")).status_code == 403


def test_a_coordinator_sees_only_their_gmina(client, land):
    client.force_login(factories.coordinator_of(land.piaseczno))
    own = reverse("dashboards:gmina", kwargs={"municipality_pk": land.piaseczno.pk})
    response = client.get(own)
    assert response.status_code == 200
    html = response.content.decode()
    # no way up: country, voivodeship and powiat pages are national staff's
    assert reverse("dashboards:country") not in html
    assert "Refresh now" not in html
    other = reverse("dashboards:gmina", kwargs={"municipality_pk": land.sieradz.pk})
    assert client.get(other).status_code == 404
    other_export = reverse(
        "dashboards:gmina-export", kwargs={"municipality_pk": land.sieradz.pk, "table": "clubs"}
    )
    assert client.get(other_export).status_code == 404
    for name, kwargs in (
        ("country", {}),
        ("voivodeship", {"voivodeship_code": "14"}),
        ("powiat", {"powiat_code": "1418"}),
        ("country-export", {"table": "pillars"}),
    ):
        assert client.get(reverse(f"dashboards:{name}", kwargs=kwargs)).status_code == 403


def test_a_leader_of_a_club_in_the_gmina_is_refused_the_gmina(client, land):
    client.force_login(factories.leader_of(land.club_a))
    url = reverse("dashboards:gmina", kwargs={"municipality_pk": land.piaseczno.pk})
    assert client.get(url).status_code == 403
    other = reverse("dashboards:gmina", kwargs={"municipality_pk": land.sieradz.pk})
    assert client.get(other).status_code == 404


# --- Refresh ------------------------------------------------------------------------------------


def test_refresh_queues_the_task_on_commit_and_goes_back(
    client, national, django_capture_on_commit_callbacks
):
    client.force_login(national)
    back = reverse("dashboards:voivodeship", args=["14"])
    with (
        mock.patch("dashboards.tasks.rollups_refresh_task.apply_async") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("dashboards:refresh"), {"next": back})
    assert response.status_code == 302 and response.url == back
    delay.assert_called_once_with(args=(), kwargs={})
    followed = client.get(reverse("dashboards:country"))
    assert "Refresh queued" in followed.content.decode()


def test_refresh_refuses_others_and_get_and_foreign_targets(client, land, national):
    assert client.get(reverse("dashboards:refresh")).status_code == 405
    client.force_login(factories.coordinator_of(land.piaseczno))
    assert client.post(reverse("dashboards:refresh")).status_code == 403
    client.force_login(national)
    with mock.patch("dashboards.tasks.rollups_refresh_task.apply_async"):
        response = client.post(reverse("dashboards:refresh"), {"next": "https://evil.example/"})
    assert response.url == reverse("dashboards:country")


# --- Exports ------------------------------------------------------------------------------------


def export(client, name, table, fmt="csv", **kwargs):
    url = reverse(f"dashboards:{name}-export", kwargs={**kwargs, "table": table})
    return client.get(f"{url}?format={fmt}")


def test_country_exports_hold_the_page_numbers(client, land, national):
    client.force_login(national)
    pillars = csv_rows(export(client, "country", "pillars"))
    assert pillars[0] == [
        "Pillar",
        "Members with a valid certificate",
        "Members ever certified",
        "Certificates expiring in 90 days",
    ]
    assert pillars[1][1:] == ["12", "20", "3"]
    months = csv_rows(export(client, "country", "months"))
    assert len(months) == 1 + 24
    assert months[1] == ["2024-04", "0", "0"]
    assert months[-1] == ["2026-03", "7", "2"]
    assert ["2025-01", "5", "0"] in months
    assert not any(row[0] == "2024-03" for row in months)
    voivodeships = csv_rows(export(client, "country", "voivodeships"))
    assert voivodeships[1][:5] == ["łódzkie", "10", "3", "7", "28.6"]
    assert voivodeships[2][:5] == ["mazowieckie", "14", "2", "3", "33.3"]
    assert voivodeships[2][7] == ""  # per 1,000: population unknown
    partners = xlsx_rows(export(client, "country", "partners", fmt="xlsx"))
    osp = next(row for row in partners if row[0] == "volunteer fire brigade (OSP)")
    assert osp[1:] == [10, 1.25, 4, 50]
    youth = csv_rows(export(client, "country", "youth"))
    assert youth[1] == ["Under 18", "60", "15.0"]
    assert youth[2] == ["18–25", "40", "10.0"]
    statuses = csv_rows(export(client, "country", "statuses"))
    assert statuses[1:] == [["proposed", "2"], ["active", "5"], ["suspended", "1"], ["closed", "0"]]
    instructors = csv_rows(export(client, "country", "instructors"))
    assert instructors[1][1:] == ["4", "1"]


def test_each_level_has_its_own_tables(client, land, national):
    client.force_login(national)
    assert export(client, "country", "clubs").status_code == 404
    assert export(client, "country", "powiats").status_code == 404
    assert export(client, "country", "nonsense").status_code == 404
    assert export(client, "country", "pillars", fmt="pdf").status_code == 404
    powiats = csv_rows(export(client, "voivodeship", "powiats", voivodeship_code="14"))
    assert [row[0] for row in powiats[1:]] == ["piaseczyński"]
    gminas = csv_rows(export(client, "powiat", "gminas", powiat_code="1418"))
    assert sorted(row[0] for row in gminas[1:]) == ["Góra Kalwaria", "Piaseczno"]
    assert export(client, "powiat", "clubs", powiat_code="1418").status_code == 404


def test_a_coordinators_club_export_holds_only_their_gminas_clubs(client, land):
    client.force_login(factories.coordinator_of(land.piaseczno))
    rows = csv_rows(export(client, "gmina", "clubs", municipality_pk=land.piaseczno.pk))
    assert [row[0] for row in rows[1:]] == ["KOS Zalesie", "KOS Złotokłos"]
    assert rows[0][:3] == ["Club", "Health signals", "Status"]
    assert rows[1][1:4] == ["leader lapsing", "suspended", "20"]
    assert rows[2][1:4] == ["no session in 90 days", "active", "100"]
    workbook = xlsx_rows(
        export(client, "gmina", "clubs", fmt="xlsx", municipality_pk=land.piaseczno.pk)
    )
    assert [row[0] for row in workbook[1:]] == ["KOS Zalesie", "KOS Złotokłos"]


# --- Query counts ---------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    # The idle timeout of privileged users saves the session inside a savepoint, which only
    # exists because the test runs in a transaction.
    return len(
        [q for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    )


def _grow(land: Land) -> None:
    """More of everything: pillars, months, partner kinds, voivodeships, powiats, clubs."""
    for number, pillar in enumerate(Pillar.objects.exclude(number=1)):
        AreaPillarStat.objects.create(
            area=land.country, pillar=pillar, members_certified_ever=number
        )
        AreaPillarStat.objects.create(area=land.pia_stat, pillar=pillar)
    for month in range(1, 13):
        AreaMonthStat.objects.get_or_create(
            area=land.country, month=date(2025, month, 1), defaults={"certificates_issued": month}
        )
    for kind in ("school", "police", "ngo"):
        AreaPartnerStat.objects.create(area=land.country, kind=kind, partners=3, clubs_with_kind=1)
    for code in ("02", "04", "06", "08"):
        region = factories.VoivodeshipFactory(code=code, name=f"woj {code}")
        area("voivodeship", code, region.name, voivodeship=region, gminas=4)
    for index in range(3, 9):
        powiat = factories.PowiatFactory(code=f"14{index:02d}", voivodeship=land.maz)
        area("powiat", powiat.code, powiat.name, voivodeship=land.maz, powiat=powiat)
    for index in range(15):
        club = factories.ClubFactory(name=f"KOS {index}", municipality=land.piaseczno)
        club_stat(club, members_active=index, leader_lapsing=index % 2 == 0)
        # An explicit code: the factory's sequence code can hit one of land's gminas (its
        # get_or_create then returns that one), depending on the tests run before.
        gmina = factories.MunicipalityFactory(powiat=land.pia_powiat, code=f"1418{50 + index}2")
        area("gmina", gmina.code, gmina.name, voivodeship=land.maz, powiat=land.pia_powiat,
             municipality=gmina)  # fmt: skip


def test_query_counts_do_not_grow_with_the_data(client, land, national):
    coordinator = factories.coordinator_of(land.piaseczno)
    factories.AssignmentFactory(user=coordinator, role="coordinator", municipality=land.gora)
    urls = {
        national: [
            reverse("dashboards:country"),
            reverse("dashboards:voivodeship", args=["14"]),
            reverse("dashboards:powiat", args=["1418"]),
            reverse("dashboards:gmina", args=[land.piaseczno.pk]),
            reverse("dashboards:country-export", args=["voivodeships"]),
        ],
        coordinator: [
            reverse("dashboards:gmina", args=[land.piaseczno.pk]),
            reverse("dashboards:gmina-export", args=[land.piaseczno.pk, "clubs"]),
        ],
    }
    small = {}
    for user, user_urls in urls.items():
        client.force_login(user)
        for url in user_urls:
            small[user.pk, url] = _count(client, url)
    _grow(land)
    for user, user_urls in urls.items():
        client.force_login(user)
        for url in user_urls:
            large = _count(client, url)
            assert large == small[user.pk, url], url
            assert large <= MAX_QUERIES, url


def test_the_gmina_page_links_to_the_dashboard_for_national_staff_and_coordinators(
    client, land, national
):
    detail = reverse("clubs:municipality-detail", kwargs={"municipality_pk": land.piaseczno.pk})
    dashboard = reverse("dashboards:gmina", kwargs={"municipality_pk": land.piaseczno.pk})
    for user in (national, factories.coordinator_of(land.piaseczno)):
        client.force_login(user)
        assert f'href="{dashboard}"' in client.get(detail).content.decode()
    client.force_login(factories.leader_of(land.club_a))
    response = client.get(detail)
    assert response.status_code == 200
    assert f'href="{dashboard}"' not in response.content.decode()


def test_the_dashboard_is_in_the_navigation_of_staff_only(client, land, national):
    index = reverse("dashboards:index")
    for user in (
        national,
        factories.coordinator_of(land.piaseczno),
        factories.leader_of(land.club_a),
    ):
        client.force_login(user)
        assert f'<a href="{index}"' in client.get(reverse("home")).content.decode()
    client.force_login(factories.instructor_of(land.club_a))
    assert f'<a href="{index}"' not in client.get(reverse("home")).content.decode()


def test_unknown_population_is_said_in_the_kpi_label_not_in_the_numbers_place(
    client, land, national
):
    html = page(client, national, "voivodeship", voivodeship_code="14")
    assert (
        "<dt>Certified per 1,000 residents: population unknown</dt>"
        '<dd class="stat-value">—</dd>' in html
    )
