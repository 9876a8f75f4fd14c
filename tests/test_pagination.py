"""kos_portal.pagination: the same pages as Django's Paginator, read in a constant number
of queries, with an estimated count past EXACT_COUNT_LIMIT rows."""

import pytest
from django import forms
from django.core.paginator import EmptyPage
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from clubs.models import Club
from kos_portal import pagination
from kos_portal.pagination import Paginator, round_estimate
from kos_portal.widgets import FastSelect
from tests import factories


def estimating(monkeypatch, estimate: int) -> None:
    """The real capped count, with the planner's estimate replaced by `estimate`."""
    real = pagination.count_and_estimate
    monkeypatch.setattr(
        pagination, "count_and_estimate", lambda keys, cap: (real(keys, cap)[0], estimate)
    )


@pytest.fixture
def clubs(db):
    """Seven clubs whose names tie in pairs, so only the primary key orders the ties."""
    gmina = factories.MunicipalityFactory()
    names = ["Beta", "Alfa", "Beta", "Gamma", "Alfa", "Delta", "Gamma"]
    return [factories.ClubFactory(name=name, municipality=gmina) for name in names]


def pages_of(paginator) -> list[list[int]]:
    return [[c.pk for c in paginator.page(n)] for n in range(1, paginator.num_pages + 1)]


def test_pages_hold_the_same_rows_in_the_same_order_as_djangos(clubs):
    ordered = Club.objects.order_by("name", "pk")
    assert pages_of(Paginator(ordered, 3)) == pages_of(DjangoPaginator(ordered, 3))
    descending = Club.objects.order_by("-name", "-pk")
    assert pages_of(Paginator(descending, 2)) == pages_of(DjangoPaginator(descending, 2))


def test_ties_are_broken_by_the_primary_key(clubs):
    rows = [c.pk for n in (1, 2, 3) for c in Paginator(Club.objects.order_by("name"), 3).page(n)]
    expected = list(Club.objects.order_by("name", "pk").values_list("pk", flat=True))
    assert rows == expected


def test_count_pages_and_neighbours_are_exact_below_the_limit(clubs):
    paginator = Paginator(Club.objects.order_by("name", "pk"), 3)
    assert (paginator.count, paginator.num_pages, paginator.count_is_estimate) == (7, 3, False)
    first, last = paginator.page(1), paginator.page(3)
    assert (first.has_previous(), first.has_next(), first.next_page_number()) == (False, True, 2)
    assert (last.has_next(), last.previous_page_number(), len(last)) == (False, 2, 1)
    assert (last.start_index(), last.end_index()) == (7, 7)


def test_get_page_falls_back_like_djangos(clubs):
    paginator = Paginator(Club.objects.order_by("name", "pk"), 3)
    assert paginator.get_page("x").number == 1
    assert paginator.get_page(None).number == 1
    assert paginator.get_page(4000).number == 3
    assert [c.pk for c in paginator.get_page(4000)] == [c.pk for c in paginator.page(3)]
    with pytest.raises(EmptyPage):
        paginator.page(4)


def test_an_empty_list_has_one_empty_page(db):
    page = Paginator(Club.objects.order_by("name"), 10).get_page(1)
    assert (page.number, len(page), page.has_next(), page.paginator.count) == (1, 0, False, 0)


@pytest.mark.parametrize("empty", ["none", "no keys"])
def test_a_list_that_cannot_hold_rows_has_one_empty_page(clubs, empty):
    queryset = Club.objects.none() if empty == "none" else Club.objects.filter(pk__in=[])
    page = Paginator(queryset.order_by("name"), 10).get_page(3)
    assert (page.number, len(page), page.paginator.count) == (1, 0, 0)


def test_load_annotates_only_the_page(clubs):
    factories.MembershipFactory(club=clubs[1])  # "Alfa", first by name
    factories.MembershipFactory(club=clubs[1])
    page = Paginator(
        Club.objects.order_by("name", "pk"),
        2,
        load=lambda rows: rows.annotate(n=Count("memberships")),
    ).page(1)
    assert [(c.name, c.n) for c in page] == [("Alfa", 2), ("Alfa", 0)]


def test_a_long_list_is_counted_by_estimate(clubs, monkeypatch):
    estimating(monkeypatch, 8)
    paginator = Paginator(Club.objects.order_by("name", "pk"), 2, exact_up_to=4)
    assert (paginator.count, paginator.count_is_estimate, paginator.num_pages) == (8, True, 4)
    assert [c.pk for c in paginator.page(2)] == [
        c.pk for c in DjangoPaginator(Club.objects.order_by("name", "pk"), 2).page(2)
    ]


def test_an_estimate_too_high_falls_back_to_the_real_last_page(clubs, monkeypatch):
    estimating(monkeypatch, 50)
    paginator = Paginator(Club.objects.order_by("name", "pk"), 2, exact_up_to=4)
    assert paginator.num_pages == 25
    page = paginator.get_page(20)  # empty under the estimate: counted, then the last page
    assert (page.number, len(page), page.has_next()) == (4, 1, False)
    assert (paginator.count, paginator.count_is_estimate) == (7, False)


def test_an_estimate_too_low_still_reaches_every_row(clubs, monkeypatch):
    estimating(monkeypatch, 1)
    paginator = Paginator(Club.objects.order_by("name", "pk"), 2, exact_up_to=4)
    assert paginator.count == 5  # never below what the capped count saw
    page = paginator.page(3)
    assert page.has_next() and page.next_page_number() == 4
    assert paginator.num_pages == 4  # never "page 3 of 3" with a next page
    assert len(paginator.page(4)) == 1


def test_page_number_past_an_estimate_counts_exactly(clubs, monkeypatch):
    estimating(monkeypatch, 5)
    paginator = Paginator(Club.objects.order_by("name", "pk"), 2, exact_up_to=4)
    assert paginator.page(4).number == 4  # beyond the estimate's 3 pages, but real
    with pytest.raises(EmptyPage):
        paginator.page(5)


def test_queries_do_not_grow_with_the_list(db):
    gmina = factories.MunicipalityFactory()

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            paginator = Paginator(Club.objects.select_related("municipality"), 2, exact_up_to=5)
            list(paginator.get_page(2))
            assert paginator.count
        return len(context.captured_queries)

    factories.ClubFactory.create_batch(3, municipality=gmina)
    small = queries()
    factories.ClubFactory.create_batch(20, municipality=gmina)
    if connection.vendor != "postgresql":
        pytest.skip("without a planner estimate a long list is counted exactly (one query more)")
    assert queries() == small


@pytest.mark.parametrize(
    ("value", "rounded"), [(999, 999), (10_001, 10_000), (498_731, 499_000), (1_234_567, 1_230_000)]
)
def test_estimates_are_rounded_to_three_digits(value, rounded):
    assert round_estimate(value) == rounded


# --- FastSelect: the same HTML as Django's Select ---------------------------------------


class _Choices(forms.Form):
    club = forms.ModelChoiceField(
        queryset=Club.objects.order_by("name", "pk"), required=False, empty_label="All <clubs>"
    )
    kind = forms.ChoiceField(choices=[("x", "X & y"), ("Group", [("a", "A"), ("b", "B")])])


class _FastChoices(_Choices):
    club = forms.ModelChoiceField(
        queryset=Club.objects.order_by("name", "pk"),
        required=False,
        empty_label="All <clubs>",
        widget=FastSelect(fields=("name",)),  # Club.__str__ is its name
    )
    kind = forms.ChoiceField(
        choices=[("x", "X & y"), ("Group", [("a", "A"), ("b", "B")])],
        widget=FastSelect(attrs={"disabled": True, "data-note": 'say "hi"'}),
    )


@pytest.mark.parametrize("data", [None, {"kind": "a"}, {"kind": "zz", "club": "nope"}])
def test_fast_select_renders_what_djangos_select_renders(clubs, data):
    if data and "club" not in data:
        data = {**data, "club": str(clubs[3].pk)}
    slow, fast = _Choices(data), _FastChoices(data)
    assert str(fast["club"]) == str(slow["club"])
    attrs = {"disabled": True, "data-note": 'say "hi"'}
    assert str(fast["kind"]) == str(_Choices(data)["kind"].as_widget(attrs=attrs))


# --- List pages: the same queries for a small and a grown list ----------------------------

LIST_PAGES = [  # (url name, kwargs from world, roles)
    ("clubs:club-list", None, ["national", "coordinator", "leader"]),
    ("clubs:partner-list", None, ["national", "coordinator"]),
    ("clubs:directory", None, ["anonymous", "national"]),
    ("members:roster", "club", ["national", "coordinator", "leader"]),
    ("members:application-list", None, ["national", "leader"]),
    ("members:access-log", None, ["national"]),
    ("training:session-list", "club", ["national", "leader", "instructor"]),
    ("training:instructor-list", None, ["national", "coordinator"]),
    ("certificates:certificate-list", None, ["national", "coordinator", "leader", "member"]),
    ("resilience:threat-list", None, ["national", "coordinator"]),
    ("resilience:case-list", None, ["national", "leader"]),
    ("resilience:survey-list", None, ["national", "leader"]),
]


def grow_lists(world, n: int) -> None:
    """n more of every list's rows, in the world's club and gmina."""
    for _ in range(n):
        factories.ClubFactory(municipality=world.municipality, status="active")
        factories.PartnerFactory(municipality=world.municipality)
        factories.MembershipFactory(club=world.club)
        factories.MembershipFactory(club=world.club, status="applicant")
        factories.CertificateFactory(
            enrolment__session__club=world.club, enrolment__member=world.objects["member"]
        )
        factories.InstructorProfileFactory(user=factories.instructor_of(world.club))


@pytest.mark.parametrize(
    ("name", "needs", "role"),
    [(name, needs, role) for name, needs, roles in LIST_PAGES for role in roles],
)
def test_list_pages_make_the_same_queries_for_a_long_list(
    client, world, monkeypatch, name, needs, role
):
    from django.urls import reverse

    # Past the exact-count limit the count is PostgreSQL's estimate (same query); SQLite
    # counts exactly with one query more, so there the limit stays out of reach.
    if connection.vendor == "postgresql":
        monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    url = reverse(name, kwargs={"club_pk": world.club.pk} if needs == "club" else None)
    if world.users[role]:
        client.force_login(world.users[role])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    grow_lists(world, 1)
    small = queries()
    grow_lists(world, 6)
    assert queries() == small


def test_a_long_list_says_about(client, world, monkeypatch):
    from django.urls import reverse

    estimating(monkeypatch, 12_300)
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 1)
    grow_lists(world, 2)
    client.force_login(world.users["national"])
    page = client.get(reverse("certificates:certificate-list")).content.decode()
    assert "About 12300 certificates found." in page


def test_a_privileged_session_is_saved_at_sign_in_not_on_every_request(client, world):
    from django.urls import reverse

    client.force_login(world.users["coordinator"])
    with CaptureQueriesContext(connection) as context:
        client.get(reverse("home"))
    assert not [
        q
        for q in context.captured_queries
        if "django_session" in q["sql"] and q["sql"].startswith("UPDATE")
    ]
    assert client.session.get_expiry_age() == 1800
