"""The threat register: permissions, risk levels, the matrix, overdue reviews, query counts."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from resilience.models import Threat
from resilience.selectors_threats import risk_matrix
from resilience.services.threats import threat_review, threat_save
from tests import factories


def threat_data(**overrides) -> dict:
    data = {
        "kind": "blackout",
        "title": "Blackout zimą",
        "description": "",
        "likelihood": "4",
        "impact": "5",
        "review_due_on": (date.today() + timedelta(days=180)).isoformat(),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("likelihood", "impact", "level"),
    [(1, 1, "low"), (2, 2, "low"), (1, 5, "medium"), (3, 3, "medium"), (2, 5, "high"),
     (4, 4, "high"), (3, 5, "high"), (5, 4, "critical"), (5, 5, "critical")],
)  # fmt: skip
def test_risk_level_follows_likelihood_times_impact(likelihood, impact, level):
    assert Threat(likelihood=likelihood, impact=impact).risk_level == level


def test_matrix_places_each_threat_in_its_cell_with_likelihood_five_on_top(world):
    threat = factories.ThreatFactory(municipality=world.municipality, likelihood=2, impact=5)

    rows = risk_matrix([threat])

    assert [row["likelihood"] for row in rows] == [5, 4, 3, 2, 1]
    cell = rows[3]["cells"][4]
    assert (cell["impact"], cell["level"], cell["threats"]) == (5, "high", [threat])
    assert sum(len(c["threats"]) for row in rows for c in row["cells"]) == 1


def test_matrix_page_labels_cells_and_flags_overdue_reviews(client, world):
    overdue = factories.ThreatFactory(
        municipality=world.municipality,
        title="Pożar lasu",
        likelihood=5,
        impact=5,
        review_due_on=date.today() - timedelta(days=1),
    )
    client.force_login(world.users["leader"])

    response = client.get(
        reverse("resilience:risk-matrix", kwargs={"municipality_pk": world.municipality.pk})
    )

    html = response.content.decode()
    assert '<th scope="row">Likelihood 5</th>' in html
    assert '<th scope="col">Impact 1</th>' in html
    assert html.count('<span class="risk-label">critical</span>') == 3  # (5,4) (4,5) (5,5)
    assert response.context["overdue"] == [overdue]
    assert "review overdue" in html
    assert "Add a threat" not in html  # leaders read the register, they do not keep it


def test_threat_list_filters_by_level_and_flags_overdue_in_text(client, world):
    factories.ThreatFactory(
        municipality=world.municipality,
        title="Cyberatak",
        likelihood=1,
        impact=2,
        review_due_on=date.today() - timedelta(days=3),
    )
    client.force_login(world.users["coordinator"])

    low = client.get(reverse("resilience:threat-list"), {"level": "low"})
    high = client.get(reverse("resilience:threat-list"), {"level": "high"})

    assert [t.title for t in low.context["page"]] == ["Cyberatak"]
    assert "review overdue" in low.content.decode()
    assert [t.pk for t in high.context["page"]] == [world.objects["threat"].pk]


def test_the_next_page_keeps_every_filter(client, world, monkeypatch):
    monkeypatch.setattr("resilience.views.threats.THREATS_PER_PAGE", 1)
    for title in ("Cyberatak", "Dezinformacja"):
        factories.ThreatFactory(
            municipality=world.municipality, title=title, likelihood=1, impact=2
        )
    client.force_login(world.users["coordinator"])

    first = client.get(reverse("resilience:threat-list"), {"level": "low", "kind": ""})

    next_link = first.content.decode().split('rel="next"')[0].rsplit('href="', 1)[1]
    assert "level=low" in next_link and "page=2" in next_link  # page 2 of the low-risk threats
    second = client.get(reverse("resilience:threat-list"), {"level": "low", "kind": "", "page": 2})
    assert len(second.context["page"]) == 1
    assert second.context["page"][0].likelihood * second.context["page"][0].impact == 2


def test_coordinator_adds_a_threat_with_pillars_and_an_owner(client, world):
    client.force_login(world.users["coordinator"])
    url = reverse("resilience:threat-create", kwargs={"municipality_pk": world.municipality.pk})
    pillar = factories._pillar()

    response = client.post(url, threat_data(pillars=[pillar.pk], owner=world.users["leader"].pk))

    threat = Threat.objects.get(title="Blackout zimą")
    assert response.status_code == 302
    assert (threat.municipality, threat.risk_level, threat.owner) == (
        world.municipality,
        "critical",
        world.users["leader"],
    )
    assert list(threat.pillars.all()) == [pillar]


def test_owner_must_hold_a_role_in_the_gmina(world):
    with pytest.raises(ValidationError, match="active role in this gmina"):
        threat_save(
            municipality=world.municipality,
            kind="flood",
            title="Powódź",
            description="",
            likelihood=3,
            impact=3,
            pillars=[],
            owner=world.users["outsider"],
            review_due_on=date.today(),
        )
    assert not Threat.objects.filter(title="Powódź").exists()


def test_threat_form_offers_only_the_gminas_people_as_owners(client, world):
    client.force_login(world.users["coordinator"])
    url = reverse("resilience:threat-create", kwargs={"municipality_pk": world.municipality.pk})

    owners = set(client.get(url).context["form"].fields["owner"].queryset)

    assert world.users["leader"] in owners and world.users["coordinator"] in owners
    assert world.users["outsider"] not in owners and world.users["member"] not in owners


def test_review_marks_reviewed_today_and_sets_the_next_date(client, world):
    threat = world.objects["threat"]
    client.force_login(world.users["coordinator"])
    next_review = date.today() + timedelta(days=365)

    client.post(
        reverse("resilience:threat-review", kwargs={"threat_pk": threat.pk}),
        {"next_review_on": next_review.isoformat()},
    )

    threat.refresh_from_db()
    assert (threat.reviewed_on, threat.review_due_on) == (date.today(), next_review)


def test_next_review_must_be_in_the_future(world):
    threat = world.objects["threat"]
    with pytest.raises(ValidationError, match="after today"):
        threat_review(threat=threat, next_review_on=date.today())


def test_leader_cannot_review_or_edit_a_threat(client, world):
    threat = world.objects["threat"]
    client.force_login(world.users["leader"])

    response = client.post(
        reverse("resilience:threat-review", kwargs={"threat_pk": threat.pk}),
        {"next_review_on": (date.today() + timedelta(days=30)).isoformat()},
    )

    threat.refresh_from_db()
    assert response.status_code == 403
    assert threat.reviewed_on is None


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("page", ["threat-list", "risk-matrix"])
def test_threat_pages_keep_a_constant_query_count(client, world, page):
    kwargs = {"municipality_pk": world.municipality.pk} if page == "risk-matrix" else {}
    url = reverse(f"resilience:{page}", kwargs=kwargs)
    client.force_login(world.users["coordinator"])
    small = queries_for(client, url)
    for n in range(6):
        threat = factories.ThreatFactory(
            municipality=world.municipality,
            likelihood=n % 5 + 1,
            owner=factories.leader_of(factories.ClubFactory(municipality=world.municipality)),
        )
        threat.pillars.add(factories._pillar())
        exercise = factories.ExerciseFactory(club=world.club)
        review = factories_review(exercise)
        review.actions.create(
            description="Kurs",
            owner=world.users["leader"],
            due_on=date.today(),
            suggested_course=factories.CourseFactory(),
        )

    assert queries_for(client, url) == small


def factories_review(exercise):
    from resilience.models import AfterActionReview

    return AfterActionReview.objects.create(
        exercise=exercise, went_well="a", went_badly="b", lessons="c"
    )


def test_the_register_offers_adding_a_threat_in_the_coordinators_gmina(client, world):
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("resilience:threat-list")).content.decode()
    create = reverse("resilience:threat-create", kwargs={"municipality_pk": world.municipality.pk})
    assert f'href="{create}"' in page


def test_national_staff_pick_the_gmina_to_add_a_threat_in(client, world):
    many = [factories.MunicipalityFactory(name=f"Gmina {n}") for n in range(11)]
    client.force_login(world.users["national"])
    page = client.get(reverse("resilience:threat-list")).content.decode()
    assert 'name="in"' in page
    response = client.get(reverse("resilience:threat-list"), {"in": many[2].pk})
    assert response["Location"] == reverse(
        "resilience:threat-create", kwargs={"municipality_pk": many[2].pk}
    )


def test_leaders_get_no_add_button_they_could_not_use(client, world):
    client.force_login(world.users["leader"])
    page = client.get(reverse("resilience:threat-list")).content.decode()
    assert "/threats/new/" not in page


def test_an_empty_register_says_so_and_only_a_filter_says_no_match(client, world):
    Threat.objects.all().delete()
    client.force_login(world.users["coordinator"])
    unfiltered = client.get(reverse("resilience:threat-list")).content.decode()
    assert "The register has no threats yet." in unfiltered
    assert "No threats match." not in unfiltered
    filtered = client.get(reverse("resilience:threat-list"), {"kind": "flood"}).content.decode()
    assert "No threats match." in filtered


@pytest.mark.parametrize("role", ["national", "coordinator", "leader", "instructor", "outsider"])
def test_the_hub_links_only_pages_the_user_may_open(client, world, role):
    client.force_login(world.users[role])
    response = client.get(reverse("resilience:hub"))
    links = [url for step in response.context["steps"] for url, _label in step["links"]]
    assert links
    for url in links:
        assert client.get(url).status_code == 200, url
    assert (reverse("resilience:survey-list") in links) == (role != "instructor")
