"""The area dashboards in a real browser: the national dashboard with its map, a drill-down
by the maps to a voivodeship and a powiat, then a gmina, and axe on every page."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.browser import assert_accessible, screenshot
from tests.dashboards.test_area_dashboards import Land

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as(page, live_server, user) -> None:
    """Skip the password page (tested elsewhere): reuse a test client's session."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_national_dashboard_map_drills_down_to_a_gmina(page, live_server):
    land = Land()
    land.club_a.latitude, land.club_a.longitude = "52.076", "20.962"
    land.club_a.save()
    sign_in_as(page, live_server, factories.national_user(email="krajowy@kos.example"))

    page.goto(f"{live_server.url}{reverse('dashboards:index')}")
    assert page.url == f"{live_server.url}{reverse('dashboards:country')}"
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard: Poland"
    area = page.locator("svg.geo-map a[aria-label^='mazowieckie']")
    assert area.get_attribute("aria-label") == "mazowieckie: coverage 33.3%, 2 active clubs"
    assert page.locator("svg.geo-map a").count() == 2  # the voivodeships with numbers
    assert page.locator("svg.geo-map .map-region path").count() == 16
    assert page.locator("svg.geo-map .map-value").count() == 2
    assert page.locator("svg.dash-chart").count() >= 5
    assert_accessible(page)
    screenshot(page, "map-country")

    area.click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("dashboards:voivodeship", args=["14"]))
    assert "mazowieckie" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_text("population unknown").is_visible()
    assert page.locator("svg.geo-map .map-region path").count() == 42
    assert_accessible(page)
    screenshot(page, "map-voivodeship")

    page.locator("svg.geo-map a[aria-label^='piaseczyński']").click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("dashboards:powiat", args=["1418"]))
    assert page.locator("svg.geo-map .map-pin").count() == 1
    assert_accessible(page)
    screenshot(page, "map-powiat")

    page.locator("table.dash-table").get_by_role("link", name="Piaseczno").click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("dashboards:gmina", args=[land.piaseczno.pk]))
    assert page.get_by_text("leader lapsing").first.is_visible()
    breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
    assert breadcrumbs.get_by_role("link").all_inner_texts() == [
        "Poland",
        "mazowieckie",
        "piaseczyński",
    ]
    assert_accessible(page)


def test_coordinators_gmina_dashboard_passes_axe_in_polish(page, live_server, settings):
    settings.LANGUAGE_CODE = "pl"
    page.set_extra_http_headers({"Accept-Language": "pl-PL,pl;q=0.9"})
    land = Land()
    sign_in_as(page, live_server, factories.coordinator_of(land.piaseczno, language="pl"))
    page.goto(f"{live_server.url}{reverse('dashboards:index')}")
    assert page.url.endswith(reverse("dashboards:gmina", args=[land.piaseczno.pk]))
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.locator("svg.geo-map").count() == 0
    assert_accessible(page)


def test_dashboard_without_numbers_passes_axe(page, live_server):
    sign_in_as(page, live_server, factories.national_user(email="krajowy@kos.example"))
    page.goto(f"{live_server.url}{reverse('dashboards:country')}")
    assert page.get_by_role("heading", name="Numbers not computed yet").is_visible()
    assert_accessible(page)
