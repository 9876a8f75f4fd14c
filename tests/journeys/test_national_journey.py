"""Journey of national staff (issue #14): signs in with TOTP and drills down from the
country to a club; the numbers on the way agree with the club's own pages."""

from datetime import date

import pytest

from dashboards.services.rollups import rollups_refresh
from members.models import Membership
from tests import factories
from tests.journeys.conftest import click_through, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def country(db):
    """mazowieckie > piaseczyński > Piaseczno > KOS Złotokłos with three active members (one
    certified, one who left), and a club in łódzkie; the rollups as beat computes them."""
    maz = factories.VoivodeshipFactory(code="14", name="mazowieckie")
    powiat = factories.PowiatFactory(code="1418", name="piaseczyński", voivodeship=maz)
    piaseczno = factories.MunicipalityFactory(code="1418062", name="Piaseczno", powiat=powiat)
    factories.MunicipalityFactory(code="1418022", name="Góra Kalwaria", powiat=powiat)
    club = factories.ClubFactory(name="KOS Złotokłos", municipality=piaseczno)
    lodz = factories.VoivodeshipFactory(code="10", name="łódzkie")
    sieradz = factories.MunicipalityFactory(
        code="1014011",
        name="Sieradz",
        powiat=factories.PowiatFactory(code="1014", name="sieradzki", voivodeship=lodz),
    )
    other = factories.ClubFactory(name="KOS Sieradz", municipality=sieradz)
    members = [factories.member_of(club, email=f"czlonek{n}@kos.example") for n in range(3)]
    factories.member_of(other, email="sieradz@kos.example")
    leaver = factories.member_of(club, email="byly@kos.example")
    Membership.objects.filter(member=leaver).update(status=Membership.Status.LEFT)
    session = factories.session_with_meeting(club=club)
    enrolment = factories.EnrolmentFactory(
        session=session, member=members[0], result="passed", completed_on=date(2026, 3, 1)
    )
    factories.CertificateFactory(enrolment=enrolment, issued_on=date(2026, 3, 1))
    rollups_refresh()
    return club


def stat(page, label: str) -> str:
    """The value next to `label` in the club dashboard's key numbers."""
    return (
        page.locator("dl.stats > div")
        .filter(has=page.get_by_text(label, exact=True))
        .locator("dd")
        .inner_text()
    )


def test_national_journey(page, live_server, country):
    national = factories.national_user(email="krajowy@kos.example", language="en")
    sign_in(page, live_server, national)

    nav = page.get_by_role("navigation", name="Main navigation")
    click_through(page, nav.get_by_role("link", name="Dashboard"))
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard: Poland"
    click_through(page, page.locator("svg.geo-map a[aria-label^='mazowieckie']"))
    assert "mazowieckie" in page.get_by_role("heading", level=1).inner_text()
    click_through(page, page.locator("svg.geo-map a[aria-label^='piaseczyński']"))
    click_through(page, page.locator("table.dash-table").get_by_role("link", name="Piaseczno"))
    assert "Piaseczno" in page.get_by_role("heading", level=1).inner_text()

    clubs = page.get_by_role("region", name="Clubs and their health")
    headers = clubs.locator("thead th").all_inner_texts()
    row = clubs.locator("tbody tr").filter(has_text="KOS Złotokłos")
    cells = dict(zip(headers[1:], row.locator("td").all_inner_texts(), strict=True))
    assert cells["Active members"] == "3"
    assert cells["Sessions planned"] == "1"
    assert cells["Valid certificates"] == "1"

    click_through(page, row.get_by_role("link", name="KOS Złotokłos"))
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard: KOS Złotokłos"
    assert stat(page, "Active members") == cells["Active members"]
    assert stat(page, "Sessions planned") == cells["Sessions planned"]
    assert stat(page, "Valid certificates") == cells["Valid certificates"]

    # The club's own page and its roster count the same people.
    breadcrumbs = page.get_by_role("navigation", name="Breadcrumbs")
    click_through(page, breadcrumbs.get_by_role("link", name="KOS Złotokłos"))
    assert page.get_by_role("heading", level=1).inner_text() == "KOS Złotokłos"
    click_through(page, page.get_by_role("link", name="Members of the club"))
    roster_counts = dict(
        zip(
            page.locator("dl.stats dt").all_inner_texts(),
            page.locator("dl.stats dd").all_inner_texts(),
            strict=True,
        )
    )
    assert roster_counts["Active"] == cells["Active members"]
    assert roster_counts["Left"] == "1"
