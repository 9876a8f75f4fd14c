"""The roster: filters, counts, scoped exports, a person's page, and constant query counts."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from members import age
from members.models import Membership, Skill
from members.selectors import minor_birth_date_cutoff
from members.services.registration import membership_apply
from tests import factories
from tests.members.helpers import ALL_CONSENTS, born_years_ago

Status = Membership.Status


def roster_names(client, world, **params):
    url = reverse("members:roster", kwargs={"club_pk": world.club.pk})
    page = client.get(url, params).context["page"]
    return sorted(m.member.last_name for m in page)


@pytest.fixture
def roster(world):
    """The world club with a paramedic, a minor, a suspended member and one who left."""
    paramedic = factories.MembershipFactory(
        club=world.club, member__last_name="Łukasiewicz", member__birth_date=born_years_ago(40)
    )
    paramedic.member.skills.add(Skill.objects.get(code="paramedic"))
    factories.MembershipFactory(
        club=world.club, member__last_name="Młody", member__birth_date=born_years_ago(15)
    )
    factories.MembershipFactory(
        club=world.club, member__last_name="Zawieszony", status=Status.SUSPENDED
    )
    factories.MembershipFactory(club=world.club, member__last_name="Odszedł", status=Status.LEFT)
    factories.MembershipFactory(club=world.other_club, member__last_name="Obcy")
    return world


def test_the_roster_lists_the_clubs_members_only(client, roster):
    client.force_login(roster.users["leader"])
    names = roster_names(client, roster)
    assert "Łukasiewicz" in names and "Odszedł" in names
    assert "Obcy" not in names
    assert len(names) == 5


def test_the_roster_filters_by_status(client, roster):
    client.force_login(roster.users["leader"])
    assert roster_names(client, roster, status="suspended") == ["Zawieszony"]


def test_the_roster_filters_by_skill(client, roster):
    client.force_login(roster.users["leader"])
    assert roster_names(client, roster, skill="paramedic") == ["Łukasiewicz"]


def test_the_roster_filters_minors(client, roster):
    client.force_login(roster.users["leader"])
    assert roster_names(client, roster, minors="yes") == ["Młody"]
    assert "Młody" not in roster_names(client, roster, minors="no")


def test_the_roster_search_folds_polish_letters(client, roster):
    client.force_login(roster.users["leader"])
    assert roster_names(client, roster, q="ŁUKASIEW") == ["Łukasiewicz"]
    assert roster_names(client, roster, q="lukasiew") == ["Łukasiewicz"]


def test_an_invalid_filter_shows_nobody(client, roster):
    client.force_login(roster.users["leader"])
    assert roster_names(client, roster, status="nonsense") == []


def test_the_roster_counts_members_by_status(client, roster):
    client.force_login(roster.users["leader"])
    url = reverse("members:roster", kwargs={"club_pk": roster.club.pk})
    counts = {value: n for value, _label, n in client.get(url).context["counts"]}
    assert counts == {"applicant": 0, "active": 3, "suspended": 1, "left": 1}


@pytest.mark.parametrize(
    "today",
    [date(2026, 11, 25), date(2028, 2, 29), date(2026, 3, 1), date(2026, 2, 28)],
)
def test_the_minor_filter_agrees_with_the_age_rules(today):
    cutoff = minor_birth_date_cutoff(today)
    for offset in range(-3, 4):
        born = cutoff + timedelta(days=offset)
        assert (born > cutoff) == age.is_minor(born, today), (born, today)
    assert age.is_minor(date(2008, 2, 29), date(2026, 2, 28))
    assert not age.is_minor(date(2008, 2, 29), date(2026, 3, 1))


def export(client, world, fmt="csv", **params):
    url = reverse("members:roster-export", kwargs={"club_pk": world.club.pk})
    response = client.get(url, {"format": fmt, **params})
    assert response.status_code == 200
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content)).active
        return [[cell.value for cell in row] for row in sheet.iter_rows()]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_holds_exactly_the_filtered_rows_of_the_club(client, roster):
    client.force_login(roster.users["leader"])
    rows = export(client, roster, status="active")
    names = sorted(row[0] for row in rows[1:])
    assert rows[0][0] == "Last name"
    assert "Obcy" not in names and "Zawieszony" not in names
    assert len(names) == 3


def test_the_xlsx_export_works_and_is_scoped(client, roster):
    client.force_login(roster.users["coordinator"])
    rows = export(client, roster, fmt="xlsx")
    names = [row[0] for row in rows[1:]]
    assert "Łukasiewicz" in names and "Obcy" not in names


def test_an_outsider_cannot_export_another_clubs_roster(client, roster):
    client.force_login(roster.users["outsider"])
    url = reverse("members:roster-export", kwargs={"club_pk": roster.club.pk})
    assert client.get(url, {"format": "csv"}).status_code == 404


def test_an_unknown_export_format_is_not_found(client, roster):
    client.force_login(roster.users["leader"])
    url = reverse("members:roster-export", kwargs={"club_pk": roster.club.pk})
    assert client.get(url, {"format": "pdf"}).status_code == 404


def test_the_member_page_shows_only_memberships_the_viewer_can_see(client, world):
    member = world.objects["member"]
    factories.MembershipFactory(member=member, club=world.other_club)
    client.force_login(world.users["leader"])
    page = client.get(reverse("members:member-detail", kwargs={"member_pk": member.pk}))
    assert world.club.name in page.content.decode()
    assert world.other_club.name not in page.content.decode()
    client.force_login(world.users["national"])
    page = client.get(reverse("members:member-detail", kwargs={"member_pk": member.pk}))
    assert world.other_club.name in page.content.decode()


def test_the_member_page_says_a_minor_needs_a_guardian_consent(client, world):
    minor = factories.MembershipFactory(
        club=world.club, member__birth_date=born_years_ago(15), status=Status.APPLICANT
    ).member
    client.force_login(world.users["leader"])
    page = client.get(reverse("members:member-detail", kwargs={"member_pk": minor.pk}))
    assert "Under 18 and no guardian" in page.content.decode()


def test_editing_a_member_normalises_the_phone(client, world):
    member = world.objects["member"]
    client.force_login(world.users["leader"])
    url = reverse("members:member-edit", kwargs={"member_pk": member.pk})
    data = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "birth_date": "1990-05-01",
        "email": member.email,
        "phone": "0048 600 700 800",
    }
    assert client.post(url, data).status_code == 302
    member.refresh_from_db()
    assert member.phone == "+48600700800"


# --- Query counts -------------------------------------------------------------------------


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def grow_roster(club, n: int) -> None:
    skills = list(Skill.objects.all()[:3])
    for i in range(n):
        membership = factories.MembershipFactory(
            club=club, member__municipality=factories.MunicipalityFactory()
        )
        membership.member.skills.add(*skills[: i % 3 + 1])


@pytest.mark.parametrize("role", ["national", "coordinator", "leader"])
def test_the_roster_query_count_does_not_grow(client, world, role):
    client.force_login(world.users[role])
    url = reverse("members:roster", kwargs={"club_pk": world.club.pk})
    grow_roster(world.club, 2)
    small = queries_for(client, url)
    grow_roster(world.club, 10)
    assert queries_for(client, url) == small


def test_the_member_page_query_count_does_not_grow(client, world):
    member = world.objects["member"]
    client.force_login(world.users["leader"])
    url = reverse("members:member-detail", kwargs={"member_pk": member.pk})
    small = queries_for(client, url)
    for club in [factories.ClubFactory(municipality=world.municipality) for _ in range(3)]:
        membership = factories.MembershipFactory(member=member, club=club)
        factories.AssignmentFactory(user=world.users["leader"], role="leader", club=club)
        membership.status_changes.create(club=club, to_status=Status.ACTIVE)
    for purpose in ("images", "email_news"):
        member.consents.create(purpose=purpose, given=True, text_version="v", method="paper")
    member.skills.add(*Skill.objects.all()[:4])
    assert queries_for(client, url) == small


def test_the_application_list_query_count_does_not_grow(client, world):
    client.force_login(world.users["leader"])
    url = reverse("members:application-list")

    def apply(n):
        for i in range(n):
            membership_apply(
                club=world.club,
                first_name="Jan",
                last_name=f"Kowal-{i}-{n}",
                birth_date=born_years_ago(15 if i % 2 else 30),
                email=f"jan{i}-{n}@example.pl",
                consents=ALL_CONSENTS,
            )

    apply(2)
    small = queries_for(client, url)
    apply(8)
    assert queries_for(client, url) == small
