"""Pages keep a constant number of queries as the data grows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def grow(world, clubs: int, members_per_club: int) -> None:
    for _ in range(clubs):
        club = factories.ClubFactory(municipality=world.municipality)
        for _ in range(members_per_club):
            factories.MembershipFactory(club=club)
        factories.leader_of(club)


STAFF = ["national", "coordinator", "leader", "instructor"]
PAGES = [(role, "/") for role in [*STAFF, "member"]] + [(role, "/clubs/") for role in STAFF]


@pytest.mark.parametrize(("role", "url"), PAGES)
def test_page_query_count_does_not_grow_with_the_data(client, world, role, url):
    client.force_login(world.users[role])
    small = queries_for(client, url)
    grow(world, clubs=8, members_per_club=3)
    factories.AssignmentFactory(
        user=world.users["leader"],
        role="leader",
        club=factories.ClubFactory(municipality=world.municipality),
    )
    assert queries_for(client, url) == small
